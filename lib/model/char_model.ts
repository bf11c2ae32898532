/**
 * The interface every character model implements (the stacked RNN/LSTM/GRU that trains, and
 * the seed's vanilla RNN kept as a float64 oracle), so training, sampling, checkpoints and
 * plots work with any of them; the model config and the checks of its inputs.
 *
 * Legend: V = vocabulary size, H = hidden size, B = batch size, T = sequence length,
 * L = number of stacked layers.
 *
 * @module
 */
import type { Backend } from "../backend/types.ts";
import type { Params } from "../core/tensor.ts";
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

/** Options of {@linkcode CharModel.forward}. */
export interface ForwardOptions {
  /** Training pass: apply dropout (when the model has any); default false (evaluation). */
  train?: boolean;
}

/**
 * The recurrent state carried between chunks, as named tensors of shape `(B, H)`:
 * the seed's vanilla RNN has one, `h`; the stacked model has `h.0`, `h.1`, ... per layer
 * (bottom first), and an LSTM also `c.0`, `c.1`, ... (the cell states).
 */
export type State = Params;

/** A trainable character-level language model. */
export interface CharModel {
  /** Cell and shapes. */
  readonly config: ModelConfig;
  /** Named parameters. */
  readonly params: Params;
  /** Gradients with the same names and shapes; `backward` adds into them. */
  readonly grads: Params;
  /** The backend its tensors live on; optimizers and clipping run on it too. */
  readonly backend: Backend;
  /**
   * A zero state for `batchSize` parallel streams.
   *
   * @param batchSize B.
   */
  initialState(batchSize: number): State;
  /**
   * Runs a `(T, B)` chunk from `state`, keeps what `backward` needs, and
   * advances `state` to the state after the last step.
   *
   * @param inputs Input indices, `(T, B)` time-major.
   * @param targets Target indices, `(T, B)`.
   * @param state Carried state, updated in place.
   * @param options `train: true` for a training pass (dropout on); default evaluation.
   * @returns Mean cross-entropy per character, in nats.
   */
  forward(inputs: Int32Array, targets: Int32Array, state: State, options?: ForwardOptions): number;
  /**
   * Backpropagates the mean loss of the last `forward` through time, adding
   * into `grads` and, when given, into `dState` (the gradient with respect to
   * the state `forward` started from).
   *
   * @param dState Optional gradient accumulator for the initial state.
   */
  backward(dState?: State): void;
  /**
   * One time step without keeping anything for backward (sampling, probing).
   *
   * @param x Input index per stream, `(B)`.
   * @param state Carried state, updated in place.
   * @param logits Output, `(B, V)`.
   */
  step(x: Int32Array, state: State, logits: Float64Array): void;
}

/**
 * Validates a model config and fills in the defaults (`numLayers` 1, `dropout` 0,
 * `dropoutMask` `"position"`, `weightDrop` 0, `norm` `"none"`, `zoneout` 0).
 *
 * @param config The config to check.
 * @returns A complete copy.
 * @throws {RangeError} naming the bad field and what is expected.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = resolveModelConfig({ cell: "lstm", vocabSize: 5, hiddenSize: 8 });
 * assert.deepEqual([c.numLayers, c.dropout], [1, 0]);
 * assert.throws(() => resolveModelConfig({ ...c, dropout: 0.5 }), /2 or more layers/);
 * ```
 */
export function resolveModelConfig(config: ModelConfig): Required<ModelConfig> {
  const { cell, vocabSize, hiddenSize, numLayers = 1, dropout = 0 } = config;
  const { dropoutMask = "position", weightDrop = 0, norm = "none", zoneout = 0 } = config;
  if (!CELL_KINDS.includes(cell)) {
    throw new RangeError(`Unknown cell "${cell}": expected one of ${CELL_KINDS.join(", ")}`);
  }
  for (const [name, v] of [["vocabSize", vocabSize], ["hiddenSize", hiddenSize]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`Invalid ${name} ${v}: expected a positive integer`);
    }
  }
  if (!Number.isSafeInteger(numLayers) || numLayers < 1) {
    throw new RangeError(`Invalid numLayers ${numLayers}: expected an integer >= 1`);
  }
  if (!(dropout >= 0 && dropout < 1)) {
    throw new RangeError(`Invalid dropout ${dropout}: expected a number >= 0 and < 1`);
  }
  if (dropout > 0 && numLayers < 2) {
    throw new RangeError(
      `Invalid dropout ${dropout} with 1 layer: dropout acts between stacked layers, so it ` +
        `needs 2 or more layers; raise numLayers (--num-layers) or set dropout to 0`,
    );
  }
  if (!DROPOUT_MASKS.includes(dropoutMask)) {
    throw new RangeError(
      `Invalid dropoutMask "${dropoutMask}": expected one of ${DROPOUT_MASKS.join(", ")}`,
    );
  }
  if (!(weightDrop >= 0 && weightDrop < 1)) {
    throw new RangeError(`Invalid weightDrop ${weightDrop}: expected a number >= 0 and < 1`);
  }
  if (!MODEL_NORMS.includes(norm)) {
    throw new RangeError(`Invalid norm "${norm}": expected one of ${MODEL_NORMS.join(", ")}`);
  }
  if (!(zoneout >= 0 && zoneout < 1)) {
    throw new RangeError(`Invalid zoneout ${zoneout}: expected a number >= 0 and < 1`);
  }
  return {
    cell,
    vocabSize,
    hiddenSize,
    numLayers,
    dropout,
    dropoutMask,
    weightDrop,
    norm,
    zoneout,
  };
}

/**
 * Checks a `(T, B)` chunk for a state of batch size B and returns T.
 *
 * @param inputs Input indices, `T * B` of them.
 * @param targets Target indices, as many as `inputs`.
 * @param options The state's batch size `B` and the vocabulary size `V`.
 * @returns The sequence length T.
 * @throws {RangeError} when the lengths do not form `(T, B)` or an index is outside `[0, V)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(chunkLength(new Int32Array(6), new Int32Array(6), { B: 2, V: 3 }), 3);
 * assert.throws(() => chunkLength(Int32Array.of(5), Int32Array.of(0), { B: 1, V: 3 }), /index 5/);
 * ```
 */
export function chunkLength(
  inputs: Int32Array,
  targets: Int32Array,
  options: { B: number; V: number },
): number {
  const { B, V } = options;
  const T = inputs.length / B;
  if (!Number.isInteger(T) || T < 1 || targets.length !== inputs.length) {
    throw new RangeError(
      `Invalid chunk: ${inputs.length} inputs and ${targets.length} targets do not form ` +
        `(T, B) with B = ${B} (the state's batch size); pass equal-length (T * B) arrays`,
    );
  }
  checkIndices(inputs, V);
  checkIndices(targets, V);
  return T;
}

/**
 * Checks that every index is a character of a V-symbol vocabulary.
 *
 * @param ids Character indices.
 * @param V Vocabulary size.
 * @throws {RangeError} naming the first index outside `[0, V)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => checkIndices(Int32Array.of(0, 3), 3), /Invalid character index 3/);
 * ```
 */
export function checkIndices(ids: Int32Array, V: number): void {
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (!(id >= 0 && id < V)) {
      throw new RangeError(
        `Invalid character index ${id}: expected 0 <= index < ${V} (the vocabulary size); ` +
          `encode text with the model's vocabulary`,
      );
    }
  }
}
