/**
 * Where the commands choose what runs the model: the `--engine` and `--threads` flags
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

/** The values of `--engine`: a backend kind, or `plain` (an alias of `f64`). */
export const ENGINE_CHOICES = [...BACKEND_KINDS, "plain"] as const;

/** One value of `--engine`. */
export type EngineChoice = typeof ENGINE_CHOICES[number];

/** `--engine` and `--threads`. */
export const ENGINE_FLAGS = {
  engine: {
    type: "string",
    valueName: "KIND",
    choices: ENGINE_CHOICES,
    default: "auto",
    description:
      "Backend: auto | openblas | wasm | ts (float32), f64 (float64 reference; plain = f64)",
  },
  threads: {
    type: "int",
    min: 1,
    max: 256,
    defaultText: "min(2, cores)",
    description: "OpenBLAS threads for large matrix products (--engine auto or openblas)",
  },
} as const satisfies FlagTable;

/**
 * The backend `--engine` asks for.
 *
 * @param kind The `--engine` value (`plain` means `f64`).
 * @param threads `--threads`, when given (else the backend's default).
 * @returns The backend.
 * @throws {Error} when an explicitly requested backend cannot run here.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(openBackend("plain").kind, "f64");
 * assert.equal(openBackend("ts").kind, "ts");
 * ```
 */
export function openBackend(kind: EngineChoice, threads?: number): Backend {
  return createBackend({ kind: kind === "plain" ? "f64" : kind, threads });
}

/**
 * A freshly initialised model for a training config, on a backend.
 *
 * @param config The run's config (model kind, sizes, initial scale).
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
