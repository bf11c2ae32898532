/**
 * Scoring a text with a model: the mean cross-entropy of each character given the ones before
 * it, from a zero state, computed exactly as training computes its loss (forward passes over
 * chunks of the text with the state carried from one to the next), in nats and bits per
 * character. Bits per character compare models; a low figure on a passage also tells that the
 * model has seen (or memorised) text like it.
 *
 *   loss = (1 / (N - 1)) * sum_{t=1}^{N-1} -log p(c_t | c_0 .. c_{t-1})
 *
 * @module
 */
import type { CharModel } from "../model/char_model.ts";
import { codePointsOf, encode, type Vocab } from "../text/vocab.ts";

/** The score of a text. */
export interface TextScore {
  /** Characters (symbols) predicted: the text's length minus the first, which nothing predicts. */
  predicted: number;
  /** Mean loss per predicted character (symbol), in nats. */
  nats: number;
  /** The same in bits. */
  bits: number;
  /** Code points of the predicted symbols (= `predicted` unless symbols are grapheme clusters). */
  predictedCodePoints: number;
  /** Bits per code point: the total in bits over `predictedCodePoints`, comparable across token modes. */
  bitsPerCodePoint: number;
}

/**
 * Scores a text with a model.
 *
 * @param model Any character model.
 * @param vocab Its vocabulary.
 * @param text The text (only characters of the vocabulary), at least 2 characters.
 * @param options `chunk`: characters per forward pass (default 256; the result does not
 *   depend on it beyond rounding).
 * @returns Predicted characters, nats and bits per character, bits per code point.
 * @throws {RangeError} for a character outside the vocabulary or a text under 2 characters.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { buildVocab, encode } from "../text/vocab.ts";
 * const vocab = buildVocab("abcd");
 * const model = createModel({ cell: "rnn", vocabSize: 4, hiddenSize: 5 }, new Rng(1), {
 *   backend: createBackend({ kind: "f64" }),
 * });
 * const ids = encode(vocab, "abcdabca");
 * const loss = model.forward(ids.subarray(0, 7), ids.subarray(1), model.initialState(1));
 * const score = scoreText(model, vocab, "abcdabca", { chunk: 3 });
 * assert.ok(Math.abs(score.nats - loss) < 1e-12 && score.predicted === 7);
 * assert.equal(score.bitsPerCodePoint, score.bits);
 * ```
 */
export function scoreText(
  model: CharModel,
  vocab: Vocab,
  text: string,
  options: { chunk?: number } = {},
): TextScore {
  return scoreIds(model, vocab, encode(vocab, text), options);
}

/**
 * Scores an encoded text with a model (as {@linkcode scoreText}, for held-out data that is
 * already encoded).
 *
 * @param model Any character model.
 * @param vocab Its vocabulary (for the code points of grapheme symbols).
 * @param ids The text as indices, at least 2.
 * @param options `chunk`: characters per forward pass (default 256).
 * @returns Predicted characters, nats and bits per character, bits per code point.
 * @throws {RangeError} for fewer than 2 indices or an invalid chunk.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { buildVocab, encode } from "../text/vocab.ts";
 * const vocab = buildVocab("सीता राम", { tokens: "graphemes" }); // सी ता ␣ रा म: 2 + 2 + 1 + 2 + 1
 * const model = createModel({ cell: "rnn", vocabSize: vocab.chars.length, hiddenSize: 5 }, new Rng(1), {
 *   backend: createBackend({ kind: "f64" }),
 * });
 * const score = scoreIds(model, vocab, encode(vocab, "सीता राम"));
 * assert.deepEqual([score.predicted, score.predictedCodePoints], [4, 6]); // ता ␣ रा म
 * assert.ok(Math.abs(score.bitsPerCodePoint - score.bits * 4 / 6) < 1e-12);
 * ```
 */
export function scoreIds(
  model: CharModel,
  vocab: Vocab,
  ids: Int32Array,
  options: { chunk?: number } = {},
): TextScore {
  const { chunk = 256 } = options;
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new RangeError(`Invalid chunk ${chunk}: expected a positive integer`);
  }
  const predicted = ids.length - 1;
  if (predicted < 1) {
    throw new RangeError(
      `Cannot score a text of ${ids.length} character(s): it needs at least 2; give a longer text`,
    );
  }
  const state = model.initialState(1);
  let total = 0;
  for (let start = 0; start < predicted; start += chunk) {
    const end = Math.min(predicted, start + chunk);
    const loss = model.forward(ids.subarray(start, end), ids.subarray(start + 1, end + 1), state);
    total += loss * (end - start); // forward reports the mean over its chunk
  }
  const nats = total / predicted, bits = nats / Math.LN2;
  const predictedCodePoints = codePointsOf(vocab, ids.subarray(1));
  const bitsPerCodePoint = predictedCodePoints === predicted
    ? bits
    : bits * predicted / predictedCodePoints;
  return { predicted, nats, bits, predictedCodePoints, bitsPerCodePoint };
}
