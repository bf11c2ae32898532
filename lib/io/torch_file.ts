/**
 * PyTorch-layout files: a safetensors file with the tensors of `nn.RNN`/`nn.LSTM`/`nn.GRU` +
 * `nn.Linear` (see `torch_format.ts` for the names, the gate order and the bias mapping) and
 * what PyTorch needs to rebuild and use the model in the metadata:
 *
 *   format   "charrnn-torch"
 *   version  "1"
 *   config   {"cell": "lstm", "vocab_size": V, "hidden_size": H, "num_layers": L, "dropout": p}
 *   vocab    the characters in index order, as a JSON list
 *   module   a readable description, e.g. `nn.LSTM(65, 128, num_layers=2) + nn.Linear(128, 65)`
 *
 * Other metadata (`source`, `corpus`, `step`, ...) is kept as it is. `python/charrnn_torch.py`
 * reads and writes the same files. Reading validates as strictly as a checkpoint: format,
 * version, config, vocabulary, then every tensor (missing, extra, dtype, shape, non-finite);
 * an imported model becomes a checkpoint with a fresh optimizer at step 0.
 *
 * @module
 */
import { createBackend } from "../backend/create.ts";
import type { Backend } from "../backend/types.ts";
import { Rng } from "../core/rng.ts";
import type { Params } from "../core/tensor.ts";
import { type CellKind, type ModelConfig, resolveModelConfig } from "../model/model_config.ts";
import { createModel } from "../model/create.ts";
import { type Vocab, vocabFromChars } from "../text/vocab.ts";
import { makeConfig, modelConfigOf } from "../train/config.ts";
import { createOptimizer } from "../train/optim.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import { readUserFile } from "./read_file.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
import { fromTorchTensors, type TorchDtype, toTorchTensors } from "./torch_format.ts";

/** The metadata `format` of a PyTorch-layout file. */
export const TORCH_FORMAT = "charrnn-torch";
const VERSION = "1";
const CONFIG_KEYS = ["cell", "vocab_size", "hidden_size", "num_layers", "dropout"];
const TORCH_CLASS: Readonly<Record<CellKind, string>> = { rnn: "RNN", lstm: "LSTM", gru: "GRU" };

/** A validated PyTorch-layout file, with its weights under our names. */
export interface TorchFile {
  /** The model config (from the metadata, checked against the tensors). */
  config: Required<ModelConfig>;
  /** The vocabulary. */
  vocab: Vocab;
  /** Our parameters (`l<k>.Wx`, ..., `Why`, `by`) in float64, biases folded. */
  params: Params;
  /** `"F64"` when any tensor was float64, else `"F32"`. */
  dtype: TorchDtype;
  /** All metadata of the file. */
  metadata: Record<string, string>;
}

/** What an export needs: the model's config and parameters, and its vocabulary. */
export interface TorchSource {
  /** The model (any `CharModel` with our parameter names). */
  model: { config: ModelConfig; params: Params };
  /** Its vocabulary. */
  vocab: Vocab;
}

/**
 * The PyTorch modules a model config maps to, for messages and the file's metadata.
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
 * ```
 */
export function describeTorchModules(config: ModelConfig): string {
  const { cell, vocabSize: V, hiddenSize: H, numLayers: L, dropout } = resolveModelConfig(config);
  const drop = dropout > 0 ? `, dropout=${dropout}` : "";
  return `nn.${TORCH_CLASS[cell]}(${V}, ${H}, num_layers=${L}${drop}) + nn.Linear(${H}, ${V})`;
}

/**
 * Serialises a model in the PyTorch layout.
 *
 * @param source The model (its config and parameters, our names) and its vocabulary: a
 *   {@linkcode Checkpoint} will do.
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
  const { model, vocab } = source;
  const config = resolveModelConfig(model.config);
  const { cell, vocabSize: V, hiddenSize, numLayers, dropout } = config;
  if (vocab.chars.length !== V) {
    throw new RangeError(
      `Cannot export: the vocabulary has ${vocab.chars.length} characters, the model ${V}`,
    );
  }
  const tensors = toTorchTensors(config, model.params, { dtype: options.dtype });
  const torchConfig = { cell, vocab_size: V, hidden_size: hiddenSize, num_layers: numLayers };
  return encodeSafetensors(tensors, {
    ...options.metadata,
    format: TORCH_FORMAT,
    version: VERSION,
    config: JSON.stringify({ ...torchConfig, dropout }),
    vocab: JSON.stringify(vocab.chars),
    module: describeTorchModules(config),
  });
}

/**
 * Parses and validates a PyTorch-layout file.
 *
 * @param bytes File contents.
 * @returns The config, vocabulary, our parameters and the metadata.
 * @throws {Error} one line starting `Invalid PyTorch file:` naming the first problem.
 */
export function decodeTorchFile(bytes: Uint8Array): TorchFile {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== TORCH_FORMAT) {
    const found = metadata.format === undefined ? "missing" : `"${metadata.format}"`;
    throw invalid(`metadata "format" is ${found}, expected "${TORCH_FORMAT}"`);
  }
  if (metadata.version !== VERSION) {
    throw invalid(`unsupported version "${metadata.version}" (this reader knows "${VERSION}")`);
  }
  const raw = parseJson(metadata.config, "config");
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw invalid(`metadata "config" is not an object`);
  }
  const fields = raw as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!CONFIG_KEYS.includes(key)) {
      throw invalid(`metadata "config" has unknown key "${key}" (expected ${CONFIG_KEYS})`);
    }
  }
  let config: Required<ModelConfig>;
  try {
    config = resolveModelConfig({
      cell: fields.cell as CellKind,
      vocabSize: fields.vocab_size as number,
      hiddenSize: fields.hidden_size as number,
      numLayers: fields.num_layers as number,
      dropout: (fields.dropout ?? 0) as number,
    });
  } catch (e) {
    throw invalid(`metadata "config": ${(e as Error).message}`);
  }
  const chars = parseJson(metadata.vocab, "vocab");
  if (!Array.isArray(chars) || !chars.every((c) => typeof c === "string")) {
    throw invalid(`metadata "vocab" is not a list of characters`);
  }
  let vocab: Vocab;
  try {
    vocab = vocabFromChars(chars);
  } catch (e) {
    throw invalid(`metadata "vocab": ${(e as Error).message}`);
  }
  if (vocab.chars.length !== config.vocabSize) {
    throw invalid(
      `metadata "vocab" has ${vocab.chars.length} characters, config "vocab_size" is ` +
        `${config.vocabSize}`,
    );
  }
  let params: Params;
  try {
    params = fromTorchTensors(config, tensors);
  } catch (e) {
    throw invalid((e as Error).message.replace(/^Invalid PyTorch tensors: /, ""));
  }
  const dtype = Object.values(tensors).some((t) => t.dtype === "F64") ? "F64" : "F32";
  return { config, vocab, params, dtype, metadata };
}

/**
 * A checkpoint of an imported model: its weights, a fresh optimizer (Adam, no moments) at step
 * 0, a zero state and the default training config for its sizes, so `deno task sample`, the
 * notebooks and `--resume` take it like any other.
 *
 * @param file From {@linkcode decodeTorchFile}.
 * @param options `backend`: where the model runs (default `createBackend()`).
 * @returns The checkpoint.
 * @throws {Error} when the model's sizes are outside what training accepts (`makeConfig`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { createModel } from "../model/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("xyz");
 * const model = createModel({ cell: "gru", vocabSize: 3, hiddenSize: 4 }, new Rng(1));
 * const file = decodeTorchFile(encodeTorchFile({ model, vocab }));
 * const ckpt = torchFileCheckpoint(file, { backend: createBackend({ kind: "ts" }) });
 * assert.deepEqual([ckpt.step, ckpt.optimizer.name, ckpt.config.cell], [0, "adam", "gru"]);
 * assert.deepEqual(ckpt.model.params["l0.Wh"], model.params["l0.Wh"]); // float32 both ways
 * ```
 */
export function torchFileCheckpoint(
  file: TorchFile,
  options: { backend?: Backend } = {},
): Checkpoint {
  const { cell, vocabSize: V, hiddenSize, numLayers, dropout } = file.config;
  let config;
  try {
    config = makeConfig({ cell, hiddenSize, numLayers, dropout });
  } catch (e) {
    throw new Error(`Cannot import the model: ${(e as Error).message}`);
  }
  const backend = options.backend ?? createBackend();
  const net = createModel(modelConfigOf(config, V), null, { backend });
  for (const [name, p] of Object.entries(net.params)) p.data.set(file.params[name]!.data);
  return {
    model: net,
    vocab: file.vocab,
    config,
    optimizer: createOptimizer(config.optimizer, net.params, { backend }),
    step: 0,
    position: 0,
    state: net.initialState(config.batchSize),
    smoothLoss: Math.log(V), // the loss of a uniform guess, as a new run starts
    rng: new Rng(config.seed).getState(),
    corpus: file.metadata.corpus ?? "",
    bestValLoss: null,
  };
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

function parseJson(text: string | undefined, key: string): unknown {
  if (text === undefined) throw invalid(`metadata "${key}" is missing`);
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(`metadata "${key}" is not valid JSON`);
  }
}
