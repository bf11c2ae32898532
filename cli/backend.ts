/**
 * Where the commands choose what runs the model: the `--backend` and `--threads` flags
 * (shared by `deno task train` and `deno task bench`), the backend they ask for, and the
 * one factory call both commands build fresh models with.
 *
 * @module
 */
import { BACKEND_KINDS, createBackend } from "../lib/backend/create.ts";
import type { Backend } from "../lib/backend/types.ts";
import type { Rng } from "../lib/core/rng.ts";
import { createModel } from "../lib/model/create.ts";
import type { StackedRnn } from "../lib/model/stacked.ts";
import { modelConfigOf, type TrainConfig } from "../lib/train/config.ts";
import type { FlagTable } from "./flags.ts";

/** One value of `--backend`: a backend kind, or `auto`. */
export type BackendChoice = typeof BACKEND_KINDS[number];

/** `--backend` (formerly `--engine`, whose `plain` is `f64`) and `--threads`. */
export const BACKEND_FLAGS = {
  backend: {
    type: "string",
    valueName: "KIND",
    choices: BACKEND_KINDS,
    valueAliases: { plain: "f64" },
    aliases: ["engine"],
    default: "auto",
    description: "Backend: auto | openblas | wasm | ts (float32), f64 (float64 reference)",
  },
  threads: {
    type: "int",
    min: 1,
    max: 256,
    defaultText: "min(2, cores)",
    description: "OpenBLAS threads for large matrix products (--backend auto or openblas)",
  },
} as const satisfies FlagTable;

/**
 * The backend `--backend` asks for.
 *
 * @param kind The `--backend` value.
 * @param threads `--threads`, when given (else the backend's default).
 * @returns The backend.
 * @throws {Error} when an explicitly requested backend cannot run here.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(openBackend("f64").kind, "f64");
 * assert.equal(openBackend("ts").kind, "ts");
 * ```
 */
export function openBackend(kind: BackendChoice, threads?: number): Backend {
  return createBackend({ kind, threads });
}

/**
 * A freshly initialised model for a training config, on a backend.
 *
 * @param config The run's config (cell, sizes, initial scale).
 * @param vocabSize Vocabulary size V.
 * @param rng Source of the initial weights.
 * @param backend From {@linkcode openBackend}.
 * @returns The model.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../lib/core/rng.ts";
 * import { makeConfig } from "../lib/train/config.ts";
 * const model = buildModel(makeConfig({ hiddenSize: 3 }), 4, new Rng(1), openBackend("f64"));
 * assert.deepEqual(model.params["l0.Wh"]!.shape, [3, 3]);
 * ```
 */
export function buildModel(
  config: TrainConfig,
  vocabSize: number,
  rng: Rng,
  backend: Backend,
): StackedRnn {
  return createModel(modelConfigOf(config, vocabSize), rng, {
    initScale: config.initScale,
    backend,
  });
}
