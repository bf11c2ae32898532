/**
 * The metadata of a PyTorch-layout file (`torch_file.ts`): its model `config` (the keys of
 * `python/charrnn_model.py`'s `CharRNN`), its `vocab`, the readable `module`, and the records of
 * Adam's state and the weight average, each read back with the checks that name what is wrong.
 *
 * @module
 */
import { type ModelConfig, resolveModelConfig } from "../model/model_config.ts";
import { type Vocab, vocabFromChars } from "../text/vocab.ts";

/** Adam's record in the metadata `optimizer` (besides its moments, which are tensors). */
export interface TorchAdamRecord {
  /** Updates done, t. */
  steps: number;
  /** The learning rate of the next update. */
  lr: number;
  /** First-moment decay. */
  beta1: number;
  /** Second-moment decay. */
  beta2: number;
  /** Added to the denominator. */
  eps: number;
  /** Decoupled weight decay of the weight matrices. */
  weightDecay: number;
}

/** The weight average's record in the metadata `average` (where `beta` is written `decay`). */
export interface TorchAverageRecord {
  /** Beta, the weight of the past per update (`TrainConfig.weightAverage`). */
  beta: number;
  /** Updates averaged so far. */
  updates: number;
}

/** Metadata `config` keys and the model config fields they hold. */
const CONFIG_KEYS = {
  cell: "cell",
  vocab_size: "vocabSize",
  hidden_size: "hiddenSize",
  num_layers: "numLayers",
  dropout: "dropout",
  dropout_mask: "dropoutMask",
  weight_drop: "weightDrop",
  norm: "norm",
  zoneout: "zoneout",
} as const satisfies Record<string, keyof ModelConfig>;
const TORCH_CLASS = { rnn: "RNN", lstm: "LSTM", gru: "GRU" } as const;
/**
 * The PyTorch modules a model config maps to (as `python/charrnn_model.py` describes them).
 *
 * @param config The model config.
 * @returns E.g. `nn.LSTM(65, 128, num_layers=2) + nn.Linear(128, 65)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(
 *   describeTorchModules({ cell: "gru", vocabSize: 5, hiddenSize: 8 }),
 *   "nn.GRU(5, 8, num_layers=1) + nn.Linear(8, 5)",
 * );
 * assert.equal(
 *   describeTorchModules({ cell: "gru", vocabSize: 5, hiddenSize: 8, norm: "layer" }),
 *   "Recurrent(gru, 5, 8, num_layers=1, norm=layer) + nn.Linear(8, 5)",
 * );
 * ```
 */
export function describeTorchModules(config: ModelConfig): string {
  const c = resolveModelConfig(config), { cell, vocabSize: V, hiddenSize: H } = c;
  let extra = c.dropout > 0 ? `, dropout=${c.dropout}` : "";
  const custom = { norm: "none", zoneout: 0, dropout_mask: "position", weight_drop: 0 } as const;
  const odd = Object.entries(custom).filter(([key, none]) => torchConfigOf(c)[key] !== none);
  for (const [key] of odd) extra += `, ${key}=${torchConfigOf(c)[key]}`;
  const head = odd.length > 0 ? `Recurrent(${cell}, ` : `nn.${TORCH_CLASS[cell]}(`;
  return `${head}${V}, ${H}, num_layers=${c.numLayers}${extra}) + nn.Linear(${H}, ${V})`;
}

/**
 * The metadata `config` of a model config: `cell`, `vocab_size`, `hidden_size`, `num_layers`,
 * `dropout`, `dropout_mask`, `weight_drop`, `norm`, `zoneout`.
 *
 * @param config The model config (all fields).
 * @returns The record.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveModelConfig } from "../model/model_config.ts";
 * const c = torchConfigOf(resolveModelConfig({ cell: "lstm", vocabSize: 3, hiddenSize: 2 }));
 * assert.deepEqual([c.cell, c.norm], ["lstm", "none"]);
 * ```
 */
export function torchConfigOf(config: Required<ModelConfig>): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(CONFIG_KEYS).map(([key, field]) => [key, config[field]]),
  );
}

/**
 * The model config of the metadata `config` (keys as in {@linkcode torchConfigOf}).
 *
 * @param metadata The file's metadata.
 * @returns The validated config.
 * @throws {Error} `Invalid PyTorch file: ...` naming the problem.
 */
export function readTorchConfig(metadata: Record<string, string>): Required<ModelConfig> {
  const raw = parseTorchJson(metadata.config, "config");
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw invalid(`metadata "config" is not an object`);
  }
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = CONFIG_KEYS[key as keyof typeof CONFIG_KEYS];
    if (!field) {
      throw invalid(
        `metadata "config" has unknown key "${key}" (expected ${Object.keys(CONFIG_KEYS)})`,
      );
    }
    config[field] = value;
  }
  try {
    return resolveModelConfig(config as unknown as ModelConfig);
  } catch (e) {
    throw invalid(`metadata "config": ${(e as Error).message}`);
  }
}

/**
 * The vocabulary of the metadata `vocab`, of `V` characters.
 *
 * @param metadata The file's metadata.
 * @param V The config's vocabulary size.
 * @returns The vocabulary.
 * @throws {Error} `Invalid PyTorch file: ...` naming the problem.
 */
export function readTorchVocab(metadata: Record<string, string>, V: number): Vocab {
  const chars = parseTorchJson(metadata.vocab, "vocab");
  if (!Array.isArray(chars) || !chars.every((c) => typeof c === "string")) {
    throw invalid(`metadata "vocab" is not a list of characters`);
  }
  let vocab: Vocab;
  try {
    vocab = vocabFromChars(chars);
  } catch (e) {
    throw invalid(`metadata "vocab": ${(e as Error).message}`);
  }
  if (vocab.chars.length !== V) {
    throw invalid(
      `metadata "vocab" has ${vocab.chars.length} characters, config "vocab_size" is ${V}`,
    );
  }
  return vocab;
}

/**
 * The metadata `optimizer`, checked: Adam with a step count and sound settings.
 *
 * @param text Its JSON.
 * @returns The record.
 * @throws {Error} `Invalid PyTorch file: ...` when it is not one.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = '{"name":"adam","step":3,"lr":0.01,"betas":[0.9,0.999],"eps":1e-8,"weight_decay":0}';
 * assert.equal(readAdamRecord(text).steps, 3);
 * ```
 */
export function readAdamRecord(text: string): TorchAdamRecord {
  const r = parseTorchJson(text, "optimizer") as Record<string, unknown> | null;
  const betas = r?.betas as number[] | undefined;
  const ok = r?.name === "adam" && Number.isSafeInteger(r.step) && (r.step as number) >= 0 &&
    positive(r.lr) && Array.isArray(betas) && betas.length === 2 &&
    betas.every((b) => typeof b === "number" && b >= 0 && b < 1) && positive(r.eps) &&
    typeof r.weight_decay === "number" && r.weight_decay >= 0;
  if (!ok) {
    throw invalid(
      `metadata "optimizer" is not an Adam record ({"name": "adam", "step", "lr", ` +
        `"betas": [b1, b2], "eps", "weight_decay"})`,
    );
  }
  const [beta1, beta2] = betas as [number, number];
  const { step: steps, lr, eps, weight_decay: weightDecay } = r as Record<string, number>;
  return { steps: steps!, lr: lr!, beta1, beta2, eps: eps!, weightDecay: weightDecay! };
}

/**
 * The metadata `average`, checked.
 *
 * @param text Its JSON.
 * @returns The record.
 * @throws {Error} `Invalid PyTorch file: ...` when it is not one.
 */
export function readAverageRecord(text: string): TorchAverageRecord {
  const r = parseTorchJson(text, "average") as Record<string, unknown> | null;
  const decay = r?.decay, updates = r?.updates;
  if (
    !(typeof decay === "number" && decay > 0 && decay < 1) ||
    !(Number.isSafeInteger(updates) && (updates as number) >= 0)
  ) {
    throw invalid(`metadata "average" is not {"decay" in (0, 1), "updates" >= 0}`);
  }
  return { beta: decay, updates: updates as number };
}

function positive(v: unknown): boolean {
  return typeof v === "number" && Number.isFinite(v) && v > 0;
}

/** The error of a bad file. */
function invalid(detail: string): Error {
  return new Error(`Invalid PyTorch file: ${detail}`);
}

/** A metadata value parsed as JSON; a missing or unparsable one is a bad file. */
function parseTorchJson(text: string | undefined, key: string): unknown {
  if (text === undefined) throw invalid(`metadata "${key}" is missing`);
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(`metadata "${key}" is not valid JSON`);
  }
}
