/**
 * Learning-rate schedules: step decay and cosine annealing, after an optional linear warmup.
 * The cosine runs over the run's progress in `[0, 1]`: its steps, or for a run with a time
 * budget whichever of steps and time is further along, so a budgeted run anneals fully
 * however fast the machine is.
 *
 *   warmup  lr_t = lr * min(1, (t + 1) / warmupSteps)            then one of:
 *   step    lr * decay^floor(t / decayEvery)
 *   cosine  lr * (decay + (1 - decay) * (1 + cos(pi * progress)) / 2)
 *
 * @module
 */

/** Learning-rate schedules accepted by {@linkcode learningRateAt}. */
export const LR_SCHEDULES = ["step", "cosine"] as const;

/** A learning-rate schedule; see the module doc. */
export interface LrSchedule {
  /** Base learning rate. */
  lr: number;
  /** Which schedule; default `"step"`. */
  kind?: typeof LR_SCHEDULES[number];
  /** Step decay: factor per `decayEvery` steps; cosine: final fraction of `lr`. Default 1. */
  decay?: number;
  /** Steps between step decays; default 1000. */
  decayEvery?: number;
  /** Steps of the linear warmup from `lr / warmupSteps` up to `lr`; default 0 (none). */
  warmupSteps?: number;
}

/**
 * The learning rate of update `step` (0-based).
 *
 * @param schedule The schedule.
 * @param step Update index (for warmup and step decay).
 * @param progress Fraction of the run done, in `[0, 1]` (for the cosine); clamped.
 * @returns The rate.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(Math.abs(learningRateAt({ lr: 1, decay: 0.5, decayEvery: 10 }, 25, 0) - 0.25) <= 1e-9);
 * assert.ok(Math.abs(learningRateAt({ lr: 1, kind: "cosine", decay: 0 }, 50, 0.5) - 0.5) <= 1e-9);
 * assert.equal(learningRateAt({ lr: 1, warmupSteps: 4 }, 0, 0), 0.25);
 * ```
 */
export function learningRateAt(schedule: LrSchedule, step: number, progress: number): number {
  const { lr, kind = "step", decay = 1, decayEvery = 1000, warmupSteps = 0 } = schedule;
  const warm = warmupSteps > 0 ? Math.min(1, (step + 1) / warmupSteps) : 1;
  if (kind === "cosine") {
    const p = Math.min(1, Math.max(0, progress));
    return warm * lr * (decay + 0.5 * (1 - decay) * (1 + Math.cos(Math.PI * p)));
  }
  return warm * lr * decay ** Math.floor(step / decayEvery);
}
