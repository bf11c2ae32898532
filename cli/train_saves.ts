/**
 * The checkpoints of a `deno task train` run in its folder: `latest.safetensors` every
 * `--save-every` steps and at the end, `best.safetensors` when the validation loss improves.
 * Only sound weights are saved (see `Trainer.isSound`), so a diverging model never replaces a
 * good checkpoint; the run's history is flushed beside each save.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { encodeCheckpoint } from "../lib/io/checkpoint.ts";
import { writeFileAtomic } from "../lib/io/atomic_write.ts";
import type { HistoryWriter } from "../lib/io/run_folder.ts";
import type { Output } from "./terminal.ts";
import type { Run } from "./train_prepare.ts";

/** Saves a run's checkpoints and says what they hold. */
export class RunSaves {
  /** `<out>/latest.safetensors`. */
  readonly latest: string;
  /** `<out>/best.safetensors`. */
  readonly bestPath: string;
  /** The best validation loss so far (nats per character), or `null`. */
  best: number | null;
  /** Whether this session wrote `best.safetensors`. */
  wroteBest = false;
  /** The step `latest.safetensors` holds (a run resumed from it starts with it), for messages. */
  savedStep: number | undefined;
  readonly #run: Run;
  readonly #history: HistoryWriter;
  readonly #out: Output;
  readonly #saveEvery: number;

  /**
   * Starts with what the run's folder holds.
   *
   * @param run The prepared run.
   * @param options The run's history, the terminal, and the steps between saves of `latest`.
   */
  constructor(run: Run, options: { history: HistoryWriter; out: Output; saveEvery: number }) {
    const { trainer, outDir } = run;
    this.#run = run;
    this.#history = options.history;
    this.#out = options.out;
    this.#saveEvery = options.saveEvery;
    this.latest = join(outDir, "latest.safetensors");
    this.bestPath = join(outDir, "best.safetensors");
    this.best = run.bestValLoss;
    const fromLatest = run.resumedFrom && resolve(run.resumedFrom) === resolve(this.latest);
    this.savedStep = fromLatest ? trainer.step : undefined;
  }

  /** Why the current weights are not saved, or `undefined` when they are sound. */
  unsound(): string | undefined {
    const { trainer } = this.#run;
    if (trainer.isSound()) return undefined;
    const loss = trainer.guard.probe();
    return `its loss on the next chunk is ${loss.toFixed(2)} nats/char, above the divergence ` +
      `limit ${trainer.guard.threshold.toFixed(2)}`;
  }

  /** What `latest.safetensors` holds, for messages. */
  keptNote(): string {
    return this.savedStep === undefined
      ? `no checkpoint of this run was saved`
      : `${this.latest} keeps step ${this.savedStep}`;
  }

  /** Saves `latest.safetensors`. */
  async saveLatest(): Promise<void> {
    await save(this.latest, this.#bytes());
    await this.#history.flush();
    this.savedStep = this.#run.trainer.step;
  }

  /**
   * On a validation pass: saves `best.safetensors` when the loss improved and the weights are
   * sound.
   *
   * @param valLoss The validation loss.
   * @returns Whether it was saved as the best, and why not when it improved but is unsound.
   */
  async onEval(valLoss: number): Promise<{ improved: boolean; why?: string }> {
    const better = this.best === null || valLoss < this.best;
    const why = better ? this.unsound() : undefined;
    if (!better || why !== undefined) return { improved: false, why };
    this.best = valLoss;
    await save(this.bestPath, this.#bytes());
    await this.#history.flush();
    this.wroteBest = true;
    return { improved: true };
  }

  /**
   * After all of a step's events: saves `latest` every `saveEvery` steps (the run's end saves
   * it anyway), so a resumed run repeats the uninterrupted one.
   *
   * @param step The step.
   */
  async afterStep(step: number): Promise<void> {
    const every = this.#saveEvery;
    if (step >= this.#run.trainer.config.steps || every <= 0 || step % every !== 0) return;
    const why = this.unsound();
    if (why === undefined) await this.saveLatest();
    else this.#out.log(`Step ${step} not saved: ${why}; ${this.keptNote()}`);
  }

  /** The checkpoint's bytes; with weight averaging its model is the average. */
  #bytes(): Uint8Array {
    const { trainer, corpusRef } = this.#run;
    return trainer.withAverage((average) =>
      encodeCheckpoint({
        model: trainer.model,
        vocab: trainer.vocab,
        config: trainer.config,
        optimizer: trainer.optimizer,
        step: trainer.step,
        position: trainer.stream.position,
        state: trainer.state,
        smoothLoss: trainer.smoothLoss,
        rng: trainer.rng.getState(),
        corpus: corpusRef,
        bestValLoss: this.best,
        divergence: trainer.guard.divergenceState,
        elapsedMs: trainer.elapsedMs,
        ...(average ? { average } : {}),
      })
    );
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
