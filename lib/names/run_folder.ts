/**
 * A name generator's run folder, as `deno task names` writes it (`runs/names-<list>/`):
 * `best.safetensors`, the checkpoint of the weights that scored best on the held-out names (for
 * generating: its optimizer state is fresh), and `names.json`, the list, the names held out and
 * the scores, so names can be drawn and judged new again without the list file. Both are written
 * atomically, `names.json` first.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { Rng } from "../core/rng.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { type Checkpoint, encodeCheckpoint, loadCheckpoint } from "../io/checkpoint.ts";
import { readUserFile } from "../io/read_file.ts";
import { namesToText } from "../text/names.ts";
import { encode } from "../text/vocab.ts";
import { createOptimizer } from "../train/optim.ts";
import type { TrainedNames } from "./train.ts";

/** The checkpoint file of a names run folder. */
export const NAMES_CHECKPOINT = "best.safetensors";
/** The list file of a names run folder. */
export const NAMES_FILE = "names.json";

const FORMAT = "charrnn-workbench-names";

/** What `names.json` holds. */
export interface SavedNames {
  /** The list as given (`english`, `sanskrit`, or a file). */
  list: string;
  /** The distinct names of the list, in its order (held-out names included). */
  names: string[];
  /** The names held out. */
  heldOut: string[];
  /** Held-out bits per code point of the model. */
  heldOutBits: number;
  /** The same of the bigram baseline. */
  bigramBits: number;
}

/** A saved name generator read back. */
export interface NamesRun extends SavedNames {
  /** The checkpoint: model, vocabulary, config. */
  checkpoint: Checkpoint;
}

/**
 * Writes a trained name model into a folder: `names.json`, then `best.safetensors`.
 *
 * @param dir The folder (created when missing).
 * @param trained What {@linkcode trainNames} returned.
 * @param list The list as given, e.g. `english` or `data/names.txt`.
 * @returns The checkpoint's path.
 */
export async function saveNamesRun(
  dir: string,
  trained: TrainedNames,
  list: string,
): Promise<string> {
  const { model, vocab, recipe, split, trainer } = trained;
  const saved: SavedNames & { format: string } = {
    format: FORMAT,
    list,
    names: [...trained.names],
    heldOut: split.heldOut,
    heldOutBits: trained.heldOut.bitsPerCodePoint,
    bigramBits: trained.bigramBits,
  };
  await writeFileAtomic(join(dir, NAMES_FILE), new TextEncoder().encode(JSON.stringify(saved)));
  const path = join(dir, NAMES_CHECKPOINT);
  const bytes = encodeCheckpoint({
    model,
    vocab,
    config: recipe.config,
    optimizer: createOptimizer(recipe.config.optimizer, model.params, { backend: model.backend }),
    step: trained.bestStep,
    position: 0,
    state: model.initialState(recipe.config.batchSize),
    smoothLoss: trainer.smoothLoss,
    rng: new Rng(recipe.config.seed).getState(),
    corpus: list,
    bestValLoss: trained.heldOut.nats,
  });
  await writeFileAtomic(path, bytes);
  return path;
}

/**
 * Reads a name generator: the checkpoint and the `names.json` beside it.
 *
 * @param path The checkpoint, e.g. `runs/names-english/best.safetensors`.
 * @returns The checkpoint and the saved list.
 * @throws {Error} one line naming the file, the problem and the fix.
 */
export async function loadNamesRun(path: string): Promise<NamesRun> {
  const listPath = join(dirname(path), NAMES_FILE);
  const hint = "pass a checkpoint written by deno task names (its names.json is beside it)";
  const checkpoint = await loadCheckpoint(path);
  const bytes = await readUserFile(listPath, "name list", hint);
  let saved: Partial<SavedNames & { format: string }>;
  try {
    saved = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    saved = {};
  }
  const strings = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((s) => typeof s === "string");
  if (
    saved.format !== FORMAT || typeof saved.list !== "string" || !strings(saved.names) ||
    !strings(saved.heldOut) || typeof saved.heldOutBits !== "number" ||
    typeof saved.bigramBits !== "number"
  ) {
    throw new Error(
      `Invalid name list "${listPath}": not a names.json of deno task names; ${hint}`,
    );
  }
  try {
    encode(checkpoint.vocab, namesToText(saved.names));
  } catch {
    throw new Error(
      `Name list "${listPath}" does not match checkpoint "${path}": they were written by ` +
        `different runs; train again with --list`,
    );
  }
  return { ...(saved as SavedNames), checkpoint };
}
