/**
 * Loss curves of a training run, as the notebooks' training monitor records them, and the
 * thinning of long curves for plotting.
 *
 * @module
 */

/**
 * The curves a {@linkcode TrainingMonitor} records, one entry per event.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TrainingMonitor } from "./monitor.ts";
 * const monitor = new TrainingMonitor({ steps: 10 }, { log: null });
 * monitor.record({ type: "eval", step: 5, valLoss: Math.LN2, valBpc: 1 });
 * const curves: TrainingCurves = monitor.curves;
 * assert.deepEqual([curves.valStep, curves.valBpc, curves.step], [[5], [1], []]);
 * ```
 */
export interface TrainingCurves {
  /** Step of each training point. */
  step: number[];
  /** Loss per character of each step, in nats. */
  loss: number[];
  /** Smoothed loss at each step, in nats. */
  smoothLoss: number[];
  /** Step of each validation point. */
  valStep: number[];
  /** Validation loss per character, in nats. */
  valLoss: number[];
  /** Validation loss per character, in bits. */
  valBpc: number[];
  /** Steps trained and then undone by a rollback (the loss ran away). */
  rolledBackStep: number[];
  /** Their losses per character, in nats (`NaN` between two undone stretches: a gap). */
  rolledBackLoss: number[];
}

/**
 * Every `stride`-th index of `n` points, and always the last one, so that at most about `max`
 * points are kept (all of them when `n <= max`).
 *
 * @param n Number of points.
 * @param max Most points to keep (at least 2).
 * @returns Increasing indices, first 0 and last `n - 1`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(thinIndices(10, 4), [0, 3, 6, 9]);
 * assert.deepEqual(thinIndices(3, 4), [0, 1, 2]);
 * ```
 */
export function thinIndices(n: number, max: number): number[] {
  if (n <= max) return [...Array(n).keys()];
  const stride = Math.ceil((n - 1) / (Math.max(2, max) - 1));
  const kept: number[] = [];
  for (let i = 0; i < n - 1; i += stride) kept.push(i);
  kept.push(n - 1);
  return kept;
}
