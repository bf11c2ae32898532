/**
 * `deno task train`: trains a character-level RNN on the bundled Brown corpus or the user's
 * texts, with live progress, validation, samples, checkpoints, Ctrl-C handling, `--resume`,
 * a divergence guard (rollback or stop) and one run per output folder. Run with `--help` for
 * the flags.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { encodeCheckpoint } from "../lib/io/checkpoint.ts";
import { writeFileAtomic } from "../lib/io/atomic_write.ts";
import { HISTORY_FILE, HistoryWriter } from "../lib/io/run_folder.ts";
import { codePointsOf } from "../lib/text/vocab.ts";
import { acquireRunLock, type RunLock } from "../lib/io/run_lock.ts";
import { corpusTitle } from "../lib/text/encoded_corpus.ts";
import { countParams } from "../lib/core/tensor.ts";
import { TrainingDivergedError } from "../lib/train/divergence.ts";
import type { TrainEvent } from "../lib/train/trainer.ts";
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

/** Writes a checkpoint atomically, turning a failure into one line that says nothing was lost. */
async function save(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    const cause = (error as Error).cause ?? error;
    // "Is a directory (os error 21): rename 'a' -> 'b'": the problem, without the system call
    const text = (cause instanceof Error ? cause.message : String(cause))
      .replace(/( \(os error \d+\)).*$/, "$1");
    const why = /os error 28|no space left/i.test(text)
      ? "the disk is full"
      : cause instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : text;
    throw new Error(
      `Cannot save checkpoint "${path}": ${why}; the previous checkpoint there is unchanged; ` +
        `free some space or pass another folder with --out DIR`,
    );
  }
}

/** Trains with progress output, checkpoints and Ctrl-C handling; returns the exit code. */
async function train(
  run: Run,
  options: { args: TrainArgs; out: Output; lock: RunLock; backendLine: string },
): Promise<number> {
  const { args, out, lock, backendLine } = options;
  const { trainer, outDir } = run;
  const { config, vocab } = trainer;
  const latest = join(outDir, "latest.safetensors");
  const bestPath = join(outDir, "best.safetensors");
  const saveEvery = args.saveEvery ?? config.sampleEvery;
  const hasVal = run.data.val.length >= config.seqLength + 1; // as Trainer.evaluate requires
  let best = run.bestValLoss;
  let wroteBest = false;
  // the step latest.safetensors holds, for messages (a run resumed from it starts with it)
  let savedStep = run.resumedFrom && resolve(run.resumedFrom) === resolve(latest)
    ? trainer.step
    : undefined;
  // the events, for plots of the run later (lib/io/run_folder.ts); a resumed run keeps its past
  const history = await HistoryWriter.open(join(outDir, HISTORY_FILE), {
    keepUpTo: run.resumedFrom ? trainer.step : 0,
  });
  const val = run.data.val; // grapheme symbols: also bits per code point
  const codePointsPerSymbol = val.length > 0 ? codePointsOf(vocab, val) / val.length : 1;

  // the checkpoint's bytes; with weight averaging its model is the average
  const snapshot = (): Uint8Array =>
    trainer.withAverage((average) =>
      encodeCheckpoint({
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
        divergence: trainer.guard.divergenceState,
        elapsedMs: trainer.elapsedMs,
        ...(average ? { average } : {}),
      })
    );
  /** Why the current weights are not saved, or `undefined` when they are sound. */
  const unsound = (): string | undefined => {
    if (trainer.isSound()) return undefined;
    const loss = trainer.guard.probe();
    return `its loss on the next chunk is ${loss.toFixed(2)} nats/char, above the divergence ` +
      `limit ${trainer.guard.threshold.toFixed(2)}`;
  };
  const keptNote = () =>
    savedStep === undefined
      ? `no checkpoint of this run was saved`
      : `${latest} keeps step ${savedStep}`;

  const m = trainer.model;
  out.log(run.corpusLine);
  out.log(backendLine);
  out.log(
    `Model ${m.config.cell}: hidden size ${m.config.hiddenSize}` +
      `${config.numLayers > 1 ? `, ${config.numLayers} layers, dropout ${config.dropout}` : ""}` +
      `${config.weightDrop > 0 ? `, weight drop ${config.weightDrop}` : ""}` +
      `${config.norm === "layer" ? ", layer norm" : ""}` +
      `${config.zoneout > 0 ? `, zoneout ${config.zoneout}` : ""}, ` +
      `${formatCount(countParams(m.params))} parameters; ${config.optimizer}, learning rate ` +
      `${config.learningRate}` +
      `${config.weightDecay > 0 ? `, weight decay ${config.weightDecay}` : ""}` +
      `, clip ${config.clipMode} ${config.clip}` +
      `${config.weightAverage > 0 ? `, weight average ${config.weightAverage}` : ""}; ` +
      `${config.batchSize} x ${config.seqLength} characters per step` +
      (config.stride > 0 && config.stride !== config.seqLength
        ? `, streams move ${config.stride} per step`
        : ""),
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
      `raining ${budgetText(config)}; checkpoints in ${outDir}/`,
  );

  const firstStep = trainer.step + 1;
  const onEvent = async (e: TrainEvent) => {
    history.record(e);
    if (e.type === "step") {
      const done = e.step === config.steps || e.progress >= 1;
      out.progress(
        formatProgress(e, config.steps, { columns: out.columns }),
        e.step === firstStep || e.step % args.printEvery === 0 || done,
      );
      return;
    }
    if (e.type === "eval") {
      const better = best === null || e.valLoss < best;
      const why = better ? unsound() : undefined;
      const improved = better && why === undefined;
      if (improved) {
        best = e.valLoss;
        await save(bestPath, snapshot());
        await history.flush();
        wroteBest = true;
      }
      const line = formatEval(e, { improved, codePointsPerSymbol });
      out.log(line + (why ? ` (not saved as best: ${why})` : ""));
    } else if (e.type === "divergence") {
      if (e.action === "rollback") out.log(formatDivergence(e));
    } else out.log(formatSample(e, { temperature: config.sampleTemperature }));
  };
  const saveLatest = async () => {
    await save(latest, snapshot());
    await history.flush();
    savedStep = trainer.step;
  };
  // Save latest after all of a save step's events, so a resumed run repeats the uninterrupted
  // one; only sound weights are saved, so a diverging model never replaces a good checkpoint.
  const afterStep = async (step: number) => {
    if (step >= config.steps || saveEvery <= 0 || step % saveEvery !== 0) return;
    const why = unsound();
    if (why === undefined) await saveLatest();
    else out.log(`Step ${step} not saved: ${why}; ${keptNote()}`);
  };

  const controller = new AbortController();
  const onSigint = () => {
    if (!controller.signal.aborted) {
      controller.abort();
      out.note("Ctrl-C: stopping after this step and saving (press Ctrl-C again to quit at once)");
    } else {
      out.note(`Ctrl-C again: quitting without saving this step; ${latest} is unchanged`);
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
        `Training diverged at step ${error.event.step}: ${error.event.reason}; ${keptNote()}; ` +
          `lower --learning-rate or use --clip-mode norm${hint}`,
      );
    }
    const why = unsound();
    if (why !== undefined) {
      throw new DivergedExit(
        `The weights of step ${trainer.step} were not saved: ${why}; ${keptNote()}; ` +
          `lower --learning-rate or use --clip-mode norm`,
      );
    }
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
  } finally {
    out.clear();
    Deno.removeSignalListener("SIGINT", onSigint);
  }
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
