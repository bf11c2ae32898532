/**
 * A copy of everything that makes a training run's state, kept in memory so the divergence
 * guard can go back to it: weights (and their moving average), optimizer moments and step
 * count, carried hidden state, data position, step, smoothed loss and the dropout mask
 * generator.
 *
 * @module
 */
import type { CharModel, State } from "../model/char_model.ts";
import type { FloatArray, Params } from "../core/tensor.ts";
import { Rng, type RngState } from "../core/rng.ts";
import type { BatchStream } from "../text/data.ts";
import type { Optimizer } from "./optim.ts";
import type { WeightAverage } from "./average.ts";

/** The parts of a trainer a snapshot copies (a `Trainer` is one). */
export interface TrainerState {
  /** The model. */
  readonly model: CharModel;
  /** Its optimizer. */
  readonly optimizer: Optimizer;
  /** Training batches (`position` is the data position). */
  readonly stream: BatchStream;
  /** Carried hidden state. */
  state: State;
  /** Steps completed. */
  step: number;
  /** Smoothed training loss. */
  smoothLoss: number;
  /** The moving average of the weights, if the run keeps one. */
  readonly average?: WeightAverage | null;
}

/** A copy of a trainer's state (see {@linkcode takeSnapshot}). */
export interface TrainerSnapshot {
  /** Steps completed. */
  readonly step: number;
  /** Data position. */
  readonly position: number;
  /** Smoothed training loss. */
  readonly smoothLoss: number;
  /** Parameter values by name. */
  readonly params: Readonly<Record<string, FloatArray>>;
  /** Optimizer moments by name. */
  readonly moments: Readonly<Record<string, FloatArray>>;
  /** The optimizer's step count. */
  readonly optimizerSteps: number;
  /** Carried hidden state by name. */
  readonly state: Readonly<Record<string, FloatArray>>;
  /** The dropout generator's state, when the model has one. */
  readonly dropoutRng: RngState | null;
  /** The moving average's values and update count, when the run keeps one. */
  readonly average: { values: Readonly<Record<string, FloatArray>>; updates: number } | null;
}

/**
 * Copies a trainer's state.
 *
 * @param trainer The trainer.
 * @returns The copy (it shares no memory with the trainer).
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
 * const config = makeConfig({ hiddenSize: 8, seqLength: 5, batchSize: 2 });
 * const model = createModel(modelConfigOf(config, vocab.chars.length), new Rng(1));
 * const optimizer = createOptimizer("adam", model.params, { backend: model.backend });
 * const trainer = new Trainer(model, {
 *   vocab, data: splitData(encode(vocab, text), 0.1), config, optimizer,
 * });
 * const before = takeSnapshot(trainer);
 * const loss = trainer.trainStep().loss;
 * restoreSnapshot(trainer, before);
 * assert.equal(trainer.step, 0);
 * assert.equal(trainer.trainStep().loss, loss); // the same step again
 * ```
 */
export function takeSnapshot(trainer: TrainerState): TrainerSnapshot {
  return {
    step: trainer.step,
    position: trainer.stream.position,
    smoothLoss: trainer.smoothLoss,
    params: copyRecord(trainer.model.params),
    moments: copyRecord(trainer.optimizer.state),
    optimizerSteps: trainer.optimizer.steps,
    state: copyRecord(trainer.state),
    dropoutRng: dropoutRngOf(trainer.model)?.getState() ?? null,
    average: trainer.average
      ? { values: copyRecord(trainer.average.values), updates: trainer.average.updates }
      : null,
  };
}

/**
 * Puts a trainer back into a snapshot's state (see {@linkcode takeSnapshot} for an example).
 *
 * @param trainer The trainer the snapshot was taken of.
 * @param snapshot The copy.
 */
export function restoreSnapshot(trainer: TrainerState, snapshot: TrainerSnapshot): void {
  setRecord(trainer.model.params, snapshot.params);
  setRecord(trainer.optimizer.state, snapshot.moments);
  trainer.optimizer.steps = snapshot.optimizerSteps;
  setRecord(trainer.state, snapshot.state);
  trainer.step = snapshot.step;
  trainer.stream.position = snapshot.position;
  trainer.smoothLoss = snapshot.smoothLoss;
  if (snapshot.dropoutRng) dropoutRngOf(trainer.model)?.setState(snapshot.dropoutRng);
  if (trainer.average && snapshot.average) {
    setRecord(trainer.average.values, snapshot.average.values);
    trainer.average.updates = snapshot.average.updates;
  }
}

/**
 * Copies of a record's arrays.
 *
 * @param record Tensors by name.
 * @returns Their values, copied.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const record = { w: { shape: [2], data: Float32Array.of(1, 2) } };
 * const copy = copyRecord(record);
 * record.w.data[0] = 9;
 * assert.deepEqual(Array.from(copy.w!), [1, 2]);
 * setRecord(record, copy);
 * assert.deepEqual(Array.from(record.w.data), [1, 2]);
 * ```
 */
export function copyRecord(record: Params): Record<string, FloatArray> {
  const out: Record<string, FloatArray> = {};
  for (const [name, t] of Object.entries(record)) out[name] = t.data.slice();
  return out;
}

/**
 * Writes saved arrays back into a record's tensors (same names and sizes), in place.
 *
 * @param record Tensors by name.
 * @param saved From {@linkcode copyRecord}.
 */
export function setRecord(record: Params, saved: Readonly<Record<string, FloatArray>>): void {
  for (const [name, t] of Object.entries(record)) t.data.set(saved[name]!);
}

/** The dropout mask generator of a model that has one (stacked models). */
function dropoutRngOf(model: CharModel): Rng | undefined {
  const r = (model as { dropoutRng?: unknown }).dropoutRng;
  return r instanceof Rng ? r : undefined;
}
