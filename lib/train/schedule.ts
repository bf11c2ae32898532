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

/** The parts of a training config that set its learning rate at a point of the run. */
export interface RunSchedule {
  /** Base learning rate. */
  learningRate: number;
  /** Which schedule. */
  lrSchedule: typeof LR_SCHEDULES[number];
  /** As {@linkcode LrSchedule.decay}. */
  lrDecay: number;
  /** As {@linkcode LrSchedule.decayEvery}. */
  lrDecayEvery: number;
  /** As {@linkcode LrSchedule.warmupSteps}. */
  warmupSteps: number;
  /** The run's total steps. */
  steps: number;
  /** Its time budget in minutes (0 = none). */
  maxMinutes: number;
}

/**
 * The fraction of a run done: `step / steps`, or with a time budget the spent fraction of it
 * when that is larger.
 *
 * @param config The run's steps and budget.
 * @param at Updates done and milliseconds of training spent.
 * @returns A number in `[0, 1]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(runProgress({ steps: 100, maxMinutes: 1 }, { step: 10, elapsedMs: 30_000 }), 0.5);
 * ```
 */
export function runProgress(
  config: Pick<RunSchedule, "steps" | "maxMinutes">,
  at: { step: number; elapsedMs: number },
): number {
  const budgetMs = config.maxMinutes * 60_000;
  const byTime = budgetMs > 0 ? at.elapsedMs / budgetMs : 0;
  return Math.min(1, Math.max(at.step / config.steps, byTime));
}

/**
 * The scheduled learning rate of a run's next update (before any rollback's factor).
 *
 * @param config The run's schedule.
 * @param at Updates done (the next one's 0-based index) and milliseconds spent.
 * @returns The rate.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = {
 *   learningRate: 1, lrSchedule: "cosine" as const, lrDecay: 0, lrDecayEvery: 1, warmupSteps: 0,
 *   steps: 10, maxMinutes: 0,
 * };
 * assert.ok(Math.abs(runLearningRate(config, { step: 5, elapsedMs: 0 }) - 0.5) < 1e-12);
 * ```
 */
export function runLearningRate(
  config: RunSchedule,
  at: { step: number; elapsedMs: number },
): number {
  const schedule = {
    lr: config.learningRate,
    kind: config.lrSchedule,
    decay: config.lrDecay,
    decayEvery: config.lrDecayEvery,
    warmupSteps: config.warmupSteps,
  };
  return learningRateAt(schedule, at.step, runProgress(config, at));
}
