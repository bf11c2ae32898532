/**
 * Names that changed: the config and model-config fields renamed since earlier versions, by
 * their former names, and how a record saved under them (a checkpoint's metadata, a config
 * stored with an exported model) is read under the current ones. Every other field passes
 * through unchanged, so the usual checks still see it.
 *
 * @module
 */
import type { ModelConfig } from "../model/model_config.ts";
import type { TrainConfig } from "./config.ts";

/** {@linkcode TrainConfig} fields by their former names. */
export const FORMER_CONFIG_FIELDS: Readonly<Record<string, keyof TrainConfig>> = Object.freeze({
  model: "cell",
  ema: "weightAverage",
});

/** {@linkcode ModelConfig} fields by their former names. */
export const FORMER_MODEL_FIELDS: Readonly<Record<string, keyof ModelConfig>> = Object.freeze({
  kind: "cell",
});

/**
 * A saved training config under the current field names.
 *
 * @param saved The record as written (any version).
 * @returns The same values, a field under a former name moved to its current one (unless the
 *   record has both); not yet validated.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(currentConfig({ model: "gru", hiddenSize: 8 }), { cell: "gru", hiddenSize: 8 });
 * ```
 */
export function currentConfig(saved: Readonly<Record<string, unknown>>): Partial<TrainConfig> {
  return renamed(saved, FORMER_CONFIG_FIELDS) as Partial<TrainConfig>;
}

/**
 * A saved model config under the current field names.
 *
 * @param saved The record as written (any version).
 * @returns The same values, a field under a former name moved to its current one; not yet
 *   validated.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const saved = { kind: "lstm", vocabSize: 5, hiddenSize: 8 };
 * assert.deepEqual(currentModelConfig(saved), { cell: "lstm", vocabSize: 5, hiddenSize: 8 });
 * ```
 */
export function currentModelConfig(saved: Readonly<Record<string, unknown>>): ModelConfig {
  return renamed(saved, FORMER_MODEL_FIELDS) as unknown as ModelConfig;
}

/** A copy of `record`, each former key (absent as a current one) under its current name. */
function renamed(
  record: Readonly<Record<string, unknown>>,
  former: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    const current = Object.hasOwn(former, key) ? former[key]! : key;
    out[Object.hasOwn(record, current) ? key : current] = value;
  }
  return out;
}
