/**
 * Checkpoints as safetensors files: parameters, optimizer moments and the
 * carried hidden state as tensors in the model's precision (F32 from a float32
 * backend, F64 from the f64 one: no rounding either way); vocabulary, model and training
 * config, step, data position, RNG state and the divergence guard's bookkeeping as metadata.
 * The config's `tokens` is the vocabulary's token mode (code points, or grapheme clusters;
 * files without it are code points). Saving is atomic; loading validates everything and names
 * what is wrong, and puts the model on any backend (float32 or float64: the file is the same).
 * A run with weight averaging stores the average as its model (`param.*`, what sampling uses)
 * and the raw weights it trains as `train.*`, with the count of averaged updates.
 *
 * Version 2 names a one-layer `rnn` like every stacked model (`l0.Wx`, ...,
 * state `h.0`); files with the seed's names for it (`Wxh`, `Whh`, `bh`, state
 * `h`: version 1, or a saved {@linkcode VanillaRnn}) load too. Version 3 stores the config and
 * model-config fields under their current names (`cell`, formerly `model` and `kind`;
 * `weightAverage`, formerly `ema`); files of
 * earlier versions load under their former names (`train/former_names.ts`).
 *
 * @module
 */
import { writeFileAtomic } from "./atomic_write.ts";
import { readUserFile } from "./read_file.ts";
import { makeConfig, modelConfigOf, type TrainConfig } from "../train/config.ts";
import { currentConfig, currentModelConfig } from "../train/former_names.ts";
import type { CharModel, State } from "../model/char_model.ts";
import { type ModelConfig, resolveModelConfig } from "../model/model_config.ts";
import type { Backend } from "../backend/types.ts";
import { createModel } from "../model/create.ts";
import { VANILLA_TO_STACKED } from "../model/vanilla_rnn.ts";
import { createOptimizer, type Optimizer, type OptimizerName } from "../train/optim.ts";
import { Rng, type RngState } from "../core/rng.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "./safetensors.ts";
import { type Params, zerosLike } from "../core/tensor.ts";
import { type Vocab, vocabFromChars } from "../text/vocab.ts";
import type { DivergenceState } from "../train/divergence.ts";
import type { AveragedWeights } from "../train/average.ts";
import {
  checkModelConfig,
  divergenceState,
  fill,
  integer,
  parseJson,
} from "./checkpoint_checks.ts";

const FORMAT = "charrnn-workbench-checkpoint";
const VERSION = "3";
const READABLE_VERSIONS = ["1", "2", "3"];

/** Everything needed to sample from a model or resume its training. */
export interface Checkpoint {
  /** The model with its trained parameters: with weight averaging, their average. */
  model: CharModel;
  /** Its vocabulary. */
  vocab: Vocab;
  /** The training configuration of the run. */
  config: TrainConfig;
  /** The optimizer with its moments and step count. */
  optimizer: Optimizer;
  /** Steps completed. */
  step: number;
  /** Data position of the training stream. */
  position: number;
  /** Carried hidden state `(B, H)`. */
  state: State;
  /** Smoothed training loss. */
  smoothLoss: number;
  /** State of the run's random generator. */
  rng: RngState;
  /** Name of the training text (e.g. `brown` or a file name). */
  corpus: string;
  /** Best validation loss so far (nats/char), or `null`. */
  bestValLoss: number | null;
  /** The divergence guard's bookkeeping (absent in files of earlier versions). */
  divergence?: DivergenceState;
  /** Milliseconds of training spent, for a time budget (absent in earlier files: 0). */
  elapsedMs?: number;
  /** With a weight average (`config.weightAverage`): the raw weights being trained, and the updates. */
  average?: AveragedWeights;
}

/**
 * Serialises a checkpoint to safetensors bytes.
 *
 * @param ckpt The checkpoint.
 * @returns The file contents.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeConfig } from "../train/config.ts";
 * import { createOptimizer } from "../train/optim.ts";
 * import { Rng } from "../core/rng.ts";
 * import { VanillaRnn } from "../model/vanilla_rnn.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("abc");
 * const model = new VanillaRnn(new Rng(1), { vocabSize: 3, hiddenSize: 2 });
 * const bytes = encodeCheckpoint({
 *   model, vocab, config: makeConfig({ batchSize: 1, hiddenSize: 2 }),
 *   optimizer: createOptimizer("adam", model.params, { backend: model.backend }),
 *   step: 7, position: 0, state: model.initialState(1), smoothLoss: 1, rng: new Rng(2).getState(),
 *   corpus: "test", bestValLoss: null,
 * });
 * assert.deepEqual(decodeCheckpoint(bytes).step, 7);
 * ```
 */
export function encodeCheckpoint(ckpt: Checkpoint): Uint8Array {
  const tensors: Record<string, SafeTensor> = {};
  const put = (prefix: string, record: Params) => {
    for (const [name, t] of Object.entries(record)) {
      tensors[`${prefix}.${name}`] = t.data instanceof Float32Array
        ? { dtype: "F32", shape: [...t.shape], data: t.data.slice() }
        : { dtype: "F64", shape: [...t.shape], data: Float64Array.from(t.data) };
    }
  };
  put("param", ckpt.model.params);
  if (ckpt.average) put("train", ckpt.average.trained);
  put("optim", ckpt.optimizer.state);
  put("state", ckpt.state);
  const metadata: Record<string, string> = {
    format: FORMAT,
    version: VERSION,
    model: JSON.stringify(ckpt.model.config),
    vocab: JSON.stringify(ckpt.vocab.chars),
    config: JSON.stringify({ ...ckpt.config, tokens: ckpt.vocab.tokens ?? "codepoints" }),
    optimizer: JSON.stringify({ name: ckpt.optimizer.name, steps: ckpt.optimizer.steps }),
    step: String(ckpt.step),
    position: String(ckpt.position),
    smooth_loss: String(ckpt.smoothLoss),
    rng: JSON.stringify(ckpt.rng),
    dropout_rng: JSON.stringify(dropoutRngOf(ckpt.model)?.getState() ?? null),
    corpus: ckpt.corpus,
    best_val_loss: String(ckpt.bestValLoss),
  };
  if (ckpt.divergence) metadata.divergence = JSON.stringify(ckpt.divergence);
  if (ckpt.elapsedMs !== undefined) metadata.elapsed_ms = String(Math.round(ckpt.elapsedMs));
  if (ckpt.average) metadata.average_updates = String(ckpt.average.updates);
  return encodeSafetensors(tensors, metadata);
}

/**
 * Parses and validates checkpoint bytes.
 *
 * @param bytes File contents.
 * @param options `backend`: where the model runs (default `createBackend()`, the fastest
 * here; `createBackend({ kind: "f64" })` for the float64 reference).
 * @returns The checkpoint.
 * @throws {Error} naming the problem when the file is corrupt, truncated or of another format.
 */
export function decodeCheckpoint(
  bytes: Uint8Array,
  options: { backend?: Backend } = {},
): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const meta = requiredMetadata(metadata);
  renameSeedNames(tensors);
  // the settings, then the model with its weights, its optimizer and the carried state
  const { modelConfig, vocab, config } = decodeSettings(meta);
  const model = createModel(modelConfig, null, { backend: options.backend }); // weights below
  fill("param", model.params, tensors);
  const opt = parseJson<{ name: OptimizerName; steps: number }>(meta("optimizer"), "optimizer");
  const optimizer = createOptimizer(opt.name, model.params, { backend: model.backend });
  optimizer.steps = integer(opt.steps, "optimizer steps");
  fill("optim", optimizer.state, tensors);
  checkModelConfig(model.config, resolveModelConfig(modelConfigOf(config, vocab.chars.length)));
  const state = model.initialState(config.batchSize); // the carried state, (B, H) per tensor
  fill("state", state, tensors);
  // where the run is: its generators, losses, divergence bookkeeping, time and average
  const { rng, smoothLoss, bestValLoss, divergence } = decodeProgress(meta, { metadata, model });
  const elapsedMs = integer(Number(metadata.elapsed_ms ?? 0), "elapsed_ms");
  let average: AveragedWeights | undefined;
  if (config.weightAverage > 0) { // the model holds the average; the trained weights come apart
    const trained = zerosLike(model.params);
    fill("train", trained, tensors);
    average = { trained, updates: integer(Number(meta("average_updates")), "average_updates") };
  }
  return {
    model,
    vocab,
    config,
    optimizer,
    step: integer(Number(meta("step")), "step"),
    position: integer(Number(meta("position")), "position"),
    state,
    smoothLoss,
    rng,
    corpus: meta("corpus"),
    bestValLoss,
    ...(divergence ? { divergence } : {}),
    elapsedMs,
    ...(average ? { average } : {}),
  };
}

/** A reader of metadata that must be there, once the file is a checkpoint of a known version. */
function requiredMetadata(metadata: Record<string, string>): (key: string) => string {
  const meta = (key: string): string => {
    const v = metadata[key];
    if (v === undefined) throw new Error(`Invalid checkpoint: metadata "${key}" is missing`);
    return v;
  };
  if (metadata.format !== FORMAT) {
    throw new Error(`Invalid checkpoint: not a ${FORMAT} file (format "${metadata.format}")`);
  }
  if (!READABLE_VERSIONS.includes(meta("version"))) {
    throw new Error(`Invalid checkpoint: unsupported version "${metadata.version}"`);
  }
  return meta;
}

/** The model config, the vocabulary and the training config, checked against each other. */
function decodeSettings(
  meta: (key: string) => string,
): { modelConfig: ModelConfig; vocab: Vocab; config: TrainConfig } {
  const modelConfig = currentModelConfig(parseJson(meta("model"), "model"));
  const chars = parseJson<unknown>(meta("vocab"), "vocab");
  if (!Array.isArray(chars) || !chars.every((c) => typeof c === "string")) {
    throw new Error(`Invalid checkpoint: metadata "vocab" is not a list of characters`);
  }
  const config = makeConfig(currentConfig(parseJson(meta("config"), "config")));
  const vocab = vocabFromChars(chars, { tokens: config.tokens }); // older files: code points
  if (modelConfig.vocabSize !== vocab.chars.length) {
    throw new Error(
      `Invalid checkpoint: model vocabulary size ${modelConfig.vocabSize} differs from ` +
        `the ${vocab.chars.length} saved characters`,
    );
  }
  return { modelConfig, vocab, config };
}

/** The run's generator (the model's dropout generator is set), losses and divergence record. */
function decodeProgress(
  meta: (key: string) => string,
  options: { metadata: Record<string, string>; model: CharModel },
): Pick<Checkpoint, "rng" | "smoothLoss" | "bestValLoss" | "divergence"> {
  const { metadata, model } = options;
  const rng = parseJson<RngState>(meta("rng"), "rng");
  const dropoutRng = parseJson<RngState | null>(metadata.dropout_rng ?? "null", "dropout_rng");
  try {
    new Rng(0).setState(rng);
    if (dropoutRng) dropoutRngOf(model)?.setState(dropoutRng);
  } catch {
    throw new Error(
      `Invalid checkpoint: metadata "rng" or "dropout_rng" is not a random generator state`,
    );
  }
  const smoothLoss = Number(meta("smooth_loss"));
  if (!Number.isFinite(smoothLoss)) {
    throw new Error(`Invalid checkpoint: smooth_loss ${meta("smooth_loss")} is not a number`);
  }
  const bestValLoss = meta("best_val_loss") === "null" ? null : Number(meta("best_val_loss"));
  if (bestValLoss !== null && !Number.isFinite(bestValLoss)) {
    throw new Error(`Invalid checkpoint: best_val_loss ${meta("best_val_loss")} is not a number`);
  }
  const divergence = metadata.divergence === undefined
    ? undefined
    : divergenceState(parseJson<unknown>(metadata.divergence, "divergence"));
  return { rng, smoothLoss, bestValLoss, divergence };
}

/**
 * Writes a checkpoint atomically (temp file + rename): a failed write never
 * clobbers an existing file.
 *
 * @param path Destination, e.g. `runs/brown/latest.safetensors`.
 * @param ckpt The checkpoint.
 */
export async function saveCheckpoint(path: string, ckpt: Checkpoint): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(ckpt));
}

/**
 * Reads and validates a checkpoint file.
 *
 * @param path The file.
 * @param options `backend`: as in {@linkcode decodeCheckpoint}.
 * @returns The checkpoint.
 * @throws {Error} one line naming the file, the problem and the fix.
 */
export async function loadCheckpoint(
  path: string,
  options: { backend?: Backend } = {},
): Promise<Checkpoint> {
  const bytes = await readUserFile(
    path,
    "checkpoint",
    "pass a .safetensors file written by deno task train",
  );
  try {
    return decodeCheckpoint(bytes, options);
  } catch (e) {
    const msg = (e as Error).message.replace(/^Invalid (safetensors file|checkpoint): /, "");
    throw new Error(
      `Invalid checkpoint "${path}": ${msg}; the file is corrupt or not a checkpoint, ` +
        `use another one or train again`,
    );
  }
}

/**
 * Renames a one-layer `rnn` saved under the seed's names (version 1 files, or a
 * {@linkcode VanillaRnn}) to the stacked ones: `param.Wxh` to `param.l0.Wx`, `optim.m.Wxh`
 * to `optim.m.l0.Wx` and so on, `state.h` to `state.h.0`.
 */
function renameSeedNames(tensors: Record<string, SafeTensor>): void {
  if (!tensors["param.Wxh"]) return; // stacked names already
  for (const key of Object.keys(tensors)) {
    const dot = key.lastIndexOf("."), head = key.slice(0, dot), name = key.slice(dot + 1);
    const renamed = head === "state" ? (name === "h" ? "h.0" : name) : VANILLA_TO_STACKED[name];
    if (renamed && renamed !== name) {
      tensors[`${head}.${renamed}`] = tensors[key]!;
      delete tensors[key];
    }
  }
}

/** The dropout mask generator of a model that has one (stacked models). */
function dropoutRngOf(model: CharModel): Rng | undefined {
  const r = (model as { dropoutRng?: unknown }).dropoutRng;
  return r instanceof Rng ? r : undefined;
}
