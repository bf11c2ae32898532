/**
 * Sampling in pieces: the text of {@linkcode sample}, handed out a few characters at a time, so
 * a caller can show each piece before the next is computed (a web page yields to the browser
 * between pieces, so the text appears as it is generated). The pieces join to exactly the text
 * `sample` gives with the same options: each piece continues the one stream's state and random
 * generator, feeding the last character of the piece before first.
 *
 * @module
 */
import type { CharModel } from "../model/char_model.ts";
import type { Vocab } from "../text/vocab.ts";
import { generate, type SampleOptions } from "./sample.ts";

/** Options of {@linkcode sampleChunks}: those of `sample` without a stop text, and a piece size. */
export interface SampleChunksOptions extends Omit<SampleOptions, "stop"> {
  /** Characters per piece (default 8). */
  chunk?: number;
}

/**
 * Generates `length` characters as pieces of at most `chunk` characters.
 *
 * @param model Any character model.
 * @param vocab Its vocabulary.
 * @param options Length, randomness, prime, picking and piece size.
 * @returns A generator of the pieces (none of them empty); each `next()` computes one.
 * @throws {RangeError} for an invalid piece size; the first `next()` throws for a prime
 *   outside the vocabulary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * import { sample } from "./sample.ts";
 * const vocab = buildVocab("hello world\n");
 * const model = createModel({ cell: "gru", vocabSize: vocab.chars.length, hiddenSize: 8 }, new Rng(1), {
 *   backend: createBackend({ kind: "f64" }),
 * });
 * const options = { prime: "he", length: 30, temperature: 0.9 };
 * const pieces = [...sampleChunks(model, vocab, { ...options, rng: new Rng(5), chunk: 4 })];
 * assert.equal(pieces.length, 8);
 * assert.equal(pieces.join(""), sample(model, vocab, { ...options, rng: new Rng(5) }));
 * ```
 */
export function sampleChunks(
  model: CharModel,
  vocab: Vocab,
  options: SampleChunksOptions,
): Generator<string, void> {
  const { chunk = 8 } = options;
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new RangeError(`Invalid chunk ${chunk}: expected a positive integer`);
  }
  return pieces(model, vocab, { ...options, chunk });
}

function* pieces(
  model: CharModel,
  vocab: Vocab,
  options: SampleChunksOptions & { chunk: number },
): Generator<string, void> {
  const { length, chunk, rng } = options;
  const state = options.state ?? model.initialState(1); // one stream, advanced piece by piece
  let prime = options.prime ?? "", startIndex = options.startIndex;
  for (let done = 0; done < length;) {
    const n = Math.min(chunk, length - done);
    const [g] = generate(model, vocab, {
      ...options,
      prime,
      startIndex,
      state,
      length: n,
      rngs: [rng],
    });
    done += n;
    if (g!.text) yield g!.text;
    prime = ""; // the next piece starts by feeding this piece's last character
    startIndex = g!.last;
  }
}
