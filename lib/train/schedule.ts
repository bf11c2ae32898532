/**
 * Learning-rate schedules: step decay and cosine annealing.
 *
 * @module
 */

/** Learning-rate schedules accepted by {@linkcode learningRateAt}. */
export const LR_SCHEDULES = ["step", "cosine"] as const;

/**
 * A learning-rate schedule:
 * - `"step"`: `lr * decay^floor(step / decayEvery)` (constant when `decay` is 1);
 * - `"cosine"`: from `lr` down to `lr * decay` along half a cosine over `totalSteps`.
 */
export interface LrSchedule {
  /** Base learning rate. */
  lr: number;
  /** Which schedule; default `"step"`. */
  kind?: typeof LR_SCHEDULES[number];
  /** Step decay: factor per `decayEvery` steps; cosine: final fraction of `lr`. Default 1. */
  decay?: number;
  /** Steps between step decays; default 1000. */
  decayEvery?: number;
  /** Length of the cosine; default 1. */
  totalSteps?: number;
}

/**
 * The learning rate at `step` (0-based).
 *
 * @param schedule The schedule.
 * @param step Update index.
 * @returns The rate.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(Math.abs(learningRateAt({ lr: 1, decay: 0.5, decayEvery: 10 }, 25) - 0.25) <= 1e-9);
 * assert.ok(Math.abs(learningRateAt({ lr: 1, kind: "cosine", decay: 0, totalSteps: 100 }, 50) - 0.5) <= 1e-9);
 * ```
 */
export function learningRateAt(schedule: LrSchedule, step: number): number {
  const { lr, kind = "step", decay = 1, decayEvery = 1000, totalSteps = 1 } = schedule;
  if (kind === "cosine") {
    const progress = Math.min(1, step / totalSteps);
    const floor = lr * decay;
    return floor + 0.5 * (lr - floor) * (1 + Math.cos(Math.PI * progress));
  }
  return lr * decay ** Math.floor(step / decayEvery);
}
