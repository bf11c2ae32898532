/**
 * The loop of `Trainer.train`, read top to bottom as nanoGPT's: a step and its event; on a
 * divergence, a rollback or a stop; the end of the run (its steps or its time budget); validation
 * and samples at their intervals; the caller's `afterStep`. It never prints: it reports events
 * and awaits the caller's handler, so a notebook can redraw a plot in place.
 *
 * @module
 */
import type { Batch } from "../text/data.ts";
import { type DivergenceEvent, TrainingDivergedError } from "./divergence.ts";
import {
  isFiniteStep,
  type StepEvent,
  type StepReport,
  type TrainEvent,
  type TrainResult,
} from "./events.ts";
import { TimeBudget } from "./time_budget.ts";
import type { Trainer } from "./trainer.ts";

/** Options of `Trainer.train`. */
export interface TrainOptions {
  /** Gets every event, and is awaited. */
  onEvent?: (event: TrainEvent) => void | Promise<void>;
  /** Awaited once all of a step's events are handled (e.g. to save a checkpoint). */
  afterStep?: (step: number) => void | Promise<void>;
  /** Stops the run after the current step. */
  signal?: AbortSignal;
}

/** What the loop drives: a trainer, with its one step path and its clock (`Trainer.train`). */
export interface LoopParts {
  /** The trainer. */
  trainer: Trainer;
  /** One step on the next chunk: its figures, and the chunk (not finite: nothing updated). */
  step: () => { report: StepReport; batch: Batch };
  /** The clock the time budget is measured on, in milliseconds. */
  now: () => number;
}

/** A session's training speed: validation, samples and handlers do not count. */
class Speed {
  /** Steps trained. */
  steps = 0;
  /** Milliseconds they took. */
  ms = 0;
  /** When the last one ended, on the clock. */
  lastEndMs = 0;

  /** Counts a step that ran from `t0` to `t1` on the clock. */
  add(t0: number, t1: number): void {
    this.steps++;
    this.ms += t1 - t0;
    this.lastEndMs = t1;
  }

  /** Characters per second at `charsPerStep` a step (0 before the first step). */
  charsPerSec(charsPerStep: number): number {
    return this.steps > 0 ? (this.steps * charsPerStep) / (this.ms / 1000) : 0;
  }
}

/** What ends a run: its step count, or its time budget. */
type End = "steps" | "time" | undefined;

/**
 * Trains until the run's end; see `Trainer.train`.
 *
 * @param parts The trainer, its step and its clock.
 * @param options The event handler, `afterStep` and the stop signal.
 * @returns Steps completed, throughput, and how the run ended.
 * @throws {TrainingDivergedError} when the run diverged and does not roll back.
 */
export async function trainLoop(
  parts: LoopParts,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const { trainer, now } = parts, { config, guard } = trainer;
  const { onEvent = () => {}, afterStep, signal } = options;
  const time = new TimeBudget({ maxMinutes: config.maxMinutes, elapsedMs: trainer.elapsedMs, now });
  const speed = new Speed();
  let evalMs = 0, lastYield = performance.now();
  let end = endOf(trainer, time, evalMs);
  while (end === undefined && !signal?.aborted) {
    // one step on the next chunk, judged by the divergence guard
    const t0 = now();
    const { report, batch } = parts.step();
    const reason = guard.judge(report, batch);
    speed.add(t0, now());
    // report it, unless its loss or gradient norm is not finite (that is a divergence)
    trainer.elapsedMs = time.elapsedMs();
    if (isFiniteStep(report)) await onEvent(stepEvent(trainer, report, { speed, time }));
    // a divergence: go on from the last good state at a lower rate, or stop
    if (reason !== undefined) {
      const event = rollBackOrStop(trainer, { step: report.step, loss: report.loss, reason });
      await onEvent(event);
      if (event.action === "stop") throw new TrainingDivergedError(event);
      continue;
    }
    // whether this step ends the run, decided first so that the last step is validated
    trainer.elapsedMs = time.elapsedMs();
    end = endOf(trainer, time, evalMs);
    // validation and a sample at their intervals, and after the last step
    if (due(trainer.step, config.evalEvery, end)) {
      evalMs = await validate(trainer, { now, onEvent });
    }
    if (due(trainer.step, config.sampleEvery, end)) {
      await onEvent({ type: "sample", step: trainer.step, text: trainer.sampleText() });
    }
    // the guard keeps a good state now and then; then the caller's afterStep (e.g. a save)
    guard.afterStep();
    await afterStep?.(trainer.step);
    // every ~50 ms, let timers, signals and a notebook's kernel run
    if (performance.now() - lastYield > 50) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      lastYield = performance.now();
    }
  }
  // the time spent; a run its budget ended has used it all (less than a validation pass is left)
  trainer.elapsedMs = end === "time" ? Math.max(time.elapsedMs(), time.budgetMs) : time.elapsedMs();
  return {
    steps: trainer.step,
    charsPerSec: speed.charsPerSec(trainer.stream.charsPerBatch),
    stopped: end === undefined,
    outOfTime: end === "time",
  };
}

/** What ends the run after its current step, if anything. */
function endOf(trainer: Trainer, time: TimeBudget, evalMs: number): End {
  if (trainer.step >= trainer.config.steps) return "steps";
  return time.outOfTime(trainer.elapsedMs, evalMs) ? "time" : undefined;
}

/** Whether something done every `every` steps is due at `step` (always at the end). */
function due(step: number, every: number, end: End): boolean {
  return every > 0 && (step % every === 0 || end !== undefined);
}

/** A step's figures with the session's speed and time, and the run's progress. */
function stepEvent(
  trainer: Trainer,
  report: StepReport,
  session: { speed: Speed; time: TimeBudget },
): StepEvent {
  const { speed, time } = session;
  const left = (trainer.config.steps - trainer.step) * (speed.ms / speed.steps);
  return {
    ...report,
    charsPerSec: speed.charsPerSec(trainer.stream.charsPerBatch),
    elapsedMs: speed.lastEndMs - time.startMs,
    etaMs: Math.min(left, time.leftMs(trainer.elapsedMs)),
    progress: trainer.progress(),
  };
}

/**
 * Acts on a divergence: the guard restores the last good state and lowers the rate (the event
 * names the rate of the next step), or says the run stops.
 */
function rollBackOrStop(
  trainer: Trainer,
  divergence: { step: number; loss: number; reason: string },
): DivergenceEvent {
  const { step, loss, reason } = divergence;
  const event = trainer.guard.diverged(step, loss, reason);
  return event.action === "rollback" ? { ...event, lr: trainer.learningRate() } : event;
}

/** A validation pass, reported when the run has validation data; returns how long it took. */
async function validate(
  trainer: Trainer,
  loop: { now: () => number; onEvent: (event: TrainEvent) => void | Promise<void> },
): Promise<number> {
  const start = loop.now();
  const valLoss = trainer.evaluate();
  const ms = loop.now() - start;
  if (!Number.isNaN(valLoss)) {
    await loop.onEvent({ type: "eval", step: trainer.step, valLoss, valBpc: valLoss / Math.LN2 });
  }
  return ms;
}
