/**
 * Learning-rate schedules: step decay and cosine annealing, after an optional linear warmup.
 * The cosine runs over the run's progress in `[0, 1]`: its steps, or for a run with a time
 * budget whichever of steps and time is further along, so a budgeted run anneals fully
 * however fast the machine is.
 *
 *   warmup  lr_t = lr * min(1, (t + 1) / warmupSteps)            then one of:
 *   step    lr * decay^floor(t / lrDecayEvery)
 *   cosine  lr * (decay + (1 - decay) * (1 + cos(pi * progress)) / 2)
 *
 * where `lr` is `learningRate` and `decay` is `lrDecay` (a `TrainConfig` is a schedule).
 *
 * @module
 */

/** Learning-rate schedules accepted by {@linkcode learningRateAt}. */
export const LR_SCHEDULES = ["step", "cosine"] as const;

/** A learning-rate schedule (see the module doc): the `TrainConfig` fields of the same names. */
export interface LrSchedule {
  /** Base learning rate. */
  learningRate: number;
  /** Which schedule; default `"step"`. */
  lrSchedule?: typeof LR_SCHEDULES[number];
  /** Step decay: factor per `lrDecayEvery` steps; cosine: final fraction of the rate. Default 1. */
  lrDecay?: number;
  /** Steps between step decays; default 1000. */
  lrDecayEvery?: number;
  /** Steps of the linear warmup from `learningRate / warmupSteps` up to it; default 0 (none). */
  warmupSteps?: number;
}

/** {@linkcode LrSchedule} in the names it had before it took the config's; still accepted. */
export interface ShortLrSchedule {
  /** Base learning rate. @deprecated Use `learningRate`. */
  lr: number;
  /** Which schedule. @deprecated Use `lrSchedule`. */
  kind?: typeof LR_SCHEDULES[number];
  /** The decay. @deprecated Use `lrDecay`. */
  decay?: number;
  /** Steps between step decays. @deprecated Use `lrDecayEvery`. */
  decayEvery?: number;
  /** Steps of the linear warmup. */
  warmupSteps?: number;
}

/**
 * The learning rate of update `step` (0-based).
 *
 * @param schedule The schedule (a `TrainConfig` is one).
 * @param step Update index (for warmup and step decay).
 * @param progress Fraction of the run done, in `[0, 1]` (for the cosine); clamped.
 * @returns The rate.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const steps = { learningRate: 1, lrDecay: 0.5, lrDecayEvery: 10 };
 * assert.ok(Math.abs(learningRateAt(steps, 25, 0) - 0.25) <= 1e-9);
 * const cosine = { learningRate: 1, lrSchedule: "cosine", lrDecay: 0 } as const;
 * assert.ok(Math.abs(learningRateAt(cosine, 50, 0.5) - 0.5) <= 1e-9);
 * assert.equal(learningRateAt({ learningRate: 1, warmupSteps: 4 }, 0, 0), 0.25);
 * ```
 */
export function learningRateAt(
  schedule: LrSchedule | ShortLrSchedule,
  step: number,
  progress: number,
): number {
  const { learningRate: lr, lrSchedule = "step", lrDecay: decay = 1, lrDecayEvery = 1000 } =
    "lr" in schedule ? fromShort(schedule) : schedule;
  const { warmupSteps = 0 } = schedule;
  const warm = warmupSteps > 0 ? Math.min(1, (step + 1) / warmupSteps) : 1;
  if (lrSchedule === "cosine") {
    const p = Math.min(1, Math.max(0, progress));
    return warm * lr * (decay + 0.5 * (1 - decay) * (1 + Math.cos(Math.PI * p)));
  }
  return warm * lr * decay ** Math.floor(step / lrDecayEvery);
}

/** A schedule in the earlier names, in the config's. */
function fromShort(s: ShortLrSchedule): LrSchedule {
  const { lr: learningRate, kind: lrSchedule, decay: lrDecay, decayEvery: lrDecayEvery } = s;
  return { learningRate, lrSchedule, lrDecay, lrDecayEvery };
}
