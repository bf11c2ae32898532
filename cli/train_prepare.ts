/**
 * Preparing a run of `deno task train`: the config from the flags or the checkpoint, the texts,
 * and a fresh or resumed trainer.
 *
 * @module
 */
import type { Backend } from "../lib/backend/types.ts";
import { type Checkpoint, loadCheckpoint } from "../lib/io/checkpoint.ts";
import { Rng } from "../lib/core/rng.ts";
import type { Split } from "../lib/text/data.ts";
import { makeConfig, type TrainConfig } from "../lib/train/config.ts";
import { createOptimizer } from "../lib/train/optim.ts";
import { Trainer } from "../lib/train/trainer.ts";
import { UsageError } from "./args.ts";
import { buildModel } from "./backend.ts";
import type { Output } from "./terminal.ts";
import { type CorpusChoice, formatCorpusRef, splitCorpus } from "../lib/text/corpus_ref.ts";
import { checkLength, checkVocab, describeCorpus, readWithProgress } from "./train_data.ts";
import { resumeConfig, type TrainArgs } from "./train_flags.ts";

/** A prepared run: the trainer and what the CLI reports and saves. */
export interface Run {
  trainer: Trainer;
  data: Split;
  /** Stored in checkpoints: which texts the run trains and validates on. */
  corpusRef: string;
  /** Header line describing the corpus. */
  corpusLine: string;
  outDir: string;
  bestValLoss: number | null;
  resumedFrom?: string;
}

/** Validates the config; a bad combination of flags is a usage error (exit code 2). */
export function configFromFlags(overrides: Partial<TrainConfig>): TrainConfig {
  try {
    return makeConfig(overrides);
  } catch (e) {
    throw e instanceof RangeError ? new UsageError(e.message) : e;
  }
}

/** The checkpoint to resume and the run's config, refused when it is at --steps or its budget. */
export async function loadResumable(
  args: TrainArgs,
  path: string,
  backend: Backend,
): Promise<{ ckpt: Checkpoint; config: TrainConfig }> {
  const ckpt = await loadCheckpoint(path, { backend });
  const config = configFromFlags(resumeConfig(ckpt.config, args.overrides, path));
  if (config.steps <= ckpt.step) {
    throw new UsageError(
      `Checkpoint "${path}" is already at step ${ckpt.step} of --steps ${config.steps}; ` +
        `pass a larger --steps to continue, e.g. --steps ${ckpt.step + config.steps}`,
    );
  }
  const spentMin = (ckpt.elapsedMs ?? 0) / 60_000;
  if (config.maxMinutes > 0 && spentMin >= config.maxMinutes) {
    throw new UsageError(
      `Checkpoint "${path}" has spent its time budget (${spentMin.toFixed(1)} of --max-minutes ` +
        `${config.maxMinutes}); pass a larger --max-minutes to continue, e.g. --max-minutes ` +
        `${2 * config.maxMinutes}, or --max-minutes 0 with a larger --steps`,
    );
  }
  return { ckpt, config };
}

/** What preparing a run needs besides the flags. */
export interface Where {
  choice: CorpusChoice;
  outDir: string;
  backend: Backend;
  out: Output;
}

/** A new run: config from the flags, a fresh model. */
export async function prepareFresh(args: TrainArgs, where: Where): Promise<Run> {
  const { choice, outDir, backend, out } = where;
  const config = configFromFlags(args.overrides);
  const corpus = await readWithProgress(choice, out, config.tokens);
  const data = splitCorpus(corpus, config.valFraction);
  const specs = choice.train.join('", "');
  checkLength(specs, data, config);
  const rng = new Rng(config.seed);
  const model = buildModel(config, corpus.vocab.chars.length, rng, backend);
  const optimizer = createOptimizer(config.optimizer, model.params, { backend });
  const vocab = corpus.vocab;
  return {
    trainer: new Trainer(model, { vocab, data, config, optimizer, rng }),
    data,
    corpusRef: formatCorpusRef(choice),
    corpusLine: describeCorpus(corpus, data, choice.val),
    outDir,
    bestValLoss: null,
  };
}

/** A resumed run: the checkpoint's model, optimizer, data position, RNG and guard. */
export async function prepareResume(
  ckpt: Checkpoint,
  config: TrainConfig,
  where: Where & { args: TrainArgs },
): Promise<Run> {
  const { choice, outDir, out, args } = where;
  const path = args.resume!;
  const corpus = await readWithProgress(choice, out, ckpt.vocab.tokens ?? "codepoints");
  const specs = choice.train.join('", "');
  checkVocab(specs, corpus.vocab, ckpt, path);
  const data = splitCorpus(corpus, config.valFraction);
  checkLength(specs, data, config);
  const expected = ckpt.model.initialState(config.batchSize);
  for (const [name, t] of Object.entries(expected)) {
    if (ckpt.state[name]?.shape.join(",") !== t.shape.join(",")) {
      throw new Error(
        `Invalid checkpoint "${path}": carried state "${name}" does not have shape [${t.shape}]; ` +
          `the file is corrupt, use another one or train again`,
      );
    }
  }
  const rng = new Rng(config.seed);
  rng.setState(ckpt.rng);
  const { model, vocab, optimizer, step, position, state, smoothLoss, divergence } = ckpt;
  const { elapsedMs, average } = ckpt;
  return {
    trainer: new Trainer(model, {
      vocab,
      data,
      config,
      optimizer,
      rng,
      resume: { step, position, state, smoothLoss, divergence, elapsedMs, average },
    }),
    data,
    corpusRef: formatCorpusRef(choice),
    corpusLine: describeCorpus(corpus, data, choice.val),
    outDir,
    bestValLoss: ckpt.bestValLoss,
    resumedFrom: path,
  };
}
