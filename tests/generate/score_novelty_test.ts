// Scoring equals the training loss on the same text; copied spans and n-gram shares match a
// brute-force search.
import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { copyReport, noveltyReport } from "../../lib/generate/novelty.ts";
import { scoreText } from "../../lib/generate/score.ts";
import { createModel } from "../../lib/model/create.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";

const TEXT = "a quiet morning on the hill; the goats went up and the dog came down.\n".repeat(3);
const vocab = buildVocab(TEXT);

Deno.test("score of a text equals the training loss on the same text, on every backend", () => {
  const ids = encode(vocab, TEXT);
  for (const kind of ["f64", "wasm", "ts"] as const) {
    const model = createModel(
      { cell: "gru", vocabSize: vocab.chars.length, hiddenSize: 10, numLayers: 2 },
      new Rng(5),
      {
        backend: createBackend({ kind }),
      },
    );
    const loss = model.forward(ids.subarray(0, -1), ids.subarray(1), model.initialState(1));
    for (const chunk of [1, 7, 256]) {
      const s = scoreText(model, vocab, TEXT, { chunk });
      assertEquals(s.predicted, ids.length - 1);
      assertClose(s.nats, loss, kind === "f64" ? 1e-12 : 2e-6);
      assertClose(s.bits, s.nats / Math.LN2, 1e-12);
    }
  }
  const m = createModel({ cell: "rnn", vocabSize: vocab.chars.length, hiddenSize: 4 }, new Rng(1));
  assertThrows(() => scoreText(m, vocab, "a"), /at least 2/);
  assertThrows(() => scoreText(m, vocab, "aZ"), /"Z"/);
});

/** The longest substring of `g` in `t` and the share of n-grams of `g` in `t`, naively. */
function naive(g: string, t: string, n: number) {
  const cs = [...g];
  let longest = 0;
  for (let i = 0; i < cs.length; i++) {
    for (let j = i + longest + 1; j <= cs.length; j++) {
      if (t.includes(cs.slice(i, j).join(""))) longest = j - i;
      else break;
    }
  }
  const grams = Math.max(0, cs.length - n + 1);
  let found = 0;
  for (let i = 0; i < grams; i++) if (t.includes(cs.slice(i, i + n).join(""))) found++;
  return { longest, share: grams ? found / grams : 0, grams };
}

Deno.test("copied spans and n-gram shares match a brute-force search", () => {
  const rng = new Rng(3);
  const chars = vocab.chars;
  const training = encode(vocab, TEXT);
  for (let trial = 0; trial < 40; trial++) {
    // pieces of the training text glued to random characters
    let g = "";
    while (g.length < 60) {
      if (rng.uniform() < 0.5) {
        const at = rng.int(TEXT.length - 20);
        g += TEXT.slice(at, at + 1 + rng.int(18));
      } else g += chars[rng.int(chars.length)];
    }
    for (const n of [1, 4, 8]) {
      const r = copyReport(g, training, vocab, { n });
      const want = naive(g, TEXT, n);
      assertEquals(r.longestCopied, want.longest, JSON.stringify(g));
      assertOk(
        TEXT.includes(r.longestCopiedText) && [...r.longestCopiedText].length === want.longest,
      );
      assertEquals(r.ngrams, want.grams);
      assertClose(r.ngramShare, want.share, 1e-12);
    }
  }
  assertEquals(copyReport("", training, vocab).longestCopied, 0);
  assertEquals(copyReport("qqq", encode(buildVocab("q"), "q"), buildVocab("q")).longestCopied, 1);
});

Deno.test("names are novel or copied as a whole", () => {
  const r = noveltyReport(["Asha", "Ashan", "Asha"], ["Asha", "Bina"]);
  assertEquals([r.novel, r.copied, r.novelFraction], [["Ashan"], ["Asha", "Asha"], 1 / 3]);
});
