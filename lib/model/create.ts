/**
 * Builds a model of any kind from its config (used by the CLI, checkpoints and notebooks):
 * the single-layer `rnn` is the seed's {@linkcode VanillaRnn} (parameters `Wxh`, `Whh`,
 * `Why`, `bh`, `by`), or with an engine its float32 twin {@linkcode FastRnn}; stacked RNNs
 * and every LSTM or GRU are a {@linkcode StackedRnn}, or with an engine its float32 twin
 * {@linkcode FastStackedRnn}.
 *
 * @module
 */
import type { Engine } from "../backend/create.ts";
import { type CharModel, type ModelConfig, resolveModelConfig } from "./char_model.ts";
import type { Rng } from "../core/rng.ts";
import { VanillaRnn } from "./vanilla_rnn.ts";
import { FastRnn } from "./rnn_fast.ts";
import { StackedRnn } from "./stacked_f64.ts";
import { FastStackedRnn } from "./stacked.ts";

/**
 * Creates a freshly initialised model.
 *
 * @param config Kind, sizes, `numLayers` (default 1) and `dropout` (default 0).
 * @param rng Source of the initial weights.
 * @param options `initScale`: standard deviation of the initial weights (0 or omitted: the model's default);
 * `engine`: run the model in float32 on it ({@linkcode FastRnn} for a single-layer `rnn`, else
 * {@linkcode FastStackedRnn}); without one, the float64 reference models.
 * @returns The model.
 * @throws {RangeError} when the config is invalid (see {@linkcode resolveModelConfig}).
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/assert.ts";
 * import { Rng } from "../core/rng.ts";
 * const m = createModel({ kind: "rnn", vocabSize: 4, hiddenSize: 3 }, new Rng(1));
 * assertEquals(m.params.Whh!.shape, [3, 3]);
 * const g = createModel({ kind: "gru", vocabSize: 4, hiddenSize: 3, numLayers: 2 }, new Rng(1));
 * assertEquals(g.params["l1.Wh"]!.shape, [9, 3]);
 * import { createEngine } from "../backend/create.ts";
 * const f = createModel({ kind: "rnn", vocabSize: 4, hiddenSize: 3 }, new Rng(1), { engine: createEngine({ kind: "ts" }) });
 * assertEquals(f.params.Whh!.data instanceof Float32Array, true);
 * const l = createModel({ kind: "lstm", vocabSize: 4, hiddenSize: 3 }, new Rng(1), { engine: createEngine({ kind: "ts" }) });
 * assertEquals(l.params["l0.Wh"]!.data instanceof Float32Array, true);
 * ```
 */
export function createModel(
  config: ModelConfig,
  rng: Rng,
  options: { initScale?: number; engine?: Engine } = {},
): CharModel {
  const initScale = options.initScale || undefined;
  const full = resolveModelConfig(config);
  if (full.kind === "rnn" && full.numLayers === 1) {
    if (options.engine) return new FastRnn(rng, { ...config, initScale, engine: options.engine });
    return new VanillaRnn(rng, { ...config, initScale });
  }
  if (options.engine) {
    return new FastStackedRnn(rng, { ...full, initScale, engine: options.engine });
  }
  return new StackedRnn(rng, { ...full, initScale });
}
