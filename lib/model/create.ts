/**
 * The model factory used by the CLI (train, sample, bench), checkpoints and notebooks: every
 * cell and depth is a {@linkcode StackedRnn} on the given backend.
 *
 * @module
 */
import { createBackend } from "../backend/create.ts";
import type { Backend } from "../backend/types.ts";
import type { Rng } from "../core/rng.ts";
import { type ModelConfig, resolveModelConfig } from "./model_config.ts";
import { StackedRnn } from "./stacked.ts";

/**
 * Creates a freshly initialised model.
 *
 * @param config Cell, sizes, `numLayers` (default 1) and `dropout` (default 0).
 * @param rng Source of the initial weights; `null` leaves them zero (a checkpoint fills them).
 * @param options `initScale`: standard deviation of the initial weights (0 or omitted:
 * `1 / sqrt(H)`); `backend`: where it runs (default `createBackend()`, the fastest here; pass
 * `createBackend({ kind: "f64" })` for the float64 reference).
 * @returns The model.
 * @throws {RangeError} when the config is invalid (see {@linkcode resolveModelConfig}).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * const m = createModel({ cell: "rnn", vocabSize: 4, hiddenSize: 3 }, new Rng(1));
 * assert.deepEqual(m.params["l0.Wh"]!.shape, [3, 3]);
 * const backend = createBackend({ kind: "f64" });
 * const g = createModel({ cell: "gru", vocabSize: 4, hiddenSize: 3, numLayers: 2 }, new Rng(1), { backend });
 * assert.deepEqual(g.params["l1.Wh"]!.shape, [9, 3]);
 * assert.ok(g.params["l1.Wh"]!.data instanceof Float64Array);
 * ```
 */
export function createModel(
  config: ModelConfig,
  rng: Rng | null,
  options: { initScale?: number; backend?: Backend } = {},
): StackedRnn {
  const initScale = options.initScale || undefined;
  return new StackedRnn(rng, {
    ...resolveModelConfig(config),
    initScale,
    backend: options.backend ?? createBackend(),
  });
}
