/**
 * One flat training configuration with documented defaults. Unknown keys and invalid values
 * (checked against the table of `config_fields.ts`, whose model fields are the model config's
 * `MODEL_FIELDS`) throw a clear error before any work starts.
 *
 * @module
 */
import type { ClipMode } from "./clip.ts";
import {
  MODEL_DEFAULTS,
  MODEL_FIELDS,
  type ModelConfig,
  type ModelFields,
  resolveModelConfig,
} from "../model/model_config.ts";
import type { OptimizerName } from "./optim.ts";
import type { LR_SCHEDULES } from "./schedule.ts";
import type { DivergenceAction } from "./divergence.ts";
import type { TokenMode } from "../text/tokens.ts";
import { checkField } from "../core/ranges.ts";
import { FORMER_CONFIG_FIELDS } from "./former_names.ts";
import { CONFIG_FIELDS } from "./config_fields.ts";

// the table was declared here first: it can still be imported from here
export { CONFIG_FIELDS, type ConfigFields } from "./config_fields.ts";

/**
 * Everything a training run needs besides the text: the model's fields (every `ModelConfig`
 * field but `vocabSize`, which the text gives), then the data, schedule and reporting.
 */
export interface TrainConfig extends ModelFields {
  /** Characters per chunk T (truncated BPTT length). */
  seqLength: number;
  /** Parallel streams B per step. */
  batchSize: number;
  /**
   * Characters each stream moves per step; 0 means `seqLength` (consecutive chunks). 1 walks the
   * seed notebook's sliding window.
   */
  stride: number;
  /** Total optimizer steps (a resumed run continues up to this count). */
  steps: number;
  /**
   * Time budget in minutes (0 = none): training stops when it is spent, and the cosine
   * schedule anneals over it (or over `steps`, whichever comes first).
   */
  maxMinutes: number;
  /** Base learning rate. */
  learningRate: number;
  /** `"step"`: multiply by `lrDecay` every `lrDecayEvery` steps; `"cosine"`: anneal to `lr * lrDecay`. */
  lrSchedule: typeof LR_SCHEDULES[number];
  /** Step schedule: factor per `lrDecayEvery` steps (1 = constant); cosine: final fraction. */
  lrDecay: number;
  /** Steps between learning-rate decays. */
  lrDecayEvery: number;
  /** Steps of linear learning-rate warmup (0 = none). */
  warmupSteps: number;
  /** `"adam"`, `"rmsprop"`, `"adagrad"` or `"sgd"`. */
  optimizer: OptimizerName;
  /** Decoupled weight decay of the weight matrices per unit of learning rate (AdamW); 0 = none. */
  weightDecay: number;
  /**
   * Weight average: its beta, the weight of the past per step, in the moving average of the
   * weights that validation, samples and checkpoints use (`train/average.ts`); 0 = none.
   */
  weightAverage: number;
  /** `"norm"` (global L2 norm), `"value"` (each entry, like the seed) or `"none"`. */
  clipMode: ClipMode;
  /** Clip limit: the maximum global norm, or the maximum absolute entry. */
  clip: number;
  /** On a loss explosion: roll back to the last good state at half the rate, or stop. */
  onDivergence: DivergenceAction;
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
  /** What a symbol is: `"codepoints"` (each code point) or `"graphemes"` (`Intl.Segmenter` clusters). */
  tokens: TokenMode;
}

/** The defaults: a model that learns visibly in under a minute on 2 cores on a float32 backend. */
export const DEFAULT_CONFIG: Readonly<TrainConfig> = Object.freeze({
  cell: "rnn",
  hiddenSize: 256,
  ...MODEL_DEFAULTS,
  seqLength: 64,
  batchSize: 32,
  stride: 0,
  steps: 3000,
  maxMinutes: 0,
  learningRate: 2e-3,
  lrSchedule: "step",
  lrDecay: 1,
  lrDecayEvery: 1000,
  warmupSteps: 0,
  optimizer: "adam",
  weightDecay: 0,
  weightAverage: 0,
  clipMode: "norm",
  clip: 5,
  onDivergence: "rollback",
  initScale: 0,
  valFraction: 0.1,
  evalEvery: 500,
  sampleEvery: 500,
  sampleLength: 200,
  sampleTemperature: 0.8,
  seed: 42,
  tokens: "codepoints",
});

/**
 * Merges overrides into the defaults and validates every value against
 * {@linkcode CONFIG_FIELDS}, then the rules between fields.
 *
 * @param overrides Values to change.
 * @returns A complete, valid configuration.
 * @throws {RangeError} naming the bad key or value and what is expected.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(makeConfig({ hiddenSize: 64 }).hiddenSize, 64);
 * assert.throws(() => makeConfig({ seqLength: 0 }), /seqLength/);
 * assert.throws(() => makeConfig({ model: "gru" } as never), /Unknown config key "model": it is "cell" now/);
 * ```
 */
export function makeConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  for (const key of Object.keys(overrides)) {
    if (Object.hasOwn(DEFAULT_CONFIG, key)) continue;
    const now = Object.hasOwn(FORMER_CONFIG_FIELDS, key)
      ? `: it is "${FORMER_CONFIG_FIELDS[key]}" now`
      : "";
    throw new RangeError(`Unknown config key "${key}"${now}`);
  }
  const c: TrainConfig = { ...DEFAULT_CONFIG, ...overrides };
  for (const key of Object.keys(CONFIG_FIELDS) as (keyof TrainConfig)[]) {
    checkField(key, CONFIG_FIELDS[key], c[key]);
  }
  if (c.lrSchedule === "step" && c.lrDecay === 0) {
    throw new RangeError(
      `Invalid lrDecay 0: expected a number > 0 and <= 1 with the step schedule ` +
        `(0 works only with lrSchedule cosine)`,
    );
  }
  resolveModelConfig(modelConfigOf(c, 1)); // checks dropout against numLayers
  return c;
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
  const model: Record<string, unknown> = { cell: config.cell, vocabSize };
  for (const key of Object.keys(MODEL_FIELDS) as (keyof ModelFields)[]) model[key] = config[key];
  return model as unknown as ModelConfig;
}
