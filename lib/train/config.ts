/**
 * One flat training configuration with documented defaults. Unknown keys and
 * invalid values throw a clear error before any work starts.
 *
 * @module
 */
import type { ClipMode } from "./clip.ts";
import {
  MODEL_KINDS,
  type ModelConfig,
  type ModelKind,
  resolveModelConfig,
} from "../model/char_model.ts";
import { type OptimizerName, OPTIMIZERS } from "./optim.ts";
import { LR_SCHEDULES } from "./schedule.ts";

/** Everything a training run needs besides the text. */
export interface TrainConfig {
  /** Recurrent cell: `"rnn"` (the seed's), `"lstm"` or `"gru"`. */
  model: ModelKind;
  /** Hidden size H. */
  hiddenSize: number;
  /** Stacked recurrent layers. */
  numLayers: number;
  /** Dropout between layers in training, in `[0, 1)`; needs `numLayers >= 2`. */
  dropout: number;
  /** Characters per chunk T (truncated BPTT length). */
  seqLength: number;
  /** Parallel streams B per step. */
  batchSize: number;
  /** Total optimizer steps (a resumed run continues up to this count). */
  steps: number;
  /** Base learning rate. */
  learningRate: number;
  /** `"step"`: multiply by `lrDecay` every `lrDecayEvery` steps; `"cosine"`: anneal to `lr * lrDecay`. */
  lrSchedule: typeof LR_SCHEDULES[number];
  /** Step schedule: factor per `lrDecayEvery` steps (1 = constant); cosine: final fraction. */
  lrDecay: number;
  /** Steps between learning-rate decays. */
  lrDecayEvery: number;
  /** `"adam"`, `"rmsprop"`, `"adagrad"` or `"sgd"`. */
  optimizer: OptimizerName;
  /** `"norm"` (global L2 norm), `"value"` (each entry, like the seed) or `"none"`. */
  clipMode: ClipMode;
  /** Clip limit: the maximum global norm, or the maximum absolute entry. */
  clip: number;
  /** Standard deviation of the initial weights; 0 means `1 / sqrt(H)`. */
  initScale: number;
  /** Fraction of the text held out at its end for validation (0 = none). */
  valFraction: number;
  /** Steps between validation passes (0 = never). */
  evalEvery: number;
  /** Steps between samples (0 = never). */
  sampleEvery: number;
  /** Characters per sample. */
  sampleLength: number;
  /** Temperature of the samples shown during training. */
  sampleTemperature: number;
  /** Seed of every random choice (initial weights, sampling). */
  seed: number;
}

/** The defaults: a model that learns visibly in under a minute on 2 cores on a float32 backend. */
export const DEFAULT_CONFIG: Readonly<TrainConfig> = Object.freeze({
  model: "rnn",
  hiddenSize: 256,
  numLayers: 1,
  dropout: 0,
  seqLength: 64,
  batchSize: 32,
  steps: 3000,
  learningRate: 2e-3,
  lrSchedule: "step",
  lrDecay: 1,
  lrDecayEvery: 1000,
  optimizer: "adam",
  clipMode: "norm",
  clip: 5,
  initScale: 0,
  valFraction: 0.1,
  evalEvery: 500,
  sampleEvery: 500,
  sampleLength: 200,
  sampleTemperature: 0.8,
  seed: 42,
});

/**
 * Merges overrides into the defaults and validates every value.
 *
 * @param overrides Values to change.
 * @returns A complete, valid configuration.
 * @throws {RangeError} naming the bad key or value and what is expected.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(makeConfig({ hiddenSize: 64 }).hiddenSize, 64);
 * assert.throws(() => makeConfig({ seqLength: 0 }), /seqLength/);
 * ```
 */
export function makeConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  for (const key of Object.keys(overrides)) {
    if (!Object.hasOwn(DEFAULT_CONFIG, key)) throw new RangeError(`Unknown config key "${key}"`);
  }
  const c: TrainConfig = { ...DEFAULT_CONFIG, ...overrides };
  const positiveInts = [
    "hiddenSize",
    "numLayers",
    "seqLength",
    "batchSize",
    "lrDecayEvery",
  ] as const;
  for (const k of positiveInts) requireInt(k, c[k], 1);
  for (const k of ["steps", "evalEvery", "sampleEvery", "sampleLength"] as const) {
    requireInt(k, c[k], 0);
  }
  requireInt("seed", c.seed, 0);
  requireRange("learningRate", c.learningRate, 0, 10, false);
  requireRange("lrDecay", c.lrDecay, 0, 1, c.lrSchedule === "cosine");
  requireRange("clip", c.clip, 0, Infinity, false);
  requireRange("initScale", c.initScale, 0, 10, true);
  requireRange("valFraction", c.valFraction, 0, 0.5, true);
  requireRange("sampleTemperature", c.sampleTemperature, 0, 100, true);
  if (!OPTIMIZERS.includes(c.optimizer)) {
    throw new RangeError(
      `Invalid optimizer "${c.optimizer}": expected one of ${OPTIMIZERS.join(", ")}`,
    );
  }
  if (!MODEL_KINDS.includes(c.model)) {
    throw new RangeError(`Invalid model "${c.model}": expected one of ${MODEL_KINDS.join(", ")}`);
  }
  if (!LR_SCHEDULES.includes(c.lrSchedule)) {
    throw new RangeError(
      `Invalid lrSchedule "${c.lrSchedule}": expected one of ${LR_SCHEDULES.join(", ")}`,
    );
  }
  resolveModelConfig(modelConfigOf(c, 1)); // checks dropout against numLayers
  if (!["norm", "value", "none"].includes(c.clipMode)) {
    throw new RangeError(`Invalid clipMode "${c.clipMode}": expected norm, value or none`);
  }
  return c;
}

function requireInt(key: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) {
    throw new RangeError(`Invalid ${key} ${v}: expected an integer >= ${min}`);
  }
}

function requireRange(key: string, v: number, lo: number, hi: number, loInclusive: boolean) {
  const ok = (loInclusive ? v >= lo : v > lo) && v <= hi && Number.isFinite(v);
  if (!ok) {
    throw new RangeError(
      `Invalid ${key} ${v}: expected a number ${loInclusive ? ">=" : ">"} ${lo} and <= ${hi}`,
    );
  }
}

/**
 * The model part of a training configuration.
 *
 * @param config The training configuration.
 * @param vocabSize Vocabulary size V of the text.
 * @returns The {@linkcode ModelConfig} to build the model from.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(modelConfigOf(makeConfig({ hiddenSize: 8 }), 5).hiddenSize, 8);
 * ```
 */
export function modelConfigOf(config: TrainConfig, vocabSize: number): ModelConfig {
  const { model: kind, hiddenSize, numLayers, dropout } = config;
  return { kind, vocabSize, hiddenSize, numLayers, dropout };
}
