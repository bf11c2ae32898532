/**
 * `deno task train`: trains a character-level RNN on the bundled Brown corpus or the user's
 * texts, with live progress, validation, samples, checkpoints, Ctrl-C handling, `--resume`,
 * a divergence guard (rollback or stop) and one run per output folder. Run with `--help` for
 * the flags.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { HISTORY_FILE, HistoryWriter } from "../lib/io/run_folder.ts";
import { codePointsOf } from "../lib/text/vocab.ts";
import { acquireRunLock, type RunLock } from "../lib/io/run_lock.ts";
import { corpusTitle } from "../lib/text/encoded_corpus.ts";
import { countParams } from "../lib/core/tensor.ts";
import { TrainingDivergedError } from "../lib/train/divergence.ts";
import type { TrainEvent, TrainResult } from "../lib/train/events.ts";
import type { CharModel } from "../lib/model/char_model.ts";
import type { TrainConfig } from "../lib/train/config.ts";
import { UsageError } from "./args.ts";
import { openBackend } from "./backend.ts";
import { runMain } from "./main_error.ts";
import {
  formatCount,
  formatDivergence,
  formatEval,
  formatProgress,
  formatSample,
  formatSummary,
  shellQuote,
} from "../lib/report/progress.ts";
import { Output } from "./terminal.ts";
import { type CorpusChoice, parseCorpusRef } from "../lib/text/corpus_ref.ts";
import { loadResumable, prepareFresh, prepareResume, type Run } from "./train_prepare.ts";
import { parseTrainArgs, type TrainArgs, trainHelp } from "./train_flags.ts";
import { RunSaves } from "./train_saves.ts";

/** Training diverged and the run stopped: exit code 3. */
class DivergedExit extends Error {
  /** The process exit code. */
  readonly exitCode = 3;
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
  if (args.valCorpus !== undefined && args.overrides.valFraction !== undefined) {
    throw new UsageError(
      "Pass either --val-corpus (a separate validation text) or --val-fraction (hold out the " +
        "end of the training text), not both",
    );
  }
  const out = new Output();
  const backend = openBackend(args.backend, args.threads);
  const ckpt = args.resume === undefined
    ? undefined
    : await loadResumable(args, args.resume, backend);
  const choice: CorpusChoice = ckpt
    ? {
      train: args.corpusGiven ? args.corpus : parseCorpusRef(ckpt.ckpt.corpus).train,
      val: args.valCorpus ?? parseCorpusRef(ckpt.ckpt.corpus).val,
    }
    : { train: args.corpus, val: args.valCorpus };
  const outDir = args.out ??
    (args.resume !== undefined ? dirname(args.resume) : join("runs", corpusTitle(choice.train)));
  const lock = await acquireRunLock(outDir);
  try {
    if (lock.tookOver) {
      out.note(
        `Note: took over ${lock.path} from process ${lock.tookOver.pid} (started ` +
          `${lock.tookOver.since}), which no longer runs`,
      );
    }
    const run = ckpt
      ? await prepareResume(ckpt.ckpt, ckpt.config, { args, choice, outDir, backend, out })
      : await prepareFresh(args, { choice, outDir, backend, out });
    return await train(run, { args, out, lock, backendLine: `Backend: ${backend.detail}` });
  } finally {
    lock.release();
  }
}

/** Trains with progress output, checkpoints and Ctrl-C handling; returns the exit code. */
async function train(
  run: Run,
  options: { args: TrainArgs; out: Output; lock: RunLock; backendLine: string },
): Promise<number> {
  const { args, out, lock, backendLine } = options;
  const { trainer, outDir } = run, { config } = trainer;
  // the events, for plots of the run later (lib/io/run_folder.ts); a resumed run keeps its past
  const history = await HistoryWriter.open(join(outDir, HISTORY_FILE), {
    keepUpTo: run.resumedFrom ? trainer.step : 0,
  });
  const saveEvery = args.saveEvery ?? config.sampleEvery;
  const saves = new RunSaves(run, { history, out, saveEvery });
  await printHeader(run, { out, backendLine, latest: saves.latest });
  const onEvent = eventPrinter(run, { args, out, saves, history });
  // latest is saved after all of a save step's events, so a resumed run repeats this one
  const afterStep = (step: number) => saves.afterStep(step);
  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) {
      controller.abort();
      out.note("Ctrl-C: stopping after this step and saving (press Ctrl-C again to quit at once)");
    } else {
      out.note(`Ctrl-C again: quitting without saving this step; ${saves.latest} is unchanged`);
      lock.release();
      Deno.exit(130);
    }
  };
  Deno.addSignalListener("SIGINT", onSigint);
  const start = performance.now();
  try {
    let result;
    try {
      result = await trainer.train({ onEvent, afterStep, signal: controller.signal });
    } catch (error) {
      if (!(error instanceof TrainingDivergedError)) throw error;
      const hint = config.onDivergence === "stop" ? ", or pass --on-divergence rollback" : "";
      throw new DivergedExit(
        `Training diverged at step ${error.event.step}: ${error.event.reason}; ` +
          `${saves.keptNote()}; lower --learning-rate or use --clip-mode norm${hint}`,
      );
    }
    return await finish(run, result, { saves, out, start });
  } finally {
    out.clear();
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

/** The lines before the first step: corpus, backend, model, notes, and what the run does. */
async function printHeader(
  run: Run,
  options: { out: Output; backendLine: string; latest: string },
): Promise<void> {
  const { out, backendLine, latest } = options;
  const { trainer, outDir } = run, { config } = trainer;
  out.log(run.corpusLine);
  out.log(backendLine);
  out.log(modelLine(trainer.model, config));
  if (!run.resumedFrom && (await isFile(latest))) {
    out.log(
      `Note: replacing the checkpoints in ${outDir}/ (pass --out DIR to keep them, ` +
        `or --resume ${shellQuote(latest)} to continue that run)`,
    );
  }
  if (config.evalEvery > 0 && run.data.val.length < config.seqLength + 1) { // as evaluate needs
    out.log(
      `No validation: the held-out part has ${run.data.val.length} characters, fewer than ` +
        `--seq-length + 1; raise --val-fraction or use a longer text`,
    );
  }
  out.log(
    (run.resumedFrom ? `Resuming "${run.resumedFrom}" at step ${trainer.step}; t` : "T") +
      `raining ${budgetText(config)}; checkpoints in ${outDir}/`,
  );
}

/** "Model gru: hidden size 256, ..., 1,234 parameters; adam, learning rate ...". */
function modelLine(model: CharModel, config: TrainConfig): string {
  return `Model ${model.config.cell}: hidden size ${model.config.hiddenSize}` +
    `${config.numLayers > 1 ? `, ${config.numLayers} layers, dropout ${config.dropout}` : ""}` +
    `${config.weightDrop > 0 ? `, weight drop ${config.weightDrop}` : ""}` +
    `${config.norm === "layer" ? ", layer norm" : ""}` +
    `${config.zoneout > 0 ? `, zoneout ${config.zoneout}` : ""}, ` +
    `${formatCount(countParams(model.params))} parameters; ${config.optimizer}, learning rate ` +
    `${config.learningRate}` +
    `${config.weightDecay > 0 ? `, weight decay ${config.weightDecay}` : ""}` +
    `, clip ${config.clipMode} ${config.clip}` +
    `${config.weightAverage > 0 ? `, weight average ${config.weightAverage}` : ""}; ` +
    `${config.batchSize} x ${config.seqLength} characters per step` +
    (config.stride > 0 && config.stride !== config.seqLength
      ? `, streams move ${config.stride} per step`
      : "");
}

/** The event handler: the history, the progress line, validation (and best saves), samples. */
function eventPrinter(
  run: Run,
  options: { args: TrainArgs; out: Output; saves: RunSaves; history: HistoryWriter },
): (e: TrainEvent) => Promise<void> {
  const { args, out, saves, history } = options;
  const { config, vocab } = run.trainer;
  const firstStep = run.trainer.step + 1;
  const val = run.data.val; // grapheme symbols: also bits per code point
  const codePointsPerSymbol = val.length > 0 ? codePointsOf(vocab, val) / val.length : 1;
  return async (e: TrainEvent) => {
    history.record(e);
    if (e.type === "step") {
      const done = e.step === config.steps || e.progress >= 1;
      out.progress(
        formatProgress(e, config.steps, { columns: out.columns }),
        e.step === firstStep || e.step % args.printEvery === 0 || done,
      );
    } else if (e.type === "eval") {
      const { improved, why } = await saves.onEval(e.valLoss);
      const line = formatEval(e, { improved, codePointsPerSymbol });
      out.log(line + (why ? ` (not saved as best: ${why})` : ""));
    } else if (e.type === "divergence") {
      if (e.action === "rollback") out.log(formatDivergence(e));
    } else out.log(formatSample(e, { temperature: config.sampleTemperature }));
  };
}

/** After the last step: saves `latest` (when sound) and prints the summary; the exit code. */
async function finish(
  run: Run,
  result: TrainResult,
  options: { saves: RunSaves; out: Output; start: number },
): Promise<number> {
  const { saves, out } = options;
  const { trainer } = run, { config, vocab } = trainer;
  const why = saves.unsound();
  if (why !== undefined) {
    throw new DivergedExit(
      `The weights of step ${trainer.step} were not saved: ${why}; ${saves.keptNote()}; ` +
        `lower --learning-rate or use --clip-mode norm`,
    );
  }
  await saves.saveLatest();
  out.clear();
  const { latest, bestPath } = saves;
  out.log(formatSummary({
    steps: trainer.step,
    total: config.steps,
    stopped: result.stopped,
    smoothLoss: trainer.smoothLoss,
    bestValLoss: saves.best,
    charsPerSec: result.charsPerSec,
    wallMs: performance.now() - options.start,
    latest,
    best: saves.wroteBest || (await keptBest(run, bestPath)) ? bestPath : undefined,
    prime: [..."The "].every((c) => vocab.charToIndex.has(c)) ? "The " : undefined,
  }));
  if (result.outOfTime) {
    out.note(
      `Time budget of ${config.maxMinutes} min spent at step ${trainer.step}; saved ${latest}; ` +
        `train longer with: deno task train --resume ${shellQuote(latest)} --max-minutes ` +
        `${2 * config.maxMinutes}`,
    );
  }
  if (!result.stopped) return 0;
  out.note(
    `Interrupted: saved step ${trainer.step} to ${latest}; resume with: ` +
      `deno task train --resume ${shellQuote(latest)}`,
  );
  return 130;
}

/** "to step N", or for a run with a time budget "for M min ... or to step N". */
function budgetText(config: TrainConfig): string {
  if (config.maxMinutes <= 0) return `to step ${config.steps}`;
  return `for ${config.maxMinutes} min (the learning rate anneals over that time) or to step ` +
    `${config.steps}, whichever comes first`;
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
