/**
 * `deno task train`: trains a character-level RNN on the bundled Brown corpus
 * or a text file, with live progress, validation, samples, checkpoints, Ctrl-C
 * handling and `--resume`. Run with `--help` for the flags.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../lib/io/checkpoint.ts";
import { HISTORY_FILE, HistoryWriter } from "../lib/io/run_folder.ts";
import { makeConfig, type TrainConfig } from "../lib/train/config.ts";
import type { Backend } from "../lib/backend/types.ts";
import { loadCorpus } from "../lib/text/corpus.ts";
import { type Split, splitData } from "../lib/text/data.ts";
import { createOptimizer } from "../lib/train/optim.ts";
import { Rng } from "../lib/core/rng.ts";
import { countParams } from "../lib/core/tensor.ts";
import { Trainer, type TrainEvent } from "../lib/train/trainer.ts";
import { buildVocab, codePointsOf, describeChar, encode, type Vocab } from "../lib/text/vocab.ts";
import { UsageError } from "./args.ts";
import { buildModel, openBackend } from "./engine.ts";
import { runMain } from "./main_error.ts";
import {
  formatCount,
  formatEval,
  formatProgress,
  formatSample,
  formatSummary,
  shellQuote,
} from "../lib/report/progress.ts";
import { Output } from "./terminal.ts";
import { parseTrainArgs, resumeConfig, type TrainArgs, trainHelp } from "./train_flags.ts";

/** A prepared run: the trainer and what the CLI reports and saves. */
interface Run {
  trainer: Trainer;
  data: Split;
  /** Stored in checkpoints: `brown` or the absolute path of the text file. */
  corpusRef: string;
  /** Header line describing the corpus. */
  corpusLine: string;
  outDir: string;
  bestValLoss: number | null;
  resumedFrom?: string;
}

/**
 * Runs `deno task train`.
 *
 * @param argv Command-line arguments.
 * @returns The exit code: 0 done, 130 interrupted.
 */
export async function trainMain(argv: string[]): Promise<number> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    console.log(trainHelp());
    return 0;
  }
  const backend = openBackend(args.engine, args.threads);
  const run = args.resume !== undefined
    ? await prepareResume(args, args.resume, backend)
    : await prepareFresh(args, backend);
  return await train(run, args, `Engine: ${backend.detail}`);
}

/** Validates the config; a bad combination of flags is a usage error (exit code 2). */
function configFromFlags(overrides: Partial<TrainConfig>): TrainConfig {
  try {
    return makeConfig(overrides);
  } catch (e) {
    throw e instanceof RangeError ? new UsageError(e.message) : e;
  }
}

/** A new run: config from the flags, a fresh model. */
async function prepareFresh(args: TrainArgs, backend: Backend): Promise<Run> {
  const config = configFromFlags(args.overrides);
  const spec = args.corpus;
  const corpus = await loadCorpus(spec);
  const vocab = buildVocab(corpus.text, { tokens: config.tokens });
  const data = splitData(encode(vocab, corpus.text), config.valFraction);
  checkLength(spec, data, config);
  const rng = new Rng(config.seed);
  const model = buildModel(config, vocab.chars.length, rng, backend);
  const optimizer = createOptimizer(config.optimizer, model.params, { backend });
  return {
    trainer: new Trainer(model, { vocab, data, config, optimizer, rng }),
    data,
    corpusRef: spec === "brown" ? "brown" : resolve(spec),
    corpusLine: describeCorpus(corpus.name, vocab, data),
    outDir: args.out ?? join("runs", corpus.name),
    bestValLoss: null,
  };
}

/** A resumed run: the checkpoint's model, optimizer, data position and RNG. */
async function prepareResume(args: TrainArgs, path: string, backend: Backend): Promise<Run> {
  const ckpt = await loadCheckpoint(path, { backend });
  const config = configFromFlags(resumeConfig(ckpt.config, args.overrides, path));
  if (config.steps <= ckpt.step) {
    throw new UsageError(
      `Checkpoint "${path}" is already at step ${ckpt.step} of --steps ${config.steps}; ` +
        `pass a larger --steps to continue, e.g. --steps ${ckpt.step + config.steps}`,
    );
  }
  const spec = args.corpusGiven ? args.corpus : ckpt.corpus;
  const corpus = await loadCorpus(spec);
  checkVocab(spec, buildVocab(corpus.text, { tokens: ckpt.vocab.tokens }), ckpt, path);
  const data = splitData(encode(ckpt.vocab, corpus.text), config.valFraction);
  checkLength(spec, data, config);
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
  const { model, vocab, optimizer, step, position, state, smoothLoss } = ckpt;
  return {
    trainer: new Trainer(model, {
      vocab,
      data,
      config,
      optimizer,
      rng,
      resume: { step, position, state, smoothLoss },
    }),
    data,
    corpusRef: spec === "brown" ? "brown" : resolve(spec),
    corpusLine: describeCorpus(corpus.name, vocab, data),
    outDir: args.out ?? dirname(path),
    bestValLoss: ckpt.bestValLoss,
    resumedFrom: path,
  };
}

/** Refuses a corpus whose characters differ from the checkpoint's vocabulary. */
function checkVocab(spec: string, vocab: Vocab, ckpt: Checkpoint, path: string): void {
  const saved = ckpt.vocab.chars;
  if (vocab.chars.join("\0") === saved.join("\0")) return;
  const extra = vocab.chars.find((c) => !ckpt.vocab.charToIndex.has(c));
  const missing = saved.find((c) => !vocab.charToIndex.has(c));
  const detail = extra !== undefined
    ? `it contains ${describeChar(extra)}, which the checkpoint's vocabulary lacks`
    : `it lacks ${describeChar(missing ?? "")}, which the checkpoint's vocabulary has`;
  throw new Error(
    `Corpus "${spec}" does not match checkpoint "${path}": ${detail} ` +
      `(${vocab.chars.length} vs ${saved.length} characters); pass the text the checkpoint ` +
      `was trained on with --corpus (it was "${ckpt.corpus}")`,
  );
}

/** Refuses a training split too short for one batch, naming the flags to change. */
function checkLength(spec: string, data: Split, config: TrainConfig): void {
  const { batchSize: B, seqLength: T } = config;
  if (data.train.length >= B * T + 1) return;
  throw new Error(
    `Corpus "${spec}" is too short: its training part has ${data.train.length} characters, ` +
      `but --batch-size ${B} x --seq-length ${T} needs at least ${B * T + 1}; ` +
      `use a longer text, or lower --batch-size or --seq-length`,
  );
}

/** The header line describing the corpus and its split. */
function describeCorpus(name: string, vocab: Vocab, data: Split): string {
  const unit = vocab.tokens === "graphemes" ? "grapheme clusters" : "characters";
  return `Corpus ${name}: ${formatCount(data.train.length + data.val.length)} ${unit}, ` +
    `${vocab.chars.length} distinct (train ${formatCount(data.train.length)}, ` +
    `validation ${formatCount(data.val.length)})`;
}

/** Trains with progress output, checkpoints and Ctrl-C handling; returns the exit code. */
async function train(run: Run, args: TrainArgs, engineLine: string): Promise<number> {
  const { trainer, outDir } = run;
  const { config, vocab } = trainer;
  const out = new Output();
  const latest = join(outDir, "latest.safetensors");
  const bestPath = join(outDir, "best.safetensors");
  try {
    await Deno.mkdir(outDir, { recursive: true });
  } catch (error) {
    throw new Error(
      `Cannot create output folder "${outDir}": ${(error as Error).message}; ` +
        `pass a writable folder with --out DIR`,
    );
  }
  const saveEvery = args.saveEvery ?? config.sampleEvery;
  const hasVal = run.data.val.length >= config.seqLength + 1; // as Trainer.evaluate requires
  let best = run.bestValLoss;
  let wroteBest = false;
  // the events, for plots of the run later (lib/io/run_folder.ts); a resumed run keeps its past
  const history = await HistoryWriter.open(join(outDir, HISTORY_FILE), {
    keepUpTo: run.resumedFrom ? trainer.step : 0,
  });
  const val = run.data.val; // grapheme symbols: also bits per code point
  const codePointsPerSymbol = val.length > 0 ? codePointsOf(vocab, val) / val.length : 1;

  const snapshot = (): Checkpoint => ({
    model: trainer.model,
    vocab,
    config,
    optimizer: trainer.optimizer,
    step: trainer.step,
    position: trainer.stream.position,
    state: trainer.state,
    smoothLoss: trainer.smoothLoss,
    rng: trainer.rng.getState(),
    corpus: run.corpusRef,
    bestValLoss: best,
  });

  const m = trainer.model;
  out.log(run.corpusLine);
  out.log(engineLine);
  out.log(
    `Model ${m.config.kind}: hidden size ${m.config.hiddenSize}` +
      `${config.numLayers > 1 ? `, ${config.numLayers} layers, dropout ${config.dropout}` : ""}, ` +
      `${formatCount(countParams(m.params))} parameters; ${config.optimizer}, learning rate ` +
      `${config.learningRate}, clip ${config.clipMode} ${config.clip}; ` +
      `${config.batchSize} x ${config.seqLength} characters per step`,
  );
  if (!run.resumedFrom && (await isFile(latest))) {
    out.log(
      `Note: replacing the checkpoints in ${outDir}/ (pass --out DIR to keep them, ` +
        `or --resume ${shellQuote(latest)} to continue that run)`,
    );
  }
  if (config.evalEvery > 0 && !hasVal) {
    out.log(
      `No validation: the held-out part has ${run.data.val.length} characters, fewer than ` +
        `--seq-length + 1; raise --val-fraction or use a longer text`,
    );
  }
  out.log(
    (run.resumedFrom ? `Resuming "${run.resumedFrom}" at step ${trainer.step}; t` : "T") +
      `raining to step ${config.steps}; checkpoints in ${outDir}/`,
  );

  const firstStep = trainer.step + 1;
  const onEvent = async (e: TrainEvent) => {
    history.record(e);
    if (e.type === "step") {
      const done = e.step === config.steps;
      out.progress(
        formatProgress(e, config.steps, { columns: out.columns }),
        e.step === firstStep || e.step % args.printEvery === 0 || done,
      );
      return;
    }
    if (e.type === "eval") {
      const improved = best === null || e.valLoss < best;
      if (improved) {
        best = e.valLoss;
        await saveCheckpoint(bestPath, snapshot());
        await history.flush();
        wroteBest = true;
      }
      out.log(formatEval(e, { improved, codePointsPerSymbol }));
    } else out.log(formatSample(e, { temperature: config.sampleTemperature }));
  };
  const saveLatest = async () => {
    await saveCheckpoint(latest, snapshot());
    await history.flush();
  };
  // Save latest after all of a save step's events, so the saved RNG state already
  // includes that step's sample and a resumed run repeats the uninterrupted one.
  const afterStep = async (step: number) => {
    if (step < config.steps && saveEvery > 0 && step % saveEvery === 0) await saveLatest();
  };

  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) {
      controller.abort();
      out.note("Ctrl-C: stopping after this step and saving (press Ctrl-C again to quit at once)");
    } else {
      out.note(`Ctrl-C again: quitting without saving this step; ${latest} is unchanged`);
      Deno.exit(130);
    }
  };
  Deno.addSignalListener("SIGINT", onSigint);
  let timedOut = false;
  const timer = args.maxMinutes === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, args.maxMinutes * 60_000);
  const start = performance.now();
  try {
    const result = await trainer.run({ onEvent, afterStep, signal: controller.signal });
    await saveLatest();
    out.clear();
    const prime = [..."The "].every((c) => vocab.charToIndex.has(c)) ? "The " : undefined;
    out.log(formatSummary({
      steps: trainer.step,
      total: config.steps,
      stopped: result.stopped,
      smoothLoss: trainer.smoothLoss,
      bestValLoss: best,
      charsPerSec: result.charsPerSec,
      wallMs: performance.now() - start,
      latest,
      best: wroteBest || (await keptBest(run, bestPath)) ? bestPath : undefined,
      prime,
    }));
    if (!result.stopped) return 0;
    if (timedOut) {
      out.note(
        `Time limit of ${args.maxMinutes} min reached at step ${trainer.step}; saved ${latest}; ` +
          `continue with: deno task train --resume ${shellQuote(latest)}`,
      );
      return 0;
    }
    out.note(
      `Interrupted: saved step ${trainer.step} to ${latest}; resume with: ` +
        `deno task train --resume ${shellQuote(latest)}`,
    );
    return 130;
  } finally {
    clearTimeout(timer);
    out.clear();
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

/** Whether a resumed run continues in its folder, where best.safetensors already exists. */
async function keptBest(run: Run, bestPath: string): Promise<boolean> {
  if (!run.resumedFrom || resolve(dirname(run.resumedFrom)) !== resolve(run.outDir)) return false;
  return await isFile(bestPath);
}

/** Whether a path is an existing file. */
async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

if (import.meta.main) await runMain(trainMain);
