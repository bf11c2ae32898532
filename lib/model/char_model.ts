/**
 * The interface every character model implements (the stacked RNN/LSTM/GRU that trains, and
 * the seed's vanilla RNN kept as a float64 oracle), so training, sampling, checkpoints and
 * plots work with any of them, and the checks of its inputs (the model config is
 * `model_config.ts`).
 *
 * Legend: V = vocabulary size, H = hidden size, B = batch size, T = sequence length,
 * L = number of stacked layers.
 *
 * @module
 */
import type { Backend } from "../backend/types.ts";
import type { Params } from "../core/tensor.ts";
import type { ModelConfig } from "./model_config.ts";

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
