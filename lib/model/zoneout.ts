/**
 * Zoneout (Krueger et al. 2016): at each step, each unit of a recurrent state keeps its
 * previous value with probability z instead of taking the cell's new one. Training draws a
 * binary mask per position; evaluation and sampling use its expectation:
 *
 *   s_t = m_t * s_{t-1} + (1 - m_t) * s~_t     m_t ~ Bernoulli(z) when training, else m_t = z
 *   ds~_t = (1 - m_t) ds_t,   ds_{t-1} += m_t ds_t
 *
 * where s~_t is what the cell computed from s_{t-1}. Elementwise on backend buffers.
 *
 * @module
 */
import type { Rng } from "../core/rng.ts";
import type { FloatArray } from "../core/tensor.ts";

/**
 * Zoneout at one step: a `(B, H)` mask from {@linkcode sampleZoneoutMask} (training), the
 * rate z (evaluation, sampling), or `undefined` for none.
 */
export type Zoneout = FloatArray | number | undefined;

/**
 * Fills `mask` with a fresh zoneout mask: each entry is 1 (keep the previous value) with
 * probability `rate`, else 0.
 *
 * @param mask Destination (every entry is written).
 * @param options `rate` in `[0, 1)` and the source `rng`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * const mask = new Float64Array(1000);
 * sampleZoneoutMask(mask, { rate: 0.2, rng: new Rng(1) });
 * assert.ok(mask.every((m) => m === 0 || m === 1));
 * ```
 */
export function sampleZoneoutMask(mask: FloatArray, options: { rate: number; rng: Rng }): void {
  const { rate, rng } = options;
  for (let k = 0; k < mask.length; k++) mask[k] = rng.uniform() < rate ? 1 : 0;
}

/**
 * `s = m * prev + (1 - m) * s`, in place: `s` holds the cell's new value on entry.
 *
 * @param s `(B, H)` the new state, overwritten with the zoned-out one.
 * @param prev `(B, H)` the previous state.
 * @param m The step's mask or rate; `undefined` (no zoneout) leaves `s` as it is.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = Float64Array.of(1, 1);
 * zoneoutMix(s, Float64Array.of(0, 3), 0.5);
 * assert.deepEqual([...s], [0.5, 2]);
 * ```
 */
export function zoneoutMix(s: FloatArray, prev: FloatArray, m: Zoneout): void {
  if (m === undefined) return;
  if (typeof m === "number") {
    for (let k = 0; k < s.length; k++) s[k] = s[k]! + m * (prev[k]! - s[k]!);
  } else {
    for (let k = 0; k < s.length; k++) s[k] = s[k]! + m[k]! * (prev[k]! - s[k]!);
  }
}

/**
 * The backward of {@linkcode zoneoutMix}: `dPrev += m * ds`, then `ds = (1 - m) * ds`.
 *
 * @param ds `(B, H)` dL/ds_t on entry, dL/ds~_t (the cell's output) on return.
 * @param dPrev `(B, H)` accumulator of dL/ds_{t-1}.
 * @param m The mask or rate of the forward (`undefined`: none, nothing to do).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ds = Float64Array.of(2, 4), dPrev = Float64Array.of(1, 1);
 * zoneoutBackward(ds, dPrev, Float64Array.of(1, 0));
 * assert.deepEqual([[...ds], [...dPrev]], [[0, 4], [3, 1]]);
 * ```
 */
export function zoneoutBackward(ds: FloatArray, dPrev: FloatArray, m: Zoneout): void {
  if (m === undefined) return;
  for (let k = 0; k < ds.length; k++) {
    const keep = typeof m === "number" ? m : m[k]!;
    dPrev[k] = dPrev[k]! + keep * ds[k]!;
    ds[k] = ds[k]! - keep * ds[k]!;
  }
}
