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

/** The parts of a training config that set its learning rate at a point of the run. */
export interface RunSchedule extends Required<LrSchedule> {
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
  return learningRateAt(config, at.step, runProgress(config, at));
}
