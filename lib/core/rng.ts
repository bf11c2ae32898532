/**
 * A small, fast, seeded pseudo-random generator (sfc32) whose whole state is
 * four 32-bit words, so it can be saved in a checkpoint and restored exactly.
 *
 * `lib/` never calls `Math.random`: every random choice takes an `Rng`.
 *
 * @module
 */

/** Seeded random numbers: uniform floats, integers, Gaussians and categorical draws. */
export class Rng {
  #s: Uint32Array = new Uint32Array(4);
  #spare = NaN; // second Box-Muller value, NaN when none is cached

  /**
   * Creates a generator from an integer seed (any safe integer; equal seeds give equal streams).
   *
   * @param seed Integer seed.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * assert.deepEqual(new Rng(7).uniform(), new Rng(7).uniform());
   * ```
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Cannot seed the random generator: ${seed} is not an integer`);
    }
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    this.#s.set([0x9e3779b9, lo, hi ^ 0x85ebca6b, 1]);
    for (let i = 0; i < 16; i++) this.nextU32(); // mix the seed in
  }

  /**
   * The next raw 32-bit unsigned integer.
   *
   * @returns An integer in `[0, 2^32)`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const x = new Rng(1).nextU32();
   * assert.ok(x >= 0 && x < 2 ** 32);
   * ```
   */
  nextU32(): number {
    const s = this.#s;
    const a = s[0]!, b = s[1]!, c = s[2]!, d = s[3]!;
    const t = (((a + b) >>> 0) + d) >>> 0;
    s[3] = (d + 1) >>> 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) >>> 0;
    const r = (c << 21) | (c >>> 11);
    s[2] = (r + t) >>> 0;
    return t;
  }

  /**
   * A uniform float in `[0, 1)` with 53 random bits.
   *
   * @returns The draw.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const u = new Rng(3).uniform();
   * assert.ok(u >= 0 && u < 1);
   * ```
   */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * A uniform integer in `[0, n)`.
   *
   * @param n Exclusive upper bound (positive integer).
   * @returns The draw.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const k = new Rng(5).int(10);
   * assert.ok(Number.isInteger(k) && k >= 0 && k < 10);
   * ```
   */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /**
   * A standard normal draw (Box-Muller; the second value of each pair is cached).
   *
   * @returns A sample of N(0, 1).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * assert.ok(Number.isFinite(new Rng(9).normal()));
   * ```
   */
  normal(): number {
    if (!Number.isNaN(this.#spare)) {
      const z = this.#spare;
      this.#spare = NaN;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Draws an index from unnormalised non-negative weights `w[0..n)`.
   *
   * @param weights Non-negative weights (need not sum to 1).
   * @param n How many leading entries to use (defaults to all).
   * @returns An index `i` with probability `w[i] / sum(w)`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * assert.deepEqual(new Rng(1).categorical(new Float64Array([0, 0, 1])), 2);
   * ```
   */
  categorical(weights: ArrayLike<number>, n: number = weights.length): number {
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i]!;
    let r = this.uniform() * total;
    let last = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      if (w <= 0) continue;
      last = i;
      r -= w;
      if (r < 0) return i;
    }
    return last; // rounding left a tiny remainder: the last index with weight
  }

  /**
   * The generator's state, for checkpoints.
   *
   * @returns Four 32-bit words plus the cached Gaussian (or `null`).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const a = new Rng(11);
   * const b = new Rng(0);
   * b.setState(a.getState());
   * assert.deepEqual(a.uniform(), b.uniform());
   * ```
   */
  getState(): RngState {
    return {
      words: Array.from(this.#s),
      spare: Number.isNaN(this.#spare) ? null : this.#spare,
    };
  }

  /**
   * Restores a state returned by {@linkcode Rng.getState}.
   *
   * @param state The saved state.
   */
  setState(state: RngState): void {
    const w = state.words;
    if (w.length !== 4 || !w.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)) {
      throw new TypeError("Cannot restore random generator: state must be four 32-bit words");
    }
    this.#s.set(w);
    this.#spare = state.spare ?? NaN;
  }
}

/**
 * A seed derived from a seed and a key (a step, a stream number): equal inputs give equal
 * seeds, and nearby keys give unrelated streams. The trainer seeds the sample drawn after step
 * `s` with `mixSeed(seed, s)`, so a sample depends only on the run's seed and the step, not on
 * what was drawn before it (a resumed run prints the same samples as an uninterrupted one).
 *
 * @param seed Any safe integer.
 * @param key Any safe integer.
 * @returns A safe integer in `[0, 2^53)`, to pass to `new Rng(...)`.
 * @throws {RangeError} when either is not a safe integer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(mixSeed(42, 500), mixSeed(42, 500));
 * assert.notEqual(mixSeed(42, 500), mixSeed(42, 501));
 * assert.equal(new Rng(mixSeed(42, 7)).uniform(), new Rng(mixSeed(42, 7)).uniform());
 * ```
 */
export function mixSeed(seed: number, key: number): number {
  for (const v of [seed, key]) {
    if (!Number.isSafeInteger(v)) {
      throw new RangeError(`Cannot mix seeds: ${v} is not an integer`);
    }
  }
  const words = [
    seed >>> 0,
    Math.floor(seed / 2 ** 32) >>> 0,
    key >>> 0,
    Math.floor(key / 2 ** 32),
  ];
  let h1 = 0x9e3779b9, h2 = 0x7f4a7c15;
  for (const w of words) {
    h1 = finalMix((h1 ^ Math.imul(w >>> 0, 0xcc9e2d51)) >>> 0);
    h2 = finalMix((h2 + h1 + Math.imul(w >>> 0, 0x1b873593)) >>> 0);
  }
  return (h1 >>> 0) + (h2 & 0x1fffff) * 2 ** 32; // 32 + 21 = 53 bits
}

/** The murmur3 finaliser: every input bit affects every output bit. */
function finalMix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A serialisable snapshot of an {@linkcode Rng}. */
export interface RngState {
  /** The four sfc32 state words. */
  words: number[];
  /** The cached second Box-Muller value, or `null`. */
  spare: number | null;
}
