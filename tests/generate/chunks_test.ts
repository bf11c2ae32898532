// Sampling in pieces gives exactly the text of one sample() call, for every piece size, cell,
// prime and token mode, and each piece is at most the piece size.
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { sampleChunks } from "../../lib/generate/chunks.ts";
import { generate, sample, streamRngs } from "../../lib/generate/sample.ts";
import { createModel } from "../../lib/model/create.ts";
import type { CellKind } from "../../lib/model/model_config.ts";
import { namesToText } from "../../lib/text/names.ts";
import { sanskritNames } from "../../lib/text/sanskrit_names.ts";
import { buildVocab, symbolsOf } from "../../lib/text/vocab.ts";
import type { TokenMode } from "../../lib/text/tokens.ts";

const TEXT = namesToText(sanskritNames().slice(0, 80));

Deno.test("pieces join to sample()'s text: cells, layers, primes, pickers, token modes", () => {
  const cases: [CellKind, number, TokenMode, string][] = [
    ["rnn", 1, "codepoints", ""],
    ["lstm", 2, "graphemes", "गो"],
    ["gru", 1, "graphemes", ""],
    ["lstm", 1, "codepoints", "सीता"],
  ];
  for (const [cell, numLayers, tokens, prime] of cases) {
    const vocab = buildVocab(TEXT, { tokens });
    const model = createModel(
      { cell, vocabSize: vocab.chars.length, hiddenSize: 12, numLayers },
      new Rng(3),
      {
        backend: createBackend({ kind: "ts" }),
      },
    );
    for (const chunk of [1, 3, 8, 500]) {
      const options = { prime, length: 120, temperature: 0.9, topP: 0.9 };
      const whole = sample(model, vocab, { ...options, rng: new Rng(7) });
      const pieces = [...sampleChunks(model, vocab, { ...options, rng: new Rng(7), chunk })];
      assertEquals(pieces.join(""), whole, `${cell} x${numLayers} ${tokens} chunk ${chunk}`);
      assertEquals(pieces.length, Math.ceil(120 / chunk));
      for (const p of pieces) assertOk(symbolsOf(vocab, p).length <= chunk); // joins can merge
    }
  }
});

Deno.test("generate reports the last index; none for a zero length", () => {
  const vocab = buildVocab("abc");
  const model = createModel({ cell: "rnn", vocabSize: 3, hiddenSize: 4 }, new Rng(1), {
    backend: createBackend({ kind: "f64" }),
  });
  const [g] = generate(model, vocab, { length: 5, rngs: streamRngs(1, 1) });
  assertEquals(g!.last, vocab.charToIndex.get(g!.text.at(-1)!));
  assertEquals(generate(model, vocab, { length: 0, rngs: streamRngs(1, 1) })[0]!.last, -1);
  assertEquals([...sampleChunks(model, vocab, { length: 0, rng: new Rng(1) })], []);
  assertThrows(
    () => sampleChunks(model, vocab, { length: 3, rng: new Rng(1), chunk: 0 }),
    /chunk 0/,
  );
});
