// Beam search: width 1 is greedy decoding; on a small model where every continuation can be
// scored, a wider beam never scores lower and the widest finds the optimum; a stop text
// finishes hypotheses, ranked by log-probability per character.
import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { beamSearch } from "../../lib/generate/beam.ts";
import { sample } from "../../lib/generate/sample.ts";
import { scoreText } from "../../lib/generate/score.ts";
import { createModel } from "../../lib/model/create.ts";
import { buildVocab } from "../../lib/text/vocab.ts";

const vocab = buildVocab("abc");
const model = createModel({ cell: "lstm", vocabSize: 3, hiddenSize: 6 }, new Rng(11), {
  initScale: 1.5, // sharp, uneven distributions: greedy and optimum differ
  backend: createBackend({ kind: "f64" }),
});
const L = 6, PRIME = "a";

/** The log-probability of every continuation of length L, by exhaustive enumeration. */
function optimum(): { text: string; logProb: number } {
  let best = { text: "", logProb: -Infinity };
  for (let code = 0; code < 3 ** L; code++) {
    let text = "", c = code;
    for (let k = 0; k < L; k++) (text += vocab.chars[c % 3], c = Math.floor(c / 3));
    const s = scoreText(model, vocab, PRIME + text);
    const logProb = -s.nats * s.predicted;
    if (logProb > best.logProb) best = { text, logProb };
  }
  return best;
}

Deno.test("beam width 1 is greedy decoding", () => {
  for (const prime of ["", "a", "cab"]) {
    const greedy = sample(model, vocab, { length: 12, rng: new Rng(1), prime, temperature: 0 });
    assertEquals(beamSearch(model, vocab, { width: 1, length: 12, prime }).text, greedy);
  }
});

Deno.test("a wider beam never scores lower; the widest finds the exhaustive optimum", () => {
  const best = optimum();
  const widths = [1, 2, 3, 5, 9, 27, 81, 243];
  const results = widths.map((width) =>
    beamSearch(model, vocab, { width, length: L, prime: PRIME })
  );
  console.log(
    widths.map((w, i) => `W=${w}: ${results[i]!.logProb.toFixed(4)}`).join(", ") +
      `; optimum ${best.logProb.toFixed(4)} (${best.text})`,
  );
  for (let i = 1; i < results.length; i++) {
    assertOk(results[i]!.logProb >= results[i - 1]!.logProb - 1e-12, `W=${widths[i]} scored lower`);
  }
  assertOk(results[0]!.logProb < best.logProb - 1e-6, "greedy misses the optimum on this model");
  assertEquals(results.at(-1)!.text, best.text);
  assertClose(results.at(-1)!.logProb, best.logProb, 1e-9);
  results.forEach((r) => {
    const s = scoreText(model, vocab, PRIME + r.text); // the reported log-probability is right
    assertClose(r.logProb, -s.nats * s.predicted, 1e-9);
    assertClose(r.meanLogProb, r.logProb / L, 1e-12);
  });
});

Deno.test("a stop text finishes hypotheses; the best by log-probability per character wins", () => {
  const r = beamSearch(model, vocab, { width: 8, length: 20, prime: PRIME, stop: "c" });
  assertOk(!r.text.includes("c"));
  if (r.stopped) {
    const s = scoreText(model, vocab, PRIME + r.text + "c");
    assertClose(r.logProb, -s.nats * s.predicted, 1e-9);
    assertClose(r.meanLogProb, r.logProb / ([...r.text].length + 1), 1e-12);
  }
  assertThrows(() => beamSearch(model, vocab, { width: 0, length: 5 }), /Invalid beam width 0/);
  assertThrows(() => beamSearch(model, vocab, { width: 2, length: -1 }), /Invalid length -1/);
});
