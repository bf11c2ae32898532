/**
 * Surviving divergence: the trainer keeps the last good state in memory (weights, optimizer
 * moments, carried state, data position, dropout generator), watches every step for a loss
 * explosion, and on one either rolls back to that state with a lower learning rate or stops.
 *
 * **The rule** (numbers in {@linkcode DIVERGENCE_RULE}):
 *
 * 1. A loss or gradient norm that is not finite is a divergence at once.
 * 2. A step is *suspect* when its loss is above ln V (what a uniform guess scores) and above
 *    twice the best smoothed loss so far.
 * 3. After 3 suspect steps in a row the chunk of the last one is scored twice, from a zero
 *    state: by the current weights and by the last good ones. The run has diverged when the
 *    current weights do more than twice as badly. Otherwise the text itself is hard (say
 *    characters the model has not met yet) and the count starts over.
 *
 * A normal run stays far from this: its step losses scatter by a fraction of a nat around the
 * smoothed loss, which itself is below ln V after the first few hundred steps, and the last good
 * weights score the same text about as well as the current ones. A blow-up takes the loss to
 * several times ln V within a few steps, and the older weights still score that text normally.
 *
 * The last good state is refreshed every 50 steps, when the loss the current weights score on
 * the next chunk (computed without training on it) is not suspect. A rollback restores it and
 * halves the learning rate for the rest of the run; after 3 rollbacks in a row (without a good
 * state past the last divergence in between) the run stops.
 *
 * @module
 */
import type { Batch } from "../text/data.ts";
import type { TrainerSnapshot } from "./snapshot.ts";

/** What a run does when it diverges: roll back to the last good state, or stop. */
export const DIVERGENCE_ACTIONS = ["rollback", "stop"] as const;

/** One of {@linkcode DIVERGENCE_ACTIONS}. */
export type DivergenceAction = typeof DIVERGENCE_ACTIONS[number];

/** The numbers of the divergence rule (see the module documentation). */
export const DIVERGENCE_RULE: Readonly<{
  /** A suspect loss is above this many times the best smoothed loss (and above ln V). */
  factor: number;
  /** Suspect steps in a row before the weights are compared with the last good ones. */
  patience: number;
  /** Diverged when the current weights score the chunk this many times worse than the good. */
  confirmFactor: number;
  /** Steps between refreshes of the last good state. */
  snapshotEvery: number;
  /** What each rollback multiplies the learning rate by. */
  lrFactor: number;
  /** Rollbacks in a row before the run stops. */
  maxRollbacks: number;
}> = Object.freeze({
  factor: 2,
  patience: 3,
  confirmFactor: 2,
  snapshotEvery: 50,
  lrFactor: 0.5,
  maxRollbacks: 3,
});

/** The guard's bookkeeping that checkpoints keep, so a resumed run continues it. */
export interface DivergenceState {
  /** Lowest smoothed loss so far. */
  bestSmoothLoss: number;
  /** Factor on the learning rate (1, halved by each rollback). */
  lrScale: number;
  /** Rollbacks in a row. */
  rollbacks: number;
  /** Step at which the last divergence was caught (0: none). */
  lastDivergence: number;
}

/**
 * What the guard may do to a run, and no more (`guarded_run.ts` makes one of a trainer).
 */
export interface GuardedRun {
  /** Steps completed. */
  readonly step: number;
  /** A copy of everything a rollback restores. */
  save(): TrainerSnapshot;
  /** Puts the run back into a copy's state. */
  restore(snapshot: TrainerSnapshot): void;
  /** The loss the current weights score on the next training chunk, changing nothing. */
  probe(): number;
  /** The loss on a chunk from a zero state: of the current weights, or of a copy's. */
  score(batch: Batch, snapshot?: TrainerSnapshot): number;
}

/** A divergence caught by the trainer, and what it did about it. */
export interface DivergenceEvent {
  /** Discriminant. */
  type: "divergence";
  /** The step at which it was caught. */
  step: number;
  /** That step's loss, nats per character (`NaN` or `Infinity` when not finite). */
  loss: number;
  /** The suspect limit at the time, nats per character. */
  threshold: number;
  /** Why, in one phrase, e.g. `loss 5.76 nats/char, above 4.62 for 3 steps in a row; ...`. */
  reason: string;
  /** `rollback`: training continues from `toStep`; `stop`: the run ends. */
  action: DivergenceAction;
  /** The step of the restored state (rollback only). */
  toStep?: number;
  /** The learning rate of the next step (rollback only). */
  lr?: number;
  /** Factor on the learning rate from now on. */
  lrScale: number;
  /** Rollbacks in a row, this one included. */
  rollbacks: number;
}

/**
 * Thrown by `Trainer.train` when a run diverges and may not (or may no longer) roll back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const error = new TrainingDivergedError({
 *   type: "divergence", step: 9, loss: NaN, threshold: 4, reason: "loss is NaN, gradient norm NaN",
 *   action: "stop", lrScale: 1, rollbacks: 0,
 * });
 * assert.match(error.message, /^Training diverged at step 9: loss is NaN/);
 * ```
 */
export class TrainingDivergedError extends Error {
  /** The divergence. */
  readonly event: DivergenceEvent;

  /**
   * Makes the error; its message names the step, the reason and the usual fixes.
   *
   * @param event The divergence (its `action` is `stop`).
   */
  constructor(event: DivergenceEvent) {
    super(
      `Training diverged at step ${event.step}: ${event.reason}; lower --learning-rate or ` +
        `use --clip-mode norm`,
    );
    this.name = "TrainingDivergedError";
    this.event = event;
  }
}

/**
 * Watches a run's losses, keeps its last good state and acts on a divergence. The trainer owns
 * one (`trainer.guard`); see the module documentation for the rule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeConfig, modelConfigOf } from "./config.ts";
 * import { createModel } from "../model/create.ts";
 * import { createOptimizer } from "./optim.ts";
 * import { Rng } from "../core/rng.ts";
 * import { splitData } from "../text/data.ts";
 * import { buildVocab, encode } from "../text/vocab.ts";
 * import { Trainer } from "./trainer.ts";
 * const text = "a cat sat on a mat. ".repeat(20);
 * const vocab = buildVocab(text);
 * const config = makeConfig({ hiddenSize: 8, seqLength: 5, batchSize: 2, steps: 5 });
 * const model = createModel(modelConfigOf(config, vocab.chars.length), new Rng(1));
 * const optimizer = createOptimizer("adam", model.params, { backend: model.backend });
 * const data = splitData(encode(vocab, text), 0.1);
 * const trainer = new Trainer(model, { vocab, data, config, optimizer });
 * // nothing learnt yet: twice the smoothed loss, which starts at ln V
 * assert.equal(trainer.guard.threshold, 2 * Math.log(vocab.chars.length));
 * assert.ok(trainer.guard.isSound());
 * ```
 */
export class DivergenceGuard {
  /** What to do on a divergence (the config's `onDivergence`). */
  readonly onDivergence: DivergenceAction;
  /** ln V, the loss of a uniform guess. */
  readonly lnV: number;
  /** Lowest smoothed loss so far. */
  bestSmoothLoss: number;
  /** Factor on the learning rate. */
  lrScale: number;
  /** Rollbacks in a row. */
  rollbacks: number;
  /** Step of the last divergence (0: none). */
  lastDivergence: number;
  /** Suspect steps in a row. */
  streak = 0;
  readonly #run: GuardedRun;
  /** The last good state, and the best smoothed loss when it was kept. */
  #good: { snapshot: TrainerSnapshot; bestSmoothLoss: number };

  /**
   * Starts watching; the run's current state is the first good one.
   *
   * @param run What the guard may do to the run (`guardedRun(trainer)`).
   * @param options `onDivergence`: what to do on one; the model's `vocabSize`; the run's
   * `smoothLoss`; `resume`: the bookkeeping of a checkpoint.
   */
  constructor(
    run: GuardedRun,
    options: {
      onDivergence: DivergenceAction;
      vocabSize: number;
      smoothLoss: number;
      resume?: Partial<DivergenceState>;
    },
  ) {
    const { onDivergence, vocabSize, smoothLoss, resume = {} } = options;
    this.#run = run;
    this.onDivergence = onDivergence;
    this.lnV = Math.log(vocabSize);
    this.bestSmoothLoss = Math.min(resume.bestSmoothLoss ?? smoothLoss, smoothLoss);
    this.lrScale = resume.lrScale ?? 1;
    this.rollbacks = resume.rollbacks ?? 0;
    this.lastDivergence = resume.lastDivergence ?? 0;
    this.#good = { snapshot: run.save(), bestSmoothLoss: this.bestSmoothLoss };
  }

  /** The loss above which a step is suspect: `max(ln V, 2 * best smoothed loss)`. */
  get threshold(): number {
    return Math.max(this.lnV, DIVERGENCE_RULE.factor * this.bestSmoothLoss);
  }

  /** The step of the last good state. */
  get goodStep(): number {
    return this.#good.snapshot.step;
  }

  /** The bookkeeping for a checkpoint. */
  get divergenceState(): DivergenceState {
    const { bestSmoothLoss, lrScale, rollbacks, lastDivergence } = this;
    return { bestSmoothLoss, lrScale, rollbacks, lastDivergence };
  }

  /**
   * Judges a finished step (its loss, gradient norm and chunk).
   *
   * @param step The step's figures, after `smoothLoss` was updated.
   * @param batch The chunk it trained on (still in the stream's buffers).
   * @returns `undefined` when training goes on, else the reason it diverged.
   */
  judge(
    step: { loss: number; gradNorm: number; smoothLoss: number },
    batch: Batch,
  ): string | undefined {
    const { loss, gradNorm } = step;
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      return `loss is ${loss}, gradient norm ${gradNorm}`;
    }
    const limit = this.threshold;
    this.bestSmoothLoss = Math.min(this.bestSmoothLoss, step.smoothLoss);
    this.streak = loss > limit ? this.streak + 1 : 0;
    if (this.streak < DIVERGENCE_RULE.patience) return undefined;
    this.streak = 0;
    // the current weights and the last good ones on that chunk, from a zero state
    const current = this.#run.score(batch), good = this.#run.score(batch, this.#good.snapshot);
    if (!(current > DIVERGENCE_RULE.confirmFactor * good)) return undefined; // the text is hard
    return `loss ${loss.toFixed(2)} nats/char, above ${limit.toFixed(2)} ` +
      `(ln V and twice the best smoothed loss) for ${DIVERGENCE_RULE.patience} steps in a row, ` +
      `and ${current.toFixed(2)} on that chunk against ${good.toFixed(2)} with the weights of ` +
      `step ${this.goodStep}`;
  }

  /**
   * The loss the current weights score on the next training chunk from the carried state,
   * computed without training on it or changing anything.
   *
   * @returns Nats per character.
   */
  probe(): number {
    return this.#run.probe();
  }

  /**
   * Whether the current weights look sound: the {@linkcode DivergenceGuard.probe} loss is finite
   * and not suspect, and no suspect step is pending. Only such states are kept or saved.
   *
   * @returns `true` when sound.
   */
  isSound(): boolean {
    const loss = this.probe();
    return this.streak === 0 && Number.isFinite(loss) && loss <= this.threshold;
  }

  /** Every `snapshotEvery` steps: keeps the current state as the last good one when sound. */
  afterStep(): void {
    const { step } = this.#run;
    if (step % DIVERGENCE_RULE.snapshotEvery !== 0 || !this.isSound()) return;
    this.#good = { snapshot: this.#run.save(), bestSmoothLoss: this.bestSmoothLoss };
    if (step > this.lastDivergence) this.rollbacks = 0;
  }

  /**
   * Acts on a divergence: restores the last good state and lowers the learning rate, or,
   * with `onDivergence: "stop"` or too many rollbacks in a row, reports a stop.
   *
   * @param step The step that diverged.
   * @param loss Its loss.
   * @param reason Why (from {@linkcode DivergenceGuard.judge}).
   * @returns The event; its `action` says whether the run goes on (the trainer fills in the
   * `lr` of a rollback).
   */
  diverged(step: number, loss: number, reason: string): DivergenceEvent {
    const threshold = this.threshold;
    const { maxRollbacks, lrFactor } = DIVERGENCE_RULE;
    if (this.onDivergence === "stop" || this.rollbacks >= maxRollbacks) {
      const more = this.onDivergence === "stop" ? "" : `; still diverging after ${maxRollbacks} ` +
        `rollbacks in a row (learning rate x${this.lrScale})`;
      const { lrScale, rollbacks } = this;
      return {
        type: "divergence",
        step,
        loss,
        threshold,
        reason: reason + more,
        action: "stop",
        lrScale,
        rollbacks,
      };
    }
    this.#run.restore(this.#good.snapshot);
    this.bestSmoothLoss = this.#good.bestSmoothLoss;
    this.lrScale *= lrFactor;
    this.rollbacks++;
    this.lastDivergence = Math.max(this.lastDivergence, step);
    this.streak = 0;
    return {
      type: "divergence",
      step,
      loss,
      threshold,
      reason,
      action: "rollback",
      toStep: this.goodStep,
      lrScale: this.lrScale,
      rollbacks: this.rollbacks,
    };
  }
}
