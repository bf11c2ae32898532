/**
 * Checkpoints to and from PyTorch-layout files (`torch_file.ts`), so a run moves to PyTorch
 * and back as the run it is: the model (with a weight average, the average, what validation
 * used), Adam's moments and step, the weight average's trained weights, and the training
 * config, progress and smoothed loss in the metadata:
 *
 *   workbench    the run's training config (JSON), so `--resume` goes on with its recipe
 *   step         updates done;  elapsed_ms: training time spent;  smooth_loss;  corpus
 *   position     where each of the B text streams is (PyTorch's `train` goes on from there:
 *                with the same training text, batch size and sequence length its streams are
 *                the workbench's)
 *   optimizer    Adam's record with `lr`, the rate of the run's next update (PyTorch's
 *                `train` goes on at it)
 *
 * Importing builds a checkpoint that `deno task train --resume` continues: Adam's moments and
 * step, the average, the config, progress and data position as written (a file from a new
 * PyTorch model gets the default config for its sizes, at its learning rate and weight decay);
 * the carried hidden state starts at zero. A file without optimizer state gets a fresh Adam at
 * step 0.
 *
 * @module
 */
import { createBackend } from "../backend/create.ts";
import type { Backend } from "../backend/types.ts";
import { Rng } from "../core/rng.ts";
import { type Params, zerosLike } from "../core/tensor.ts";
import { MODEL_FIELDS, resolveModelConfig } from "../model/model_config.ts";
import { createModel } from "../model/create.ts";
import { makeConfig, modelConfigOf, type TrainConfig } from "../train/config.ts";
import { currentConfig } from "../train/former_names.ts";
import { ADAM_DEFAULTS, createOptimizer } from "../train/optim.ts";
import { runLearningRate } from "../train/schedule.ts";
import type { Checkpoint } from "./checkpoint.ts";
import type { TorchFile, TorchSource } from "./torch_file.ts";

/**
 * What an export of a checkpoint writes: the model, Adam's state (Adam runs only; other
 * optimizers' state has no PyTorch counterpart here), the weight average, and the run's
 * metadata (see the module doc).
 *
 * @param ckpt The checkpoint.
 * @returns The source for `encodeTorchFile` and its metadata strings.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { createModel } from "../model/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * import { decodeTorchFile, encodeTorchFile } from "./torch_file.ts";
 * const config = { cell: "gru" as const, vocabSize: 3, hiddenSize: 2, norm: "layer" as const };
 * const model = createModel(config, new Rng(1));
 * const file = decodeTorchFile(encodeTorchFile({ model, vocab: buildVocab("abc") }));
 * const ckpt = torchFileCheckpoint(file, { backend: createBackend({ kind: "ts" }) });
 * const { source, metadata } = torchSourceOf(ckpt);
 * assert.equal(source.optimizer!.steps, 0);
 * assert.equal(JSON.parse(metadata.workbench!).norm, "layer");
 * ```
 */
export function torchSourceOf(
  ckpt: Checkpoint,
): { source: TorchSource; metadata: Record<string, string> } {
  const { model, vocab, config, optimizer, step } = ckpt;
  const elapsedMs = ckpt.elapsedMs ?? 0;
  const source: TorchSource = { model, vocab };
  if (optimizer.name === "adam") {
    const moments = (prefix: string): Params =>
      Object.fromEntries(
        Object.keys(model.params).map((k) => [k, optimizer.state[`${prefix}.${k}`]!]),
      );
    const lr = runLearningRate(config, { step, elapsedMs }) * (ckpt.divergence?.lrScale ?? 1);
    source.optimizer = {
      ...ADAM_DEFAULTS,
      steps: optimizer.steps,
      lr,
      weightDecay: config.weightDecay,
      m: moments("m"),
      v: moments("v"),
    };
  }
  if (ckpt.average) source.average = { beta: config.weightAverage, ...ckpt.average };
  const metadata = {
    workbench: JSON.stringify({ ...config, tokens: vocab.tokens ?? "codepoints" }),
    step: String(step),
    position: String(ckpt.position),
    elapsed_ms: String(Math.round(elapsedMs)),
    smooth_loss: String(ckpt.smoothLoss),
    corpus: ckpt.corpus,
  };
  return { source, metadata };
}

/**
 * A checkpoint of an imported file (see the module doc), so `deno task sample`, the notebooks
 * and `--resume` take it like any other.
 *
 * @param file From `decodeTorchFile`.
 * @param options `backend`: where the model runs (default `createBackend()`).
 * @returns The checkpoint.
 * @throws {Error} when the run's config does not fit the model, or Adam's settings are not
 *   the workbench's.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { createModel } from "../model/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * import { decodeTorchFile, encodeTorchFile } from "./torch_file.ts";
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
  const config = importConfig(file);
  const V = file.config.vocabSize, backend = options.backend ?? createBackend();
  const net = createModel(modelConfigOf(config, V), null, { backend });
  const fill = (record: Params, from: Params) => {
    for (const [name, p] of Object.entries(record)) p.data.set(from[name]!.data);
  };
  fill(net.params, file.params);
  const optimizer = createOptimizer(config.optimizer, net.params, { backend });
  const adam = file.optimizer;
  if (adam) {
    const { beta1, beta2, eps } = ADAM_DEFAULTS;
    if (adam.beta1 !== beta1 || adam.beta2 !== beta2 || adam.eps !== eps) {
      throw new Error(
        `Cannot import Adam's state: betas [${adam.beta1}, ${adam.beta2}], eps ${adam.eps} ` +
          `differ from the workbench's [${beta1}, ${beta2}], ${eps}; train with those in PyTorch`,
      );
    }
    optimizer.steps = adam.steps;
    for (const name of Object.keys(net.params)) {
      optimizer.state[`m.${name}`]!.data.set(adam.m[name]!.data);
      optimizer.state[`v.${name}`]!.data.set(adam.v[name]!.data);
    }
  }
  const average = file.average && { trained: zerosLike(net.params), updates: file.average.updates };
  if (average) fill(average.trained, file.average!.trained);
  const meta = file.metadata, smooth = Number(meta.smooth_loss), elapsed = Number(meta.elapsed_ms);
  const step = Number(meta.step), position = Number(meta.position);
  return {
    model: net,
    vocab: file.vocab,
    config,
    optimizer,
    step: adam ? (Number.isSafeInteger(step) && step >= 0 ? step : adam.steps) : 0,
    position: Number.isSafeInteger(position) && position >= 0 ? position : 0,
    state: net.initialState(config.batchSize),
    smoothLoss: Number.isFinite(smooth) ? smooth : Math.log(V), // else a uniform guess's loss
    rng: new Rng(config.seed).getState(),
    corpus: meta.corpus ?? "",
    bestValLoss: null,
    elapsedMs: Number.isSafeInteger(elapsed) && elapsed >= 0 ? elapsed : 0,
    ...(average ? { average } : {}),
  };
}

/**
 * The training config of an imported file: the run's own (written under the current names or
 * the former ones), or the defaults for the model.
 */
function importConfig(file: TorchFile): TrainConfig {
  const fields = Object.fromEntries(
    Object.keys(MODEL_FIELDS).map((k) => [k, file.config[k as keyof typeof MODEL_FIELDS]]),
  );
  const weightAverage = file.average?.beta ?? 0;
  const optimizer = file.optimizer ? { optimizer: "adam" as const } : {}; // what trained it last
  try {
    if (file.metadata.workbench === undefined) {
      const { lr: learningRate = undefined, weightDecay = 0 } = file.optimizer ?? {};
      const rate = learningRate ? { learningRate } : {};
      return makeConfig({ ...fields, weightAverage, weightDecay, ...rate, ...optimizer });
    }
    const saved = currentConfig(JSON.parse(file.metadata.workbench));
    const config = makeConfig({ ...saved, weightAverage, ...optimizer });
    const ours = resolveModelConfig(modelConfigOf(config, file.config.vocabSize));
    const differs = Object.keys(ours).find((k) =>
      ours[k as keyof typeof ours] !== file.config[k as keyof typeof ours]
    );
    if (differs) {
      throw new Error(`metadata "workbench" has another ${differs} than the file's config`);
    }
    return config;
  } catch (e) {
    throw new Error(`Cannot import the model: ${(e as Error).message}`);
  }
}
