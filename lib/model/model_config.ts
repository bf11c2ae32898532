/**
 * The model config: the cell and sizes a model is built from, with one table
 * ({@linkcode MODEL_FIELDS}) of the accepted values of each field. The training config takes
 * these fields, their ranges and their help lines from it, so a value passes or fails the same
 * way through `makeConfig`, `deno task train` and `createModel`.
 *
 * @module
 */
import { checkField, type FieldRule, type NumberRange } from "../core/ranges.ts";
import { DROPOUT_MASKS, type DropoutMask } from "./dropout.ts";

/** Which recurrent cell a model uses: the seed's tanh RNN, an LSTM or a GRU. */
export type CellKind = "rnn" | "lstm" | "gru";

/** The cells {@linkcode CellKind} accepts, for CLI validation. */
export const CELL_KINDS: readonly CellKind[] = ["rnn", "lstm", "gru"];

/** Normalisation of the cells' gate pre-activations: none, or layer norm (Ba et al. 2016). */
export type ModelNorm = "none" | "layer";

/** The values {@linkcode ModelNorm} accepts, for CLI validation. */
export const MODEL_NORMS: readonly ModelNorm[] = ["none", "layer"];

/** Everything needed to rebuild a model's shapes. */
export interface ModelConfig {
  /** The recurrent cell. */
  cell: CellKind;
  /** Vocabulary size V (inputs are one-hot, outputs are V logits). */
  vocabSize: number;
  /** Hidden size H. */
  hiddenSize: number;
  /** Stacked recurrent layers L; default 1. */
  numLayers?: number;
  /**
   * Dropout rate in `[0, 1)` on the outputs of every layer (between layers and
   * before the output projection), in training only; needs `numLayers >= 2`; default 0.
   */
  dropout?: number;
  /**
   * `"position"` (default): a fresh dropout mask at every time step; `"sequence"`: one mask per
   * stream and chunk, the same at every step (variational dropout, Gal and Ghahramani 2016).
   */
  dropoutMask?: DropoutMask;
  /**
   * DropConnect rate in `[0, 1)` on every layer's recurrent weights `Wh`, in training only: one
   * inverted mask per layer and chunk, shared by the B streams (the weight-dropped LSTM of
   * Merity et al. 2017); default 0.
   */
  weightDrop?: number;
  /**
   * `"layer"`: every layer normalises the input and hidden sides of its gate pre-activations,
   * per gate block, with a learned gain each (see `model/layer.ts`); default `"none"`.
   */
  norm?: ModelNorm;
  /**
   * Zoneout rate in `[0, 1)` of every layer's state (`h`, and an LSTM's `c`): in training each
   * unit keeps its previous value with this probability at each step; evaluation and sampling
   * mix in that fraction of it (Krueger et al. 2016; see `model/zoneout.ts`); default 0.
   */
  zoneout?: number;
}

/** The fields of a {@linkcode ModelConfig} that a training config sets: all but `vocabSize`. */
export type ModelFields = Required<Omit<ModelConfig, "vocabSize">>;

/** The rule (range or choices, and help line) of every field in {@linkcode ModelFields}. */
export type ModelFieldRules = { readonly [K in keyof ModelFields]: FieldRule<ModelFields[K]> };

/**
 * The accepted values of every model field but `vocabSize` (that of the text): the one source
 * of these ranges for {@linkcode resolveModelConfig}, the training config and its flags.
 */
export const MODEL_FIELDS: ModelFieldRules = Object.freeze({
  cell: {
    type: "choice",
    choices: CELL_KINDS,
    description: `Recurrent cell: ${CELL_KINDS.join(", ")} (rnn is the seed's vanilla RNN)`,
  },
  hiddenSize: { type: "int", min: 1, max: 4096, description: "Hidden units H" },
  numLayers: { type: "int", min: 1, max: 8, description: "Stacked recurrent layers" },
  dropout: {
    type: "number",
    min: 0,
    max: 1,
    exclusiveMax: true,
    description: "Dropout between layers while training (needs --num-layers 2 or more)",
  },
  dropoutMask: {
    type: "choice",
    choices: DROPOUT_MASKS,
    description: "Dropout masks: a fresh one per position, or one per sequence (variational)",
  },
  weightDrop: {
    type: "number",
    min: 0,
    max: 1,
    exclusiveMax: true,
    description: "DropConnect on the recurrent weights while training: one mask per chunk",
  },
  norm: {
    type: "choice",
    choices: MODEL_NORMS,
    description: "Normalise the gate pre-activations: none, or layer norm per gate block",
  },
  zoneout: {
    type: "number",
    min: 0,
    max: 1,
    exclusiveMax: true,
    description: "Zoneout: the chance that a state unit keeps its previous value at a step",
  },
});

/** The range of `vocabSize`: a vocabulary has at least one symbol. */
const VOCAB_SIZE: NumberRange = { type: "int", min: 1 };

/** The value of each optional model field when a config leaves it out. */
export const MODEL_DEFAULTS: Readonly<
  Pick<ModelFields, "numLayers" | "dropout" | "dropoutMask" | "weightDrop" | "norm" | "zoneout">
> = Object.freeze({
  numLayers: 1,
  dropout: 0,
  dropoutMask: "position",
  weightDrop: 0,
  norm: "none",
  zoneout: 0,
});

/**
 * Validates a model config against {@linkcode MODEL_FIELDS} and fills in the defaults
 * (`numLayers` 1, `dropout` 0, `dropoutMask` `"position"`, `weightDrop` 0, `norm` `"none"`,
 * `zoneout` 0); dropout also needs 2 or more layers.
 *
 * @param config The config to check (other keys, e.g. a model's options, are left out).
 * @returns A complete copy.
 * @throws {RangeError} naming the bad field and what is expected.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = resolveModelConfig({ cell: "lstm", vocabSize: 5, hiddenSize: 8 });
 * assert.deepEqual([c.numLayers, c.dropout], [1, 0]);
 * assert.throws(() => resolveModelConfig({ ...c, dropout: 0.5 }), /2 or more layers/);
 * assert.throws(() => resolveModelConfig({ ...c, hiddenSize: 4097 }), /<= 4096/);
 * ```
 */
export function resolveModelConfig(config: ModelConfig): Required<ModelConfig> {
  const fields: Record<string, unknown> = {};
  const defaults: Partial<ModelFields> = MODEL_DEFAULTS;
  for (const key of Object.keys(MODEL_FIELDS) as (keyof ModelFields)[]) {
    const value = config[key] === undefined ? defaults[key] : config[key];
    checkField(key, MODEL_FIELDS[key], value);
    fields[key] = value;
  }
  checkField("vocabSize", VOCAB_SIZE, config.vocabSize);
  const { cell, ...rest } = fields as ModelFields;
  if (rest.dropout > 0 && rest.numLayers < 2) {
    throw new RangeError(
      `Invalid dropout ${rest.dropout} with 1 layer: dropout acts between stacked layers, so it ` +
        `needs 2 or more layers; raise numLayers (--num-layers) or set dropout to 0`,
    );
  }
  return { cell, vocabSize: config.vocabSize, ...rest };
}
