/**
 * Gradient clipping. The seed notebook clipped each entry to +-5 (then
 * commented it out and diverged at step 400); clipping by global norm rescales
 * all gradients together and keeps their direction.
 *
 * @module
 */
import type { Backend } from "../backend/types.ts";
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
 * @param backend The backend they live on (`model.backend`).
 * @returns The norm.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * const g = { a: { shape: [2], data: Float64Array.from([3, 4]) } };
 * assert.equal(globalNorm(g, createBackend({ kind: "f64" })), 5);
 * ```
 */
export function globalNorm(grads: Params, backend: Backend): number {
  let sum = 0;
  for (const g of Object.values(grads)) sum += backend.sumSquares(g.data);
  return Math.sqrt(sum);
}

/** How {@linkcode clipGradients} clips: the `TrainConfig` fields of the same names. */
export interface ClipOptions {
  /** `"norm"`, `"value"` or `"none"`. */
  clipMode: ClipMode;
  /** The limit (> 0): the maximum global norm, or the maximum absolute entry. */
  clip: number;
  /** The backend the gradients live on (`model.backend`). */
  backend: Backend;
}

/** {@linkcode ClipOptions} in the names they had before they took the config's; still accepted. */
export interface ShortClipOptions {
  /** The mode. @deprecated Use `clipMode`. */
  mode: ClipMode;
  /** The limit. @deprecated Use `clip`. */
  limit: number;
  /** The backend the gradients live on. */
  backend: Backend;
}

/**
 * Clips gradients in place, with the backend's kernels.
 *
 * - `"norm"`: if the global norm exceeds `clip`, scale every gradient by `clip / norm`.
 * - `"value"`: clamp every entry to `[-clip, clip]` (the seed's `np.clip(d, -5, 5)`).
 * - `"none"`: leave them alone (the norm is still reported).
 *
 * @param grads Gradients, modified in place.
 * @param options `clipMode`, `clip` (> 0) and the backend the gradients live on.
 * @returns The norm before clipping and whether anything changed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * const g = { a: { shape: [2], data: Float64Array.from([3, 4]) } };
 * const backend = createBackend({ kind: "f64" });
 * const report = clipGradients(g, { clipMode: "norm", clip: 1, backend });
 * assert.equal(report.clipped, true);
 * assert.ok(Math.abs(g.a.data[0]! - 0.6) < 1e-12);
 * ```
 */
export function clipGradients(
  grads: Params,
  options: ClipOptions | ShortClipOptions,
): ClipReport {
  const short = "mode" in options, backend = options.backend;
  const clipMode = short ? options.mode : options.clipMode;
  const clip = short ? options.limit : options.clip;
  const gradNorm = globalNorm(grads, backend);
  if (clipMode === "none") return { gradNorm, clipped: false };
  if (!(clip > 0)) throw new RangeError(`Invalid clip limit ${clip}: expected a positive number`);
  let clipped = false;
  if (clipMode === "norm") {
    if (gradNorm > clip) {
      for (const g of Object.values(grads)) backend.scale(g.data, clip / gradNorm);
      clipped = true;
    }
  } else {
    for (const g of Object.values(grads)) if (backend.clamp(g.data, clip)) clipped = true;
  }
  return { gradNorm, clipped };
}
