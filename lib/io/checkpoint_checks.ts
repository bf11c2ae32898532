/**
 * The checks of what a checkpoint file holds (`checkpoint.ts` decodes it): each failure is one
 * line, `Invalid checkpoint: ...`, naming the tensor, the metadata key or the value.
 *
 * @module
 */
import type { Params } from "../core/tensor.ts";
import type { ModelConfig } from "../model/model_config.ts";
import type { DivergenceState } from "../train/divergence.ts";
import type { SafeTensor } from "./safetensors.ts";

/**
 * Copies saved tensors into a record, checking that each is there, of its shape and finite.
 *
 * @param prefix Where the record's tensors are in the file: `param`, `optim`, `state`, `train`.
 * @param record Tensors by name, written in place.
 * @param tensors The file's tensors.
 */
export function fill(prefix: string, record: Params, tensors: Record<string, SafeTensor>): void {
  for (const [name, t] of Object.entries(record)) {
    const saved = tensors[`${prefix}.${name}`];
    if (!saved) throw new Error(`Invalid checkpoint: tensor "${prefix}.${name}" is missing`);
    if (saved.shape.join(",") !== t.shape.join(",")) {
      throw new Error(
        `Invalid checkpoint: tensor "${prefix}.${name}" has shape [${saved.shape}], ` +
          `expected [${t.shape}]`,
      );
    }
    for (let k = 0; k < saved.data.length; k++) {
      if (!Number.isFinite(saved.data[k]!)) {
        throw new Error(`Invalid checkpoint: tensor "${prefix}.${name}" holds non-finite values`);
      }
    }
    t.data.set(saved.data);
  }
}

/**
 * The value of a metadata entry that holds JSON.
 *
 * @param text The entry.
 * @param key Its name, for the message.
 * @returns The parsed value (not checked further).
 */
export function parseJson<T = Record<string, unknown>>(text: string, key: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`Invalid checkpoint: metadata "${key}" is not valid JSON`);
  }
}

/**
 * Checks a count.
 *
 * @param v The value.
 * @param what Its name, for the message.
 * @returns `v`, a non-negative safe integer.
 */
export function integer(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new Error(`Invalid checkpoint: ${what} ${v} is not a non-negative integer`);
  }
  return v;
}

/**
 * Checks the divergence bookkeeping: finite numbers, a factor in (0, 1], counts >= 0.
 *
 * @param value The parsed metadata entry.
 * @returns The record.
 */
export function divergenceState(value: unknown): DivergenceState {
  const v = (value ?? {}) as Record<string, unknown>;
  const { bestSmoothLoss, lrScale, rollbacks, lastDivergence } = v;
  const ok = typeof bestSmoothLoss === "number" && Number.isFinite(bestSmoothLoss) &&
    typeof lrScale === "number" && lrScale > 0 && lrScale <= 1 &&
    Number.isSafeInteger(rollbacks) && (rollbacks as number) >= 0 &&
    Number.isSafeInteger(lastDivergence) && (lastDivergence as number) >= 0;
  if (!ok) {
    throw new Error(
      `Invalid checkpoint: metadata "divergence" is not a divergence record ` +
        `(bestSmoothLoss, lrScale in (0, 1], rollbacks, lastDivergence)`,
    );
  }
  return { bestSmoothLoss, lrScale, rollbacks, lastDivergence } as DivergenceState;
}

/**
 * Checks that the saved model is the one its training config describes.
 *
 * @param actual The saved model's config.
 * @param expected The one its training config resolves to.
 */
export function checkModelConfig(actual: ModelConfig, expected: ModelConfig): void {
  for (const key of ["cell", "hiddenSize", "numLayers", "dropout"] as const) {
    if ((actual[key] ?? expected[key]) !== expected[key]) {
      throw new Error(
        `Invalid checkpoint: the model's ${key} ${actual[key]} differs from the config's ` +
          `${expected[key]}`,
      );
    }
  }
}
