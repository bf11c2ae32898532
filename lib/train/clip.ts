/**
 * Gradient clipping. The seed notebook clipped each entry to +-5 (then
 * commented it out and diverged at step 400); clipping by global norm rescales
 * all gradients together and keeps their direction.
 *
 * @module
 */
import { workspaceOf } from "../backend/wasm.ts";
import type { Params } from "../core/tensor.ts";

/** How gradients are clipped. */
export type ClipMode = "norm" | "value" | "none";

/** What clipping did on one step. */
export interface ClipReport {
  /** Global L2 norm of all gradients before clipping. */
  gradNorm: number;
  /** Whether any gradient was changed. */
  clipped: boolean;
}

/**
 * The global L2 norm of a record of gradients: `sqrt(sum of squares)`.
 *
 * @param grads Gradients.
 * @returns The norm.
 * @example
 * ```ts
 * import { assertClose } from "../../tests/assert.ts";
 * assertClose(globalNorm({ a: { shape: [2], data: Float64Array.from([3, 4]) } }), 5);
 * ```
 */
export function globalNorm(grads: Params): number {
  let sum = 0;
  for (const g of Object.values(grads)) {
    const d = g.data;
    const ws = workspaceOf(d); // the fast engine's float32 tensors: one SIMD kernel
    if (ws && d instanceof Float32Array) {
      sum += ws.sumSquares(d);
      continue;
    }
    for (let k = 0; k < d.length; k++) sum += d[k]! * d[k]!;
  }
  return Math.sqrt(sum);
}

/**
 * Clips gradients in place.
 *
 * - `"norm"`: if the global norm exceeds `limit`, scale every gradient by `limit / norm`.
 * - `"value"`: clamp every entry to `[-limit, limit]` (the seed's `np.clip(d, -5, 5)`).
 * - `"none"`: leave them alone (the norm is still reported).
 *
 * @param grads Gradients, modified in place.
 * @param options Mode and limit (> 0).
 * @returns The norm before clipping and whether anything changed.
 * @example
 * ```ts
 * import { assertClose, assertEquals } from "../../tests/assert.ts";
 * const g = { a: { shape: [2], data: Float64Array.from([3, 4]) } };
 * assertEquals(clipGradients(g, { mode: "norm", limit: 1 }).clipped, true);
 * assertClose(g.a.data[0]!, 0.6);
 * ```
 */
export function clipGradients(
  grads: Params,
  options: { mode: ClipMode; limit: number },
): ClipReport {
  const { mode, limit } = options;
  const gradNorm = globalNorm(grads);
  if (mode === "none") return { gradNorm, clipped: false };
  if (!(limit > 0)) throw new RangeError(`Invalid clip limit ${limit}: expected a positive number`);
  let clipped = false;
  if (mode === "norm") {
    if (gradNorm > limit) {
      const s = limit / gradNorm;
      for (const g of Object.values(grads)) {
        const d = g.data;
        const ws = workspaceOf(d);
        if (ws && d instanceof Float32Array) {
          ws.scale(d, s);
          continue;
        }
        for (let k = 0; k < d.length; k++) d[k] = d[k]! * s;
      }
      clipped = true;
    }
  } else {
    for (const g of Object.values(grads)) {
      const d = g.data;
      const ws = workspaceOf(d);
      if (ws && d instanceof Float32Array) {
        if (ws.clamp(d, limit)) clipped = true;
        continue;
      }
      for (let k = 0; k < d.length; k++) {
        const v = d[k]!;
        if (v > limit) (d[k] = limit, clipped = true);
        else if (v < -limit) (d[k] = -limit, clipped = true);
      }
    }
  }
  return { gradNorm, clipped };
}
