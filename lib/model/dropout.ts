/**
 * Inverted dropout masks: each entry is 0 with probability `rate`, else
 * `1 / (1 - rate)`, so the expected activation is unchanged and evaluation
 * needs no rescaling (the mask is simply not applied). A mask is drawn per position, or
 * per sequence (variational dropout: one `(B, H)` mask repeated over the T steps of a chunk).
 *
 * @module
 */
import type { Rng } from "../core/rng.ts";
import type { FloatArray } from "../core/tensor.ts";

/** How often a dropout mask is drawn: at every position, or once per stream and chunk. */
export const DROPOUT_MASKS = ["position", "sequence"] as const;
/** One of {@linkcode DROPOUT_MASKS}. */
export type DropoutMask = typeof DROPOUT_MASKS[number];

/**
 * Fills `mask` with a fresh inverted-dropout mask.
 *
 * @param mask Destination (every entry is written).
 * @param options `rate` in `[0, 1)`: the probability of dropping an entry; `rng`: the source.
 * @throws {RangeError} when `rate` is outside `[0, 1)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * const mask = new Float64Array(1000);
 * sampleDropoutMask(mask, { rate: 0.5, rng: new Rng(1) });
 * assert.ok(mask.every((m) => m === 0 || m === 2));
 * ```
 */
export function sampleDropoutMask(mask: FloatArray, options: { rate: number; rng: Rng }): void {
  const { rate, rng } = options;
  checkDropoutRate(rate);
  const keep = 1 / (1 - rate);
  for (let k = 0; k < mask.length; k++) mask[k] = rng.uniform() < rate ? 0 : keep;
}

/**
 * Fills a `(T, B*H)` mask with one fresh `(B*H)` mask repeated at every step: each stream
 * drops the same units for a whole chunk (variational dropout).
 *
 * @param mask Destination, `T * rowLength` entries (every entry is written).
 * @param options `rowLength`: `B * H`; `rate` and `rng` as in {@linkcode sampleDropoutMask}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * const mask = new Float64Array(3 * 4); // T = 3, B * H = 4
 * sampleSequenceMask(mask, { rowLength: 4, rate: 0.5, rng: new Rng(1) });
 * assert.deepEqual(mask.subarray(8), mask.subarray(0, 4));
 * ```
 */
export function sampleSequenceMask(
  mask: FloatArray,
  options: { rowLength: number; rate: number; rng: Rng },
): void {
  const { rowLength, rate, rng } = options;
  const first = mask.subarray(0, rowLength);
  sampleDropoutMask(first, { rate, rng });
  for (let at = rowLength; at < mask.length; at += rowLength) mask.set(first, at);
}

/**
 * Validates a dropout rate.
 *
 * @param rate The rate.
 * @throws {RangeError} when it is not a number in `[0, 1)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * checkDropoutRate(0.3);
 * assert.throws(() => checkDropoutRate(1), /dropout/);
 * ```
 */
export function checkDropoutRate(rate: number): void {
  if (!(rate >= 0 && rate < 1)) {
    throw new RangeError(`Invalid dropout ${rate}: expected a number >= 0 and < 1`);
  }
}
