/**
 * The interface every character model implements (vanilla RNN now, LSTM/GRU
 * later), so training, sampling, checkpoints and plots work with any of them.
 *
 * Legend: V = vocabulary size, H = hidden size, B = batch size, T = sequence length.
 *
 * @module
 */
import type { Params } from "./tensor.ts";

/** Which recurrent cell a model uses. */
export type ModelKind = "rnn";

/** Everything needed to rebuild a model's shapes. */
export interface ModelConfig {
  /** The recurrent cell. */
  kind: ModelKind;
  /** Vocabulary size V (inputs are one-hot, outputs are V logits). */
  vocabSize: number;
  /** Hidden size H. */
  hiddenSize: number;
}

/**
 * The recurrent state carried between chunks, as named tensors of shape `(B, H)`
 * (the vanilla RNN has one, `h`).
 */
export type State = Params;

/** A trainable character-level language model. */
export interface CharModel {
  /** Shapes and kind. */
  readonly config: ModelConfig;
  /** Named parameters. */
  readonly params: Params;
  /** Gradients with the same names and shapes; `backward` adds into them. */
  readonly grads: Params;
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
   * @returns Mean cross-entropy per character, in nats.
   */
  forward(inputs: Int32Array, targets: Int32Array, state: State): number;
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
