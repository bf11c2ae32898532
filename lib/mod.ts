/**
 * A character-level language-model workbench: text preparation, a vanilla
 * RNN with its own backpropagation through time, clipping, optimizers,
 * sampling, a shared training loop, safetensors checkpoints and plot helpers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildVocab, createModel, Rng, sample } from "./mod.ts";
 * const vocab = buildVocab("to be or not to be");
 * const model = createModel({ cell: "rnn", vocabSize: vocab.chars.length, hiddenSize: 16 }, new Rng(1));
 * assert.deepEqual([...sample(model, vocab, { length: 10, rng: new Rng(2), prime: "to " })].length, 10);
 * ```
 *
 * @module
 */
export * from "./core/mod.ts";
export * from "./text/mod.ts";
export * from "./model/mod.ts";
export * from "./backend/mod.ts";
export * from "./train/mod.ts";
export * from "./io/mod.ts";
export * from "./generate/mod.ts";
export * from "./names/mod.ts";
export * from "./report/mod.ts";
