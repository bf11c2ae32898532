/**
 * The character models: the one stacked RNN / LSTM / GRU on a backend, the seed's vanilla RNN as a float64 oracle, dropout masks and the model factory.
 *
 * @module
 */
export * from "./char_model.ts";
export * from "./create.ts";
export * from "./dropout.ts";
export * from "./layer_f64.ts";
export * from "./rnn_layer.ts";
export * from "./lstm.ts";
export * from "./gru.ts";
export * from "./stacked_f64.ts";
export * from "./layer.ts";
export * from "./stacked.ts";
export * from "./rnn_fast.ts";
export * from "./vanilla_rnn.ts";
