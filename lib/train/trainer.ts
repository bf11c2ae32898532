/**
 * The trainer shared by the CLI and the notebooks: a model, its text, its optimizer and the one
 * step path (forward, backward, clip, update). `Trainer.train` loops over steps
 * (`train_loop.ts`); it never prints: it reports events (`events.ts`) that the caller renders.
 * A divergence guard watches every step (see `divergence.ts`): a loss explosion is rolled
 * back to the last good state with a lower learning rate, or stops the run.
 *
 * A run ends at `config.steps`, or with a time budget (`config.maxMinutes`) when the budget is
 * spent; its cosine schedule then follows whichever of steps and time is further along, so the
 * rate has annealed when the time is up, on a fast machine or a slow one. Time spent in earlier
 * sessions of a resumed run counts.
 *
 * With `config.weightAverage` the trainer keeps a moving average of the weights (`average.ts`): it is
 * what validation, samples and checkpoints use, while the optimizer trains the raw weights.
 *
 * @module
 */
import { type AveragedWeights, WeightAverage } from "./average.ts";
import { clipGradients } from "./clip.ts";
import { evaluateLoss } from "./evaluate.ts";
import { guardedRun } from "./guarded_run.ts";
import type { TrainConfig } from "./config.ts";
import { type Batch, BatchStream, type Split } from "../text/data.ts";
import type { CharModel, State } from "../model/char_model.ts";
import type { Optimizer } from "./optim.ts";
import { runLearningRate, runProgress } from "./schedule.ts";
import { mixSeed, Rng } from "../core/rng.ts";
import { sample } from "../generate/sample.ts";
import { trainLoop, type TrainOptions } from "./train_loop.ts";
import type { Vocab } from "../text/vocab.ts";
import { DivergenceGuard, type DivergenceState } from "./divergence.ts";
import { isFiniteStep, type StepReport, type TrainResult } from "./events.ts";

// the events were declared here first: they can still be imported from here
export type {
  EvalEvent,
  SampleEvent,
  StepEvent,
  StepReport,
  TrainEvent,
  TrainResult,
} from "./events.ts";

/** Where a resumed trainer continues from (as stored in a checkpoint). */
export interface TrainerResume {
  /** Steps already done. */
  step: number;
  /** Data position of the batch stream. */
  position: number;
  /** Carried hidden state `(B, H)`. */
  state: State;
  /** Smoothed loss so far. */
  smoothLoss: number;
  /** The divergence guard's bookkeeping (learning-rate factor, best smoothed loss, rollbacks). */
  divergence?: DivergenceState;
  /** Milliseconds of training already spent (counted against `config.maxMinutes`); default 0. */
  elapsedMs?: number;
  /**
   * With weight averaging: the raw weights being trained and the updates averaged so far; the
   * model given to the trainer then holds their average (as a checkpoint stores them).
   */
  average?: AveragedWeights;
}

/** Trains a model on a split text with truncated BPTT. */
export class Trainer {
  /** The model being trained. */
  readonly model: CharModel;
  /** Its vocabulary. */
  readonly vocab: Vocab;
  /** The run's settings. */
  readonly config: TrainConfig;
  /** The optimizer (its state goes into checkpoints). */
  readonly optimizer: Optimizer;
  /**
   * The run's generator (it drew the initial weights); checkpoints keep its state. Samples do
   * not draw from it: see {@linkcode Trainer.sampleText}.
   */
  readonly rng: Rng;
  /** Training batches; `stream.position` is the data position. */
  readonly stream: BatchStream;
  /** Carried hidden state of the B streams. */
  state: State;
  /** Steps completed. */
  step = 0;
  /** Smoothed training loss. */
  smoothLoss: number;
  /** The weight average, with `config.weightAverage` (see `average.ts`); else `null`. */
  readonly average: WeightAverage | null;
  /** Watches for divergence and keeps the last good state (see `divergence.ts`). */
  readonly guard: DivergenceGuard;
  /**
   * Milliseconds of the time budget used in {@linkcode Trainer.train} so far, earlier sessions
   * included (counted only while `config.maxMinutes` is set). A run the budget ends counts all
   * of it as used: what is left then is less than a validation pass.
   */
  elapsedMs = 0;
  #data: Split;
  #now: () => number;

  /**
   * Prepares a run; nothing trains until {@linkcode Trainer.train} or {@linkcode Trainer.trainStep}.
   *
   * @param model Model to train.
   * @param options Vocabulary, data, config, optimizer, the run's generator (default
   * `new Rng(config.seed)`), an optional resume point, and the clock in milliseconds that the
   * time budget is measured on (default `performance.now`).
   */
  constructor(
    model: CharModel,
    options: {
      vocab: Vocab;
      data: Split;
      config: TrainConfig;
      optimizer: Optimizer;
      rng?: Rng;
      resume?: TrainerResume;
      now?: () => number;
    },
  ) {
    const { vocab, data, config, optimizer, rng, resume, now = () => performance.now() } = options;
    this.#now = now;
    this.model = model;
    this.vocab = vocab;
    this.config = config;
    this.optimizer = optimizer;
    this.rng = rng ?? new Rng(config.seed);
    this.#data = data;
    this.stream = new BatchStream(data.train, {
      seqLength: config.seqLength,
      batchSize: config.batchSize,
      stride: config.stride || config.seqLength,
    });
    this.state = model.initialState(config.batchSize);
    this.smoothLoss = Math.log(vocab.chars.length); // the loss of a uniform guess
    if (resume) {
      this.step = resume.step;
      this.stream.position = resume.position;
      this.state = resume.state;
      this.smoothLoss = resume.smoothLoss;
      this.elapsedMs = resume.elapsedMs ?? 0;
    }
    this.average = null;
    if (config.weightAverage > 0) { // starts at the model's weights: the initial ones, or a resumed average
      const { trained, updates = 0 } = resume?.average ?? {};
      this.average = new WeightAverage(model.params, { beta: config.weightAverage, updates });
      if (trained) { // the model was given the average: it trains these
        for (const [name, p] of Object.entries(model.params)) p.data.set(trained[name]!.data);
      }
    }
    const { onDivergence } = config;
    this.guard = new DivergenceGuard(guardedRun(this), {
      onDivergence,
      vocabSize: model.config.vocabSize,
      smoothLoss: this.smoothLoss,
      resume: resume?.divergence,
    });
  }

  /**
   * One optimizer step on the next chunk: forward, backward, clip, update.
   *
   * @returns The step's figures (without timing: see {@linkcode Trainer.train}).
   * @throws {Error} when the loss or gradient norm is not finite (the update is not applied).
   */
  trainStep(): StepReport {
    const { report } = this.#step();
    if (!isFiniteStep(report)) {
      throw new Error(
        `Training diverged at step ${this.step + 1}: loss is ${report.loss}, gradient norm ` +
          `${report.gradNorm}; lower --learning-rate or use --clip-mode norm`,
      );
    }
    return report;
  }

  /** The one step path; when the loss or gradient norm is not finite, no update, no step counted. */
  #step(): { report: StepReport; batch: Batch } {
    const { model, config } = this;
    // the next chunk of each stream; a stream that wrapped around starts from a zero state
    const batch = this.stream.next();
    if (batch.wrapped) { for (const s of Object.values(this.state)) s.data.fill(0); }
    // forward and backward through the chunk
    for (const g of Object.values(model.grads)) g.data.fill(0);
    const loss = model.forward(batch.inputs, batch.targets, this.state, { train: true });
    model.backward();
    // clip the gradients; the rate of this step
    const { clipMode, clip } = config;
    const { gradNorm, clipped } = clipGradients(model.grads, {
      clipMode,
      clip,
      backend: model.backend,
    });
    const lr = this.learningRate();
    const figures = { type: "step", step: this.step + 1, loss, gradNorm, clipped, lr } as const;
    if (!isFiniteStep(figures)) {
      return { report: { ...figures, smoothLoss: this.smoothLoss, suspect: true }, batch };
    }
    // update the weights (and their average) and count the step
    this.optimizer.update(model.params, model.grads, lr, config.weightDecay);
    this.average?.update(model.params);
    this.step++;
    this.smoothLoss = 0.99 * this.smoothLoss + 0.01 * loss;
    const suspect = loss > this.guard.threshold;
    return { report: { ...figures, smoothLoss: this.smoothLoss, suspect }, batch };
  }

  /**
   * The learning rate of the next step: the schedule's, times the factor of any rollbacks.
   *
   * @returns The rate.
   */
  learningRate(): number {
    const { step, elapsedMs } = this;
    return runLearningRate(this.config, { step, elapsedMs }) * this.guard.lrScale;
  }

  /**
   * The fraction of the run done: `step / steps`, or with a time budget the spent fraction of
   * it when that is larger.
   *
   * @returns A number in `[0, 1]`.
   */
  progress(): number {
    return runProgress(this.config, { step: this.step, elapsedMs: this.elapsedMs });
  }

  /**
   * Runs `fn` with the model on the averaged weights when the run averages them (else on its
   * weights), then puts the trained weights back.
   *
   * @param fn Gets, while the model holds the average, the trained weights and the update count
   *   (what a checkpoint stores besides the model), or `undefined` when the run does not average.
   * @returns What `fn` returns.
   */
  withAverage<T>(fn: (average?: AveragedWeights) => T): T {
    const average = this.average, params = this.model.params;
    if (!average) return fn();
    average.swap(params);
    try {
      return fn({ trained: average.values, updates: average.updates });
    } finally {
      average.swap(params);
    }
  }

  /**
   * Mean loss per character over the whole validation split, with the state
   * carried across chunks (`B` streams when the split is long enough); of the averaged
   * weights when the run averages them.
   *
   * @returns Nats per character, or `NaN` when there is no validation data.
   */
  evaluate(): number {
    return this.withAverage(() => evaluateLoss(this.model, this.#data.val, this.config));
  }

  /**
   * A sample continuing from the hidden state of stream 0 (of the averaged weights when the run
   * averages them). Its random draws come from
   * `new Rng(mixSeed(config.seed, step))`: the same seed and step give the same sample, whatever
   * was sampled before, so a resumed run prints what the uninterrupted one does.
   *
   * @param length Characters to generate.
   * @param rng Where the draws come from (default: the generator of the current step).
   * @returns The text.
   */
  sampleText(
    length: number = this.config.sampleLength,
    rng: Rng = new Rng(mixSeed(this.config.seed, this.step)),
  ): string {
    const H = this.model.config.hiddenSize;
    const state: State = {};
    for (const [name, s] of Object.entries(this.state)) {
      state[name] = { shape: [1, H], data: s.data.slice(0, H) };
    }
    const temperature = this.config.sampleTemperature;
    return this.withAverage(() =>
      sample(this.model, this.vocab, { length, rng, state, temperature })
    );
  }

  /**
   * Trains until `config.steps`, reporting events to `onEvent` and awaiting it.
   * Yields to the event loop every ~50 ms so timers, signals and kernels stay responsive.
   *
   * Every step is judged by {@linkcode Trainer.guard}. On a divergence it reports a
   * `divergence` event, then with `config.onDivergence` `"rollback"` continues from the last
   * good state at a lower learning rate (steps are counted again from there); with `"stop"`, or
   * after too many rollbacks in a row, it throws.
   *
   * The time budget covers everything in here (steps, validation, samples, the handlers); the
   * run stops early enough for its last validation pass to fit in it. The loop is
   * `train_loop.ts`.
   *
   * @param options `onEvent` handler; `afterStep`, awaited once all of a step's events are
   * handled (e.g. to save a checkpoint); an optional `signal` that stops after the current step.
   *
   * @returns Steps completed, throughput, whether the time budget ended the run (`outOfTime`),
   *   and whether it stopped before its end (`stopped`: the signal).
   * @throws {TrainingDivergedError} when the run diverged and does not roll back.
   */
  train(options: TrainOptions = {}): Promise<TrainResult> {
    return trainLoop({ trainer: this, step: () => this.#step(), now: this.#now }, options);
  }

  /**
   * Whether the current weights look sound enough to keep or save: the loss they score on the
   * next chunk (without training on it) is finite and not suspect, and no suspect step is
   * pending. The CLI saves `latest` and `best` only then, so a diverged model never replaces
   * a good checkpoint.
   *
   * @returns `true` when sound.
   */
  isSound(): boolean {
    return this.guard.isSound();
  }
}
