/**
 * The accepted values of every training config field, with its one-line description: one
 * table that `makeConfig` validates against and `deno task train` builds its flags from. Its
 * model fields are the model config's table, `MODEL_FIELDS`, as they are.
 *
 * @module
 */
import { MODEL_FIELDS } from "../model/model_config.ts";
import { OPTIMIZERS } from "./optim.ts";
import { LR_SCHEDULES } from "./schedule.ts";
import { DIVERGENCE_ACTIONS } from "./divergence.ts";
import { TOKEN_MODES } from "../text/tokens.ts";
import type { FieldRule } from "../core/ranges.ts";
import type { TrainConfig } from "./config.ts";

/** The rule of every {@linkcode TrainConfig} field. */
export type ConfigFields = { readonly [K in keyof TrainConfig]: FieldRule<TrainConfig[K]> };

/**
 * The accepted values of every config field: `makeConfig` validates against this
 * table, and `deno task train` builds its flags (ranges, choices, help) from it. The model's
 * fields are `MODEL_FIELDS` itself, the rules `createModel` checks. Rules between fields
 * (dropout needs 2 or more layers, the step schedule needs `lrDecay > 0`) are checked by
 * `makeConfig` on top.
 */
export const CONFIG_FIELDS: ConfigFields = Object.freeze({
  ...MODEL_FIELDS,
  seqLength: {
    type: "int",
    min: 1,
    max: 100_000,
    description: "Characters per chunk T (truncated BPTT length)",
  },
  batchSize: { type: "int", min: 1, max: 4096, description: "Parallel text streams B per step" },
  stride: {
    type: "int",
    min: 0,
    max: 100_000,
    description:
      "Characters a stream moves per step (0 = seq length; 1 = the seed's sliding window)",
  },
  steps: {
    type: "int",
    min: 1,
    description: "Total optimizer steps (with --resume: continue up to N)",
  },
  maxMinutes: {
    type: "number",
    min: 0,
    description: "Time budget in minutes (0 = none): stop when spent; the cosine anneals over it",
  },
  learningRate: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    max: 10,
    description: "Base learning rate",
  },
  lrSchedule: {
    type: "choice",
    choices: LR_SCHEDULES,
    description:
      "step: multiply by --lr-decay every --lr-decay-every steps; cosine: anneal to lr*--lr-decay",
  },
  lrDecay: {
    type: "number",
    min: 0,
    max: 1,
    description:
      "Step: factor per --lr-decay-every steps (1 = constant); cosine: final fraction of the rate",
  },
  lrDecayEvery: { type: "int", min: 1, description: "Steps between learning-rate decays" },
  warmupSteps: {
    type: "int",
    min: 0,
    description: "Steps of linear learning-rate warmup (0 = none)",
  },
  optimizer: {
    type: "choice",
    choices: OPTIMIZERS,
    description: `Optimizer: ${OPTIMIZERS.join(", ")}`,
  },
  weightDecay: {
    type: "number",
    min: 0,
    max: 1,
    description: "Decoupled weight decay of the weight matrices (adam: AdamW); 0 = none",
  },
  weightAverage: {
    type: "number",
    min: 0,
    max: 1,
    exclusiveMax: true,
    description: "Validate, sample and save a moving average of the weights, this beta per step",
  },
  clipMode: {
    type: "choice",
    choices: ["norm", "value", "none"],
    description: "Gradient clipping: norm, value or none",
  },
  clip: {
    type: "number",
    min: 0,
    exclusiveMin: true,
    description: "Clip limit: max global norm (norm) or max |entry| (value)",
  },
  onDivergence: {
    type: "choice",
    choices: DIVERGENCE_ACTIONS,
    description:
      "On a loss explosion: rollback (to the last good state, at half the learning rate) or stop",
  },
  initScale: {
    type: "number",
    min: 0,
    max: 10,
    description: "Std of the initial weights (0 = 1/sqrt(H))",
  },
  valFraction: {
    type: "number",
    min: 0,
    max: 0.5,
    description: "Fraction of the text held out at its end for validation",
  },
  evalEvery: {
    type: "int",
    min: 0,
    description: "Steps between validation passes (0 = never)",
  },
  sampleEvery: { type: "int", min: 0, description: "Steps between samples (0 = never)" },
  sampleLength: { type: "int", min: 1, description: "Characters per training sample" },
  sampleTemperature: {
    type: "number",
    min: 0,
    max: 100,
    description: "Temperature of training samples (0 = always the most likely)",
  },
  seed: {
    type: "int",
    min: 0,
    description: "Seed of the initial weights and the samples",
  },
  tokens: {
    type: "choice",
    choices: TOKEN_MODES,
    description: "Symbols: codepoints, or graphemes (a Devanagari akshara is one symbol)",
  },
});
