/**
 * Where the commands choose what runs the model: the `--engine` and `--threads` flags
 * (shared by `deno task train` and `deno task bench`), the engine they ask for, and the
 * one factory call both commands build fresh models with.
 *
 * @module
 */
import { createEngine, type Engine, ENGINE_KINDS } from "../lib/backend/create.ts";
import type { CharModel } from "../lib/model/char_model.ts";
import { createModel } from "../lib/model/create.ts";
import type { Rng } from "../lib/core/rng.ts";
import { modelConfigOf, type TrainConfig } from "../lib/train/config.ts";
import type { FlagTable } from "./flags.ts";

/** The values of `--engine`: a fast engine kind, or `plain` for the float64 models. */
export const ENGINE_CHOICES = [...ENGINE_KINDS, "plain"] as const;

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
      "Backend: auto | openblas | wasm | ts (fast float32 models), plain (float64 models)",
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
 * The engine `--engine` asks for.
 *
 * @param kind The `--engine` value.
 * @param threads `--threads`, when given (else the engine's default).
 * @returns The engine, or `undefined` for `plain` (the float64 models).
 * @throws {Error} when an explicitly requested backend cannot run here.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * assertEquals(openEngine("plain"), undefined);
 * assertEquals(openEngine("ts")?.kind, "ts");
 * ```
 */
export function openEngine(kind: EngineChoice, threads?: number): Engine | undefined {
  return kind === "plain" ? undefined : createEngine({ kind, threads });
}

/**
 * A freshly initialised model for a training config, on the engine or in float64.
 *
 * @param config The run's config (model kind, sizes, initial scale).
 * @param vocabSize Vocabulary size V.
 * @param rng Source of the initial weights.
 * @param engine From {@linkcode openEngine}.
 * @returns The model.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * import { Rng } from "../lib/core/rng.ts";
 * import { makeConfig } from "../lib/train/config.ts";
 * const model = buildModel(makeConfig({ hiddenSize: 3 }), 4, new Rng(1));
 * assertEquals(model.params.Whh!.shape, [3, 3]);
 * ```
 */
export function buildModel(
  config: TrainConfig,
  vocabSize: number,
  rng: Rng,
  engine?: Engine,
): CharModel {
  return createModel(modelConfigOf(config, vocabSize), rng, {
    initScale: config.initScale,
    engine,
  });
}

/**
 * What runs the model, for the header of a run and the bench results.
 *
 * @param engine From {@linkcode openEngine}.
 * @returns `label`: the engine kind or `plain`; `detail`: e.g. `wasm (relaxed-SIMD kernels), 1 thread`.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * assertEquals(describeEngine().label, "plain");
 * ```
 */
export function describeEngine(engine?: Engine): { label: string; detail: string } {
  if (!engine) return { label: "plain", detail: "plain (float64 TypeScript)" };
  return { label: engine.kind, detail: engine.detail };
}
