/**
 * A run folder, as `deno task train` writes it: `latest.safetensors`, `best.safetensors` and
 * `history.jsonl`, the trainer's events (steps, validation passes, samples) one JSON object
 * per line, so a notebook can plot the run's curves later ({@linkcode loadRun}). The history is
 * appended whenever a checkpoint is saved; a resumed run first drops the events after the
 * checkpoint's step, so the history always matches the latest checkpoint's past.
 *
 * @module
 */
import { join } from "node:path";
import type { Backend } from "../backend/types.ts";
import { readCorpusRef } from "../text/corpus_ref.ts";
import type { TokenIds } from "../text/data.ts";
import type { TrainEvent } from "../train/events.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import { type Checkpoint, loadCheckpoint } from "./checkpoint.ts";

/** The name of a run folder's history file. */
export const HISTORY_FILE = "history.jsonl";

/** Writes a run's events to its history file, appending at each {@linkcode HistoryWriter.flush}. */
export class HistoryWriter {
  /** The history file. */
  readonly path: string;
  #pending: string[] = [];

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Opens a history for a run: a fresh run (`keepUpTo` 0, the default) starts an empty file;
   * a resumed one keeps the events of steps up to `keepUpTo` and drops the rest.
   *
   * @param path The history file, e.g. `runs/brown/history.jsonl`.
   * @param options `keepUpTo`: the step the run continues from.
   * @returns The writer.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const path = await Deno.makeTempFile();
   * const history = await HistoryWriter.open(path);
   * history.record({ type: "eval", step: 10, valLoss: 2, valBpc: 2 / Math.LN2 });
   * history.record({ type: "sample", step: 20, text: "ab" });
   * await history.flush();
   * await HistoryWriter.open(path, { keepUpTo: 10 }); // resuming at step 10
   * assert.deepEqual((await readHistory(path)).map((e) => e.step), [10]);
   * await Deno.remove(path);
   * ```
   */
  static async open(path: string, options: { keepUpTo?: number } = {}): Promise<HistoryWriter> {
    const keepUpTo = options.keepUpTo ?? 0;
    const kept = keepUpTo > 0 ? (await readHistory(path)).filter((e) => e.step <= keepUpTo) : [];
    await writeFileAtomic(path, new TextEncoder().encode(kept.map(line).join("")));
    return new HistoryWriter(path);
  }

  /**
   * Adds an event, written at the next flush.
   *
   * @param event A trainer event.
   */
  record(event: TrainEvent): void {
    this.#pending.push(line(event));
  }

  /** Appends the events recorded since the last flush. */
  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const text = this.#pending.join("");
    this.#pending = [];
    await Deno.writeTextFile(this.path, text, { append: true });
  }
}

/**
 * Reads a history file; a torn last line (a run killed while writing) is skipped.
 *
 * @param path The history file.
 * @returns The events in order (none when the file does not exist).
 * @throws {Error} when a line other than the last is not an event.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"type":"sample","step":5,"text":"a"}\n{"type":"ev');
 * assert.deepEqual(await readHistory(path), [{ type: "sample", step: 5, text: "a" }]);
 * await Deno.remove(path);
 * ```
 */
export async function readHistory(path: string): Promise<TrainEvent[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const events: TrainEvent[] = [];
  lines.forEach((l, i) => {
    try {
      const event = JSON.parse(l) as TrainEvent;
      if (typeof event?.step !== "number" || typeof event.type !== "string") throw new Error();
      events.push(event);
    } catch {
      if (i === lines.length - 1) return;
      throw new Error(`Invalid history "${path}": line ${i + 1} is not a training event`);
    }
  });
  return events;
}

/** A run folder read back. */
export interface SavedRun {
  /** The folder. */
  dir: string;
  /** The checkpoint file that was loaded. */
  path: string;
  /** The checkpoint: model, vocabulary, config, step. */
  checkpoint: Checkpoint;
  /** The training events up to the checkpoint's step (empty for runs without a history). */
  history: TrainEvent[];
  /** The held-out part of the run's corpus, encoded, or null when the corpus is not found. */
  validation: TokenIds | null;
}

/**
 * Loads a run folder written by `deno task train`: its checkpoint (`best.safetensors` by
 * default), the history up to that checkpoint's step, and the held-out text of its corpus.
 *
 * @param dir The folder, e.g. `runs/brown`.
 * @param options `file`: the checkpoint in it (default `best.safetensors`); `backend`: where
 *   the model runs (default the fastest here).
 * @returns The run, or null when the checkpoint file does not exist.
 * @throws {Error} for a corrupt checkpoint or history.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(await loadRun("runs/no-such-run"), null);
 * ```
 */
export async function loadRun(
  dir: string,
  options: { file?: string; backend?: Backend } = {},
): Promise<SavedRun | null> {
  const path = join(dir, options.file ?? "best.safetensors");
  try {
    await Deno.stat(path);
  } catch {
    return null;
  }
  const checkpoint = await loadCheckpoint(path, { backend: options.backend });
  const history = (await readHistory(join(dir, HISTORY_FILE)))
    .filter((e) => e.step <= checkpoint.step);
  let validation: TokenIds | null = null;
  try {
    const { val } = await readCorpusRef(
      checkpoint.corpus,
      checkpoint.vocab,
      checkpoint.config.valFraction,
    );
    if (!val.includes(-1)) validation = val;
  } catch {
    // the corpus moved (or, above, changed): the run is still shown, without held-out scores
  }
  return { dir, path, checkpoint, history, validation };
}

function line(event: TrainEvent): string {
  return JSON.stringify(event) + "\n";
}
