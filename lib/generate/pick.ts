/**
 * Picking the next character from a row of logits: temperature (0 = argmax), top-k and
 * nucleus (top-p) filtering, then a draw from a seeded generator. A {@linkcode Picker} keeps
 * its scratch buffers, so picking allocates nothing per character.
 *
 *   p = softmax(logits / temperature)                      (`core/softmax.ts`)
 *   top-k: keep the k most likely (ties at the k-th kept);  top-p: keep the smallest set of the
 *   most likely whose mass reaches P;  then draw from what is kept, renormalised.
 *
 * @module
 */
import type { Rng } from "../core/rng.ts";
import { logSumExp, softmax, type SoftmaxRow } from "../core/softmax.ts";

/** How to pick the next character from the logits. */
export interface PickOptions {
  /** Softmax temperature; 0 means argmax; default 1. */
  temperature?: number;
  /** Keep only the k most likely characters; 0 (default) keeps all. */
  topK?: number;
  /** Keep the smallest set of most likely characters whose probability reaches P; default 1. */
  topP?: number;
}

/**
 * Checks picking options.
 *
 * @param options Temperature, top-k, top-p.
 * @returns The options with every default filled in.
 * @throws {RangeError} naming the bad option and the accepted range.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(resolvePickOptions({ topP: 0.9 }), { temperature: 1, topK: 0, topP: 0.9 });
 * assert.throws(() => resolvePickOptions({ topP: 0 }), /top-p 0/);
 * ```
 */
export function resolvePickOptions(options: PickOptions = {}): Required<PickOptions> {
  const { temperature = 1, topK = 0, topP = 1 } = options;
  if (!(temperature >= 0 && Number.isFinite(temperature))) {
    throw new RangeError(`Invalid temperature ${temperature}: expected a number >= 0`);
  }
  if (!Number.isInteger(topK) || topK < 0) {
    throw new RangeError(`Invalid top-k ${topK}: expected an integer >= 0 (0 keeps all)`);
  }
  if (!(topP > 0 && topP <= 1)) {
    throw new RangeError(`Invalid top-p ${topP}: expected a number > 0 and <= 1 (1 keeps all)`);
  }
  return { temperature, topK, topP };
}

/** Picks indices from rows of V logits with fixed options and reusable buffers. */
export class Picker {
  /** The options in use, defaults filled in. */
  readonly options: Required<PickOptions>;
  #p: Float64Array; // (V) probabilities of the current row
  #order: Int32Array; // (V) indices sorted by probability, for top-k / top-p
  #row: Required<SoftmaxRow>; // the row's place, reused: picking allocates nothing
  #logProb = NaN;

  /**
   * Creates a picker for rows of `vocabSize` logits.
   *
   * @param vocabSize V.
   * @param options Temperature, top-k, top-p.
   * @throws {RangeError} for invalid options.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "../core/rng.ts";
   * const picker = new Picker(3, { temperature: 0 });
   * assert.equal(picker.pick(Float64Array.of(0, 3, 1), new Rng(1)), 1);
   * assert.ok(picker.logProb < 0 && picker.logProb > Math.log(0.5)); // 3 is the likeliest logit
   * ```
   */
  constructor(vocabSize: number, options: PickOptions = {}) {
    this.options = resolvePickOptions(options);
    this.#p = new Float64Array(vocabSize);
    this.#order = new Int32Array(vocabSize);
    const { temperature } = this.options;
    this.#row = { offset: 0, n: vocabSize, temperature: temperature || 1, outOffset: 0 };
  }

  /**
   * The model's log-probability (nats, at temperature 1, before top-k and top-p) of the
   * index the last {@linkcode Picker.pick} returned; NaN before the first pick.
   */
  get logProb(): number {
    return this.#logProb;
  }

  /**
   * Picks one index from a row of logits, and keeps its {@linkcode Picker.logProb}.
   *
   * @param logits Row(s) of logits (not modified).
   * @param rng Random source (unused for argmax).
   * @param offset Start of the row in `logits`; default 0.
   * @returns The chosen index in `[0, V)`.
   */
  pick(logits: ArrayLike<number>, rng: Rng, offset = 0): number {
    const { temperature, topK, topP } = this.options;
    const p = this.#p, V = p.length, row = this.#row;
    row.offset = offset;
    let index: number, logZ = NaN; // log Z of the tempered softmax
    if (temperature === 0) index = argmax(logits, offset, V);
    else {
      logZ = softmax(logits, p, row); // p = softmax(y / T)
      if ((topK > 0 && topK < V) || topP < 1) this.#filter(topK, topP);
      index = rng.categorical(p);
    }
    if (temperature !== 1) logZ = logSumExp(logits, row); // the model's own log Z, at T = 1
    this.#logProb = logits[offset + index]! - logZ; // log p = y - log Z
    return index;
  }

  /** Zeroes what top-k and top-p drop (the categorical draw renormalises). */
  #filter(topK: number, topP: number): void {
    const p = this.#p, order = this.#order, V = p.length;
    for (let v = 0; v < V; v++) order[v] = v;
    order.sort((a, b) => p[b]! - p[a]! || a - b); // most likely first
    let keep = topK > 0 ? Math.min(topK, V) : V;
    if (topK > 0) { // ties with the k-th are kept
      const kth = p[order[keep - 1]!]!;
      while (keep < V && p[order[keep]!]! === kth) keep++;
    }
    if (topP < 1) {
      let mass = 0, n = 0;
      while (n < keep && mass < topP) mass += p[order[n++]!]!;
      keep = n;
    }
    for (let r = keep; r < V; r++) p[order[r]!] = 0;
  }
}

/**
 * Picks one index from a row of logits (a one-off {@linkcode Picker}).
 *
 * @param logits Row of V logits (not modified).
 * @param rng Random source (unused for argmax).
 * @param options Temperature, top-k and top-p.
 * @returns The chosen index.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * assert.equal(pickIndex(Float64Array.from([0, 3, 1]), new Rng(1), { temperature: 0 }), 1);
 * ```
 */
export function pickIndex(logits: Float64Array, rng: Rng, options: PickOptions = {}): number {
  return new Picker(logits.length, options).pick(logits, rng);
}

function argmax(a: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[offset + i]! > a[offset + best]!) best = i;
  return best;
}
