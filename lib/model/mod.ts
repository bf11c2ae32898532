/**
 * The character models: the one stacked RNN / LSTM / GRU ({@linkcode StackedRnn}: recurrent
 * layers and an output head written once against a backend), the seed's vanilla RNN as a
 * float64 oracle, the model config (one table of its fields' ranges), dropout and zoneout masks
 * and the model factory.
 *
 * Where each piece of math lives:
 *
 * | math | file |
 * | --- | --- |
 * | the stack: layers, dropout between them, the loss | `stacked.ts` |
 * | a layer over a chunk: input side `X Wx^T + b`, DropConnect, `dWh`, `dWx` | `layer.ts` |
 * | one step of a cell, forward and backward | `rnn_cell.ts`, `lstm_cell.ts`, `gru_cell.ts` |
 * | the step's hidden side `h_{t-1} Wh^T` (and its layer norm) | `cell.ts` |
 * | the elementwise gates (sigma, tanh, `c_t`, `h_t`) | `backend/cells_ts.ts`, `kernels.as` |
 * | layer norm of gate blocks | `backend/norm_ts.ts`, `backend/wasm/kernels.as` |
 * | zoneout `s_t = m s_{t-1} + (1 - m) s~_t` | `zoneout.ts` |
 * | dropout masks | `dropout.ts` |
 * | output head: logits, softmax cross-entropy | `head.ts` (softmax rows: the backend's) |
 * | the seed's vanilla RNN, all in one file (the float64 oracle) | `vanilla_rnn.ts` |
 * | softmax, log-sum-exp (sampling's too) | `core/softmax.ts` |
 *
 * @module
 */
export * from "./cell.ts";
export * from "./char_model.ts";
export * from "./model_config.ts";
export * from "./create.ts";
export * from "./dropout.ts";
export * from "./gru_cell.ts";
export * from "./head.ts";
export * from "./layer.ts";
export * from "./lstm_cell.ts";
export * from "./rnn_cell.ts";
export * from "./stacked.ts";
export * from "./vanilla_rnn.ts";
export * from "./zoneout.ts";
