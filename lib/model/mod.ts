/**
 * The character models: the one stacked RNN / LSTM / GRU ({@linkcode StackedRnn}: recurrent
 * layers and an output head written once against a backend), the seed's vanilla RNN as a
 * float64 oracle, the model config (one table of its fields' ranges), dropout and zoneout masks
 * and the model factory.
 *
 * @module
 */
export * from "./char_model.ts";
export * from "./model_config.ts";
export * from "./create.ts";
export * from "./dropout.ts";
export * from "./head.ts";
export * from "./layer.ts";
export * from "./stacked.ts";
export * from "./vanilla_rnn.ts";
export * from "./zoneout.ts";
