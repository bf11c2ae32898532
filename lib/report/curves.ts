/**
 * Loss curves of a training run, as the notebooks' training monitor records them (a rollback
 * moves the undone steps to a curve of their own), and the lines of their figure, long curves
 * thinned.
 *
 * @module
 */
import type { LineSeries } from "./plot.ts";

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

/**
 * Takes a rollback to `toStep` into the curves: the training points after it move to the
 * rolled-back curve (after a `NaN` gap when that already has points), and the validation points
 * after it are dropped.
 *
 * @param curves The curves, changed in place.
 * @param toStep The step the run went back to.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TrainingMonitor } from "./monitor.ts";
 * const curves = new TrainingMonitor({ steps: 10 }, { log: null }).curves;
 * curves.step.push(1, 2, 3);
 * curves.loss.push(3, 2, 9);
 * curves.smoothLoss.push(3, 3, 4);
 * rollBackCurves(curves, 2);
 * assert.deepEqual([curves.step, curves.rolledBackStep, curves.rolledBackLoss], [[1, 2], [3], [9]]);
 * ```
 */
export function rollBackCurves(curves: TrainingCurves, toStep: number): void {
  const c = curves;
  const keep = c.step.findIndex((s) => s > toStep);
  if (keep >= 0) {
    if (c.rolledBackStep.length > 0) { // a gap between two undone stretches
      c.rolledBackStep.push(toStep);
      c.rolledBackLoss.push(NaN);
    }
    for (let i = keep; i < c.step.length; i++) {
      c.rolledBackStep.push(c.step[i]!);
      c.rolledBackLoss.push(c.loss[i]!);
    }
    for (const list of [c.step, c.loss, c.smoothLoss]) list.length = keep;
  }
  const val = c.valStep.findIndex((s) => s > toStep);
  if (val >= 0) { for (const list of [c.valStep, c.valLoss, c.valBpc]) list.length = val; }
}

/**
 * The lines of the loss figure: loss per step and smoothed, validation loss (when there is
 * any) and the rolled-back steps (when there are any); training curves longer than `maxPoints`
 * are thinned.
 *
 * @param curves The curves.
 * @param maxPoints Most points per training curve.
 * @returns The lines, in nats per character.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TrainingMonitor } from "./monitor.ts";
 * const curves = new TrainingMonitor({ steps: 10 }, { log: null }).curves;
 * curves.step.push(1, 2, 3);
 * curves.loss.push(3, 2, 1);
 * curves.smoothLoss.push(3, 3, 2);
 * assert.deepEqual(curveSeries(curves, 2).map((s) => [s.name, s.x]), [
 *   ["loss per character", [1, 3]],
 *   ["smoothed", [1, 3]],
 * ]);
 * ```
 */
export function curveSeries(curves: TrainingCurves, maxPoints: number): LineSeries[] {
  const c = curves;
  const keep = thinIndices(c.step.length, maxPoints);
  const pick = (values: number[]) => keep.map((i) => values[i]!);
  const series: LineSeries[] = [
    { name: "loss per character", x: pick(c.step), y: pick(c.loss) },
    { name: "smoothed", x: pick(c.step), y: pick(c.smoothLoss) },
  ];
  if (c.valStep.length > 0) series.push({ name: "validation", x: c.valStep, y: c.valLoss });
  if (c.rolledBackStep.length > 0) {
    const kept = thinIndices(c.rolledBackStep.length, maxPoints);
    const x = kept.map((i) => c.rolledBackStep[i]!), y = kept.map((i) => c.rolledBackLoss[i]!);
    series.push({ name: "rolled back (diverged)", x, y });
  }
  return series;
}
