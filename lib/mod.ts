/**
 * A character-level language-model workbench: text preparation, a vanilla
 * RNN with its own backpropagation through time, clipping, optimizers,
 * sampling, a shared training loop, safetensors checkpoints and plot helpers.
 *
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * import { buildVocab, createModel, Rng, sample } from "./mod.ts";
 * const vocab = buildVocab("to be or not to be");
 * const model = createModel({ kind: "rnn", vocabSize: vocab.chars.length, hiddenSize: 16 }, new Rng(1));
 * assertEquals([...sample(model, vocab, { length: 10, rng: new Rng(2), prime: "to " })].length, 10);
 * ```
 *
 * @module
 */
export * from "./atomic_write.ts";
export * from "./checkpoint.ts";
export * from "./clip.ts";
export * from "./config.ts";
export * from "./corpus.ts";
export * from "./data.ts";
export * from "./dropout.ts";
export * from "./engine.ts";
export * from "./engine_cells.ts";
export * from "./gradcheck.ts";
export * from "./gru.ts";
export * from "./inspect.ts";
export * from "./layer.ts";
export * from "./layer_fast.ts";
export * from "./lstm.ts";
export * from "./model.ts";
export * from "./models.ts";
export * from "./names.ts";
export * from "./optim.ts";
export * from "./plot.ts";
export * from "./plot_bundle.ts";
export * from "./plot_live.ts";
export * from "./rng.ts";
export * from "./rnn.ts";
export * from "./rnn_fast.ts";
export * from "./rnn_layer.ts";
export * from "./safetensors.ts";
export * from "./sample.ts";
export * from "./softmax.ts";
export * from "./stacked.ts";
export * from "./stacked_fast.ts";
export * from "./table.ts";
export * from "./tensor.ts";
export * from "./train.ts";
export * from "./vocab.ts";
