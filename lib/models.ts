/**
 * Builds a model of any kind from its config (used by the CLI, checkpoints and notebooks).
 *
 * @module
 */
import type { CharModel, ModelConfig } from "./model.ts";
import type { Rng } from "./rng.ts";
import { VanillaRnn } from "./rnn.ts";

/**
 * Creates a freshly initialised model.
 *
 * @param config Kind and sizes.
 * @param rng Source of the initial weights.
 * @param options `initScale`: standard deviation of the initial weights (0 or omitted: the model's default).
 * @returns The model.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * import { Rng } from "./rng.ts";
 * const m = createModel({ kind: "rnn", vocabSize: 4, hiddenSize: 3 }, new Rng(1));
 * assertEquals(m.params.Whh!.shape, [3, 3]);
 * ```
 */
export function createModel(
  config: ModelConfig,
  rng: Rng,
  options: { initScale?: number } = {},
): CharModel {
  const initScale = options.initScale || undefined;
  switch (config.kind) {
    case "rnn":
      return new VanillaRnn(rng, { ...config, initScale });
    default:
      throw new RangeError(`Unknown model kind "${config.kind}": expected rnn`);
  }
}
