/**
 * What a training run reports (`Trainer.train`): an event per step, validation pass, sample and
 * divergence, awaited by the caller's handler, and the run's result.
 *
 * @module
 */
import type { DivergenceEvent } from "./divergence.ts";

/** What one optimizer step did. */
export interface StepEvent {
  /** Discriminant. */
  type: "step";
  /** Number of completed steps (1 after the first update). */
  step: number;
  /** Mean loss per character of this step, in nats. */
  loss: number;
  /** Exponential moving average of `loss` (weight 0.99 on the past). */
  smoothLoss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Whether clipping changed the gradients. */
  clipped: boolean;
  /** Learning rate used (the schedule's, times the factor of any rollbacks). */
  lr: number;
  /** Whether the loss is above the divergence guard's limit (see `divergence.ts`). */
  suspect?: boolean;
  /** Training throughput so far in this run, characters per second. */
  charsPerSec: number;
  /** Milliseconds spent in this run so far. */
  elapsedMs: number;
  /** Estimated milliseconds until the run ends (its steps or its time budget). */
  etaMs: number;
  /** Fraction of the run done, in `[0, 1]`: of its steps, or of its time budget if further. */
  progress: number;
}

/** What `Trainer.trainStep` returns: a step's figures without the run's timing. */
export type StepReport = Omit<StepEvent, "charsPerSec" | "elapsedMs" | "etaMs" | "progress">;

/** What `Trainer.train` returns. */
export interface TrainResult {
  /** Steps completed. */
  steps: number;
  /** Training throughput of this session, characters per second (0 when it trained nothing). */
  charsPerSec: number;
  /** Whether it stopped before its end (the signal). */
  stopped: boolean;
  /** Whether the time budget ended it. */
  outOfTime: boolean;
}

/** A text sample drawn during training. */
export interface SampleEvent {
  /** Discriminant. */
  type: "sample";
  /** Steps completed. */
  step: number;
  /** The generated text. */
  text: string;
}

/** A validation pass. */
export interface EvalEvent {
  /** Discriminant. */
  type: "eval";
  /** Steps completed. */
  step: number;
  /** Mean validation loss per character, in nats. */
  valLoss: number;
  /** The same in bits per character. */
  valBpc: number;
}

/** Any event of `Trainer.train`. */
export type TrainEvent = StepEvent | SampleEvent | EvalEvent | DivergenceEvent;

/**
 * Whether a step's loss and gradient norm are finite (a step that is not is reported as a
 * divergence only).
 *
 * @param step The step's figures.
 * @returns `true` when both are finite.
 */
export function isFiniteStep(step: { loss: number; gradNorm: number }): boolean {
  return Number.isFinite(step.loss) && Number.isFinite(step.gradNorm);
}
