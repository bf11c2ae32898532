/**
 * PyTorch-layout files: a safetensors file with a model's tensors in PyTorch's layout (see
 * `torch_format.ts` for the names, the gate order and the bias mapping), optionally Adam's
 * state and a weight average, and what PyTorch needs to rebuild and use the model in the
 * metadata:
 *
 *   format     "charrnn-torch"
 *   version    "2" (version "1" files, plain models without optimizer state, read too)
 *   config     {"cell": "gru", "vocab_size": V, "hidden_size": H, "num_layers": L, "dropout": p,
 *               "dropout_mask": "position", "weight_drop": w, "norm": "layer", "zoneout": z}
 *   vocab      the characters in index order, as a JSON list
 *   module     a readable description, e.g. `nn.LSTM(65, 128, num_layers=2) + nn.Linear(128, 65)`
 *   optimizer  (with Adam's state) {"name": "adam", "step": t, "lr", "betas": [b1, b2], "eps",
 *               "weight_decay"}, and the tensors `optim.exp_avg.<name>`,
 *               `optim.exp_avg_sq.<name>`: the moments m, v under the model's tensor names
 *   average    (with a weight average) {"decay", "updates"}; the model's tensors are then the
 *               average and `trained.<name>` the weights the optimizer trains
 *
 * Other metadata (`source`, `corpus`, `step`, `workbench`, ...) is kept as it is.
 * `python/charrnn_torch.py` reads and writes the same files. Reading validates as strictly as a
 * checkpoint: format, version, config, vocabulary, then every tensor of every group (missing,
 * extra, dtype, shape, non-finite) and the optimizer and average records.
 *
 * @module
 */
import type { Params } from "../core/tensor.ts";
import { type ModelConfig, resolveModelConfig } from "../model/model_config.ts";
import type { Vocab } from "../text/vocab.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import { readUserFile } from "./read_file.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "./safetensors.ts";
import { fromTorchTensors, type TorchDtype, toTorchTensors } from "./torch_format.ts";
import {
  describeTorchModules,
  readAdamRecord,
  readAverageRecord,
  readTorchConfig,
  readTorchVocab,
  type TorchAdamRecord,
  type TorchAverageRecord,
  torchConfigOf,
} from "./torch_metadata.ts";

/** The metadata `format` of a PyTorch-layout file. */
export const TORCH_FORMAT = "charrnn-torch";
const VERSION = "2";
const READABLE_VERSIONS = ["1", "2"];
/** The tensor name prefixes of the groups besides the model's. */
const GROUPS = { m: "optim.exp_avg.", v: "optim.exp_avg_sq.", trained: "trained." } as const;

/** Adam's state in a file: its step count, settings and moments (our parameter names). */
export interface TorchAdamState extends TorchAdamRecord {
  /** First moments, by parameter name. */
  m: Params;
  /** Second moments, by parameter name. */
  v: Params;
}

/** A weight average in a file: the model holds the average; these are the trained weights. */
export interface TorchAverage extends TorchAverageRecord {
  /** The trained (raw) weights, by parameter name. */
  trained: Params;
}

/** What a file holds, under our names: what an export writes and an import reads. */
export interface TorchSource {
  /** The model (any `CharModel` with our parameter names): the average, when averaged. */
  model: { config: ModelConfig; params: Params };
  /** Its vocabulary. */
  vocab: Vocab;
  /** Adam's state, when the file carries it. */
  optimizer?: TorchAdamState;
  /** The weight average, when the run keeps one. */
  average?: TorchAverage;
}

/** A validated PyTorch-layout file, with its tensors under our names (float64, biases folded). */
export interface TorchFile {
  /** The model config (from the metadata, checked against the tensors). */
  config: Required<ModelConfig>;
  /** The vocabulary. */
  vocab: Vocab;
  /** The model's parameters (`l<k>.Wx`, ..., `Why`, `by`): the average, when averaged. */
  params: Params;
  /** Adam's state, when the file carries it. */
  optimizer?: TorchAdamState;
  /** The weight average, when the file carries one. */
  average?: TorchAverage;
  /** `"F64"` when any tensor was float64, else `"F32"`. */
  dtype: TorchDtype;
  /** All metadata of the file. */
  metadata: Record<string, string>;
}

/**
 * Serialises a model (and Adam's state and the weight average, when given) in the PyTorch
 * layout.
 *
 * @param source The model (its config and parameters, our names), its vocabulary, and the
 *   optional optimizer state and average.
 * @param options `dtype` of the tensors (default `"F32"`); extra `metadata` strings.
 * @returns The file contents.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createModel } from "../model/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("ab");
 * const config = { cell: "lstm" as const, vocabSize: 2, hiddenSize: 3, numLayers: 2 };
 * const model = createModel(config, new Rng(1));
 * const file = decodeTorchFile(encodeTorchFile({ model, vocab }, { dtype: "F64" }));
 * const Wh = model.params["l1.Wh"]!;
 * assert.deepEqual(file.params["l1.Wh"], { shape: [12, 3], data: Float64Array.from(Wh.data) });
 * assert.equal(file.metadata.module, "nn.LSTM(2, 3, num_layers=2) + nn.Linear(3, 2)");
 * ```
 */
export function encodeTorchFile(
  source: TorchSource,
  options: { dtype?: TorchDtype; metadata?: Record<string, string> } = {},
): Uint8Array {
  const { model, vocab, optimizer: adam, average } = source;
  const config = resolveModelConfig(model.config);
  if (vocab.chars.length !== config.vocabSize) {
    throw new RangeError(
      `Cannot export: the vocabulary has ${vocab.chars.length} characters, ` +
        `the model ${config.vocabSize}`,
    );
  }
  const dtype = options.dtype;
  const tensors = toTorchTensors(config, model.params, { dtype });
  const group = (prefix: string, record: Params) => {
    for (const [name, t] of Object.entries(toTorchTensors(config, record, { dtype }))) {
      tensors[prefix + name] = t;
    }
  };
  const metadata: Record<string, string> = { ...options.metadata };
  if (adam) {
    group(GROUPS.m, adam.m);
    group(GROUPS.v, adam.v);
    const { steps: step, lr, beta1, beta2, eps, weightDecay: weight_decay } = adam;
    const record = { name: "adam", step, lr, betas: [beta1, beta2], eps, weight_decay };
    metadata.optimizer = JSON.stringify(record);
  }
  if (average) {
    group(GROUPS.trained, average.trained);
    metadata.average = JSON.stringify({ decay: average.beta, updates: average.updates });
  }
  return encodeSafetensors(tensors, {
    ...metadata,
    format: TORCH_FORMAT,
    version: VERSION,
    config: JSON.stringify(torchConfigOf(config)),
    vocab: JSON.stringify(vocab.chars),
    module: describeTorchModules(config),
  });
}

/**
 * Parses and validates a PyTorch-layout file.
 *
 * @param bytes File contents.
 * @returns The config, vocabulary, our parameters, the optimizer state and average when
 *   present, and the metadata.
 * @throws {Error} one line starting `Invalid PyTorch file:` naming the first problem.
 */
export function decodeTorchFile(bytes: Uint8Array): TorchFile {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== TORCH_FORMAT) {
    const found = metadata.format === undefined ? "missing" : `"${metadata.format}"`;
    throw invalid(`metadata "format" is ${found}, expected "${TORCH_FORMAT}"`);
  }
  if (!READABLE_VERSIONS.includes(metadata.version ?? "")) {
    throw invalid(
      `unsupported version "${metadata.version}" (this reader knows ${READABLE_VERSIONS})`,
    );
  }
  const config = readTorchConfig(metadata);
  const vocab = readTorchVocab(metadata, config.vocabSize);
  type Group = keyof typeof GROUPS;
  const groups: Record<Group | "model", Record<string, SafeTensor>> = {
    model: {},
    m: {},
    v: {},
    trained: {},
  };
  for (const [name, t] of Object.entries(tensors)) {
    const group = (Object.keys(GROUPS) as Group[]).find((g) => name.startsWith(GROUPS[g]));
    if (group) groups[group][name.slice(GROUPS[group].length)] = t;
    else groups.model[name] = t;
  }
  const params = (group: Group | "model", what: string): Params => {
    if (group !== "model" && Object.keys(groups[group]).length === 0) {
      throw invalid(`${what}the tensors ${GROUPS[group]}* are missing`);
    }
    try {
      return fromTorchTensors(config, groups[group]);
    } catch (e) {
      throw invalid(what + (e as Error).message.replace(/^Invalid PyTorch tensors: /, ""));
    }
  };
  const dtype = Object.values(tensors).some((t) => t.dtype === "F64") ? "F64" : "F32";
  const file: TorchFile = { config, vocab, params: params("model", ""), dtype, metadata };
  if (metadata.optimizer !== undefined) {
    const adam = readAdamRecord(metadata.optimizer);
    file.optimizer = {
      ...adam,
      m: params("m", "Adam's exp_avg: "),
      v: params("v", "Adam's exp_avg_sq: "),
    };
  }
  if (metadata.average !== undefined) {
    const average = readAverageRecord(metadata.average);
    file.average = { ...average, trained: params("trained", "trained weights: ") };
  }
  for (
    const [group, key] of [["m", "optimizer"], ["v", "optimizer"], ["trained", "average"]] as const
  ) {
    if (Object.keys(groups[group]).length > 0 && metadata[key] === undefined) {
      throw invalid(`tensors ${GROUPS[group]}* without metadata "${key}"`);
    }
  }
  return file;
}

/**
 * Writes a model in the PyTorch layout atomically (temp file + rename).
 *
 * @param path Destination, e.g. `runs/brown/torch.safetensors`.
 * @param source The model and its vocabulary, as in {@linkcode encodeTorchFile}.
 * @param options As in {@linkcode encodeTorchFile}.
 */
export async function saveTorchFile(
  path: string,
  source: TorchSource,
  options: { dtype?: TorchDtype; metadata?: Record<string, string> } = {},
): Promise<void> {
  await writeFileAtomic(path, encodeTorchFile(source, options));
}

/**
 * Reads and validates a PyTorch-layout file.
 *
 * @param path The file.
 * @returns The validated contents.
 * @throws {Error} one line naming the file, the problem and the fix.
 */
export async function loadTorchFile(path: string): Promise<TorchFile> {
  const bytes = await readUserFile(path, "PyTorch file");
  try {
    return decodeTorchFile(bytes);
  } catch (e) {
    const msg = (e as Error).message.replace(/^Invalid (safetensors file|PyTorch file): /, "");
    throw new Error(
      `Invalid PyTorch file "${path}": ${msg}; pass a file saved by python/charrnn_torch.py ` +
        `or deno task export`,
    );
  }
}

function invalid(detail: string): Error {
  return new Error(`Invalid PyTorch file: ${detail}`);
}
