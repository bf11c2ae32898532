/**
 * Generating text one character at a time: prime the state with any text,
 * then draw each next character from the softmax at a temperature, optionally
 * restricted to the k most likely (top-k); temperature 0 takes the argmax.
 *
 * @module
 */
import type { CharModel, State } from "../model/char_model.ts";
import type { Rng } from "../core/rng.ts";
import { softmax } from "../core/softmax.ts";
import { describeChar, type Vocab } from "../text/vocab.ts";

/** How to pick the next character from the logits. */
export interface PickOptions {
  /** Softmax temperature; 0 means argmax; default 1. */
  temperature?: number;
  /** Keep only the k most likely characters; 0 (default) keeps all. */
  topK?: number;
}

/**
 * Picks one index from a row of logits.
 *
 * @param logits Row of V logits (not modified).
 * @param rng Random source (unused for argmax).
 * @param options Temperature and top-k.
 * @returns The chosen index.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * assert.deepEqual(pickIndex(Float64Array.from([0, 3, 1]), new Rng(1), { temperature: 0 }), 1);
 * ```
 */
export function pickIndex(logits: Float64Array, rng: Rng, options: PickOptions = {}): number {
  const { temperature = 1, topK = 0 } = options;
  checkPickOptions({ temperature, topK });
  const V = logits.length;
  if (temperature === 0) return argmax(logits);
  const p = new Float64Array(V);
  softmax(logits, p, { n: V, temperature });
  if (topK > 0 && topK < V) {
    // zero everything below the k-th largest probability (ties at the threshold are kept)
    const threshold = Float64Array.from(p).sort()[V - topK]!;
    for (let v = 0; v < V; v++) if (p[v]! < threshold) p[v] = 0;
  }
  return rng.categorical(p);
}

/** Options of {@linkcode sample}. */
export interface SampleOptions extends PickOptions {
  /** Number of characters to generate (after the prime). */
  length: number;
  /** Random source: the same seed gives the same text. */
  rng: Rng;
  /** Text to run through the model first (any length); it is not part of the result. */
  prime?: string;
  /** State to start from, `B = 1`; advanced in place. Default: a zero state. */
  state?: State;
  /** Index of the character fed first when there is no prime; default newline, space or 0. */
  startIndex?: number;
}

/**
 * Generates `length` characters.
 *
 * @param model Any character model.
 * @param vocab Its vocabulary.
 * @param options Length, randomness, prime and picking.
 * @returns The generated text (without the prime).
 * @throws {RangeError} when the prime has a character outside the vocabulary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * import { VanillaRnn } from "../model/vanilla_rnn.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("hello world");
 * const model = new VanillaRnn(new Rng(1), { vocabSize: vocab.chars.length, hiddenSize: 8 });
 * const a = sample(model, vocab, { length: 20, rng: new Rng(42), prime: "he" });
 * const b = sample(model, vocab, { length: 20, rng: new Rng(42), prime: "he" });
 * assert.deepEqual([...a].length, 20);
 * assert.deepEqual(a, b);
 * ```
 */
export function sample(model: CharModel, vocab: Vocab, options: SampleOptions): string {
  const { length, rng, prime = "", temperature = 1, topK = 0 } = options;
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`Invalid length ${length}: expected a non-negative integer`);
  }
  checkPickOptions({ temperature, topK });
  const V = vocab.chars.length;
  const state = options.state ?? model.initialState(1);
  const primeIds = encodePrime(vocab, prime);
  const x = new Int32Array(1);
  const logits = new Float64Array(V);
  if (primeIds.length === 0) {
    x[0] = options.startIndex ?? defaultStartIndex(vocab);
    model.step(x, state, logits);
  }
  for (const id of primeIds) {
    x[0] = id;
    model.step(x, state, logits);
  }
  let out = "";
  for (let n = 0; n < length; n++) {
    const idx = pickIndex(logits, rng, { temperature, topK });
    out += vocab.chars[idx]!;
    if (n + 1 < length) {
      x[0] = idx;
      model.step(x, state, logits);
    }
  }
  return out;
}

function encodePrime(vocab: Vocab, prime: string): number[] {
  const ids: number[] = [];
  for (const ch of prime) {
    const id = vocab.charToIndex.get(ch);
    if (id === undefined) {
      throw new RangeError(
        `Prime text contains ${describeChar(ch)}, which is not in the model's vocabulary; ` +
          `use only characters from the training text`,
      );
    }
    ids.push(id);
  }
  return ids;
}

function defaultStartIndex(vocab: Vocab): number {
  return vocab.charToIndex.get("\n") ?? vocab.charToIndex.get(" ") ?? 0;
}

function checkPickOptions(options: { temperature: number; topK: number }): void {
  const { temperature, topK } = options;
  if (!(temperature >= 0 && Number.isFinite(temperature))) {
    throw new RangeError(`Invalid temperature ${temperature}: expected a number >= 0`);
  }
  if (!Number.isInteger(topK) || topK < 0) {
    throw new RangeError(`Invalid top-k ${topK}: expected an integer >= 0 (0 keeps all)`);
  }
}

function argmax(a: Float64Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}
