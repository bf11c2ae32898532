/**
 * `deno task names`: a list of names in, new names out. Trains a model with the recipe for
 * lists (`lib/names/recipe.ts`: held-out names pick the best weights and stop the training, the
 * names reshuffled every epoch) with a progress line, saves it under `runs/names-<list>/`, then
 * prints new names one per line and a summary line on stderr. `--checkpoint` draws from a saved
 * model instead. Run with `--help` for the flags.
 *
 * @module
 */
import { join } from "node:path";
import { acquireRunLock } from "../lib/io/run_lock.ts";
import { readUserFile } from "../lib/io/read_file.ts";
import { drawNames } from "../lib/names/draw.ts";
import { checkNames, namesRecipe } from "../lib/names/recipe.ts";
import { formatNamesSummary, formatTraining, nameStats } from "../lib/names/report.ts";
import {
  loadNamesRun,
  NAMES_CHECKPOINT,
  NAMES_FILE,
  saveNamesRun,
} from "../lib/names/run_folder.ts";
import { trainNames } from "../lib/names/train.ts";
import { checkNamePrefix } from "../lib/generate/names.ts";
import { formatProgress, shellQuote } from "../lib/report/progress.ts";
import { corpusName } from "../lib/text/corpus.ts";
import { NAME_LISTS, type NameListName, namesToText, parseNames } from "../lib/text/names.ts";
import { buildVocab, type Vocab } from "../lib/text/vocab.ts";
import type { CharModel } from "../lib/model/char_model.ts";
import { runMain } from "./main_error.ts";
import { type NamesArgs, namesHelp, parseNamesArgs } from "./names_flags.ts";
import { Output } from "./terminal.ts";

/** A model to draw from, with its list and, when known, its held-out scores. */
interface Generator {
  model: CharModel;
  vocab: Vocab;
  names: string[];
  scores: { heldOutBits: number; bigramBits: number };
}

/**
 * Runs `deno task names`.
 *
 * @param argv Command-line arguments.
 * @returns The exit code (0).
 */
export async function namesMain(argv: string[]): Promise<number> {
  const args = parseNamesArgs(argv);
  if (args.help) {
    console.log(namesHelp());
    return 0;
  }
  const out = new Output();
  const generator = args.checkpoint !== undefined
    ? await loadGenerator(args.checkpoint, args)
    : await trainGenerator(args.list!, args, out);
  const { kept, drawn } = drawNames(generator.model, generator.vocab, {
    count: args.count,
    seed: args.seed,
    list: generator.names,
    prefix: args.prefix,
    minLength: args.minLength,
    maxLength: args.maxLength,
    allowCopies: args.allowCopies,
    temperature: args.temperature,
  });
  const lines = kept.map((d) =>
    args.format === "jsonl"
      ? JSON.stringify({ name: d.name, new: d.new, logProb: Number(d.logProb.toFixed(4)) })
      : d.name
  );
  await Deno.stdout.write(new TextEncoder().encode(lines.map((l) => l + "\n").join("")));
  const stats = nameStats(drawn.map((d) => d.name), generator.names);
  out.note(formatNamesSummary(stats, generator.scores) + `; printed ${kept.length}`);
  if (kept.length < args.count) {
    out.note(
      `Only ${kept.length} of ${args.count} names fit after ${drawn.length} draws; loosen ` +
        `--prefix, --min-length or --max-length, or pass --allow-copies`,
    );
  }
  return 0;
}

/** A saved generator, its prefix checked. */
async function loadGenerator(path: string, args: NamesArgs): Promise<Generator> {
  const run = await loadNamesRun(path);
  const { model, vocab } = run.checkpoint;
  checkPrefix(vocab, args.prefix);
  const scores = { heldOutBits: run.heldOutBits, bigramBits: run.bigramBits };
  return { model, vocab, names: run.names, scores };
}

/** Reads the list, checks everything, trains with a progress line and saves the model. */
async function trainGenerator(list: string, args: NamesArgs, out: Output): Promise<Generator> {
  const names = [...new Set(await readList(list))];
  checkNames(names, `list "${list}"`);
  const recipe = namesRecipe(names, { seed: args.seed, tokens: args.tokens });
  checkPrefix(buildVocab(namesToText(names), { tokens: recipe.config.tokens }), args.prefix);
  const dir = args.out ?? join("runs", `names-${bundled(list) ? list : corpusName(list)}`);
  const lock = await acquireRunLock(dir);
  const interrupt = new AbortController();
  const onSigint = () => {
    if (!interrupt.signal.aborted) {
      interrupt.abort();
      out.note("Ctrl-C: stopping training; the best weights so far are saved (Ctrl-C to quit)");
    } else {
      lock.release();
      Deno.exit(130);
    }
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    await refuseOverwrite(dir, args.retrain);
    const c = recipe.config;
    out.note(
      `List ${list}: ${names.length} names, ${recipe.heldOut} held out; ${c.tokens}; ` +
        `GRU of ${c.hiddenSize}${c.norm === "layer" ? " (layer norm)" : ""}, zoneout ` +
        `${c.zoneout}, ${c.batchSize} x ${c.seqLength} symbols per step, up to ${recipe.epochs} ` +
        `epochs (${c.steps} steps)`,
    );
    const trained = await trainNames(names, {
      recipe,
      onEvent: (e) => {
        if (e.type !== "step") return;
        const keep = e.step === 1 || e.step % Math.max(1, Math.round(c.steps / 10)) === 0;
        out.progress(formatProgress(e, c.steps, { columns: out.columns }), keep);
      },
      signal: interrupt.signal,
    });
    const path = await saveNamesRun(dir, trained, list);
    out.note(
      `${formatTraining(trained)}; saved ${path}; more names without training: deno task ` +
        `names --checkpoint ${shellQuote(path)} --seed ${args.seed + 1}`,
    );
    const { heldOut, bigramBits } = trained;
    const scores = { heldOutBits: heldOut.bitsPerCodePoint, bigramBits };
    return { model: trained.model, vocab: trained.vocab, names, scores };
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    out.clear();
    lock.release();
  }
}

/** The list's names: a bundled list, or a UTF-8 file with one name per line. */
async function readList(list: string): Promise<string[]> {
  const names = bundled(list);
  if (names) return names();
  const bytes = await readUserFile(
    list,
    "list",
    `pass a text file with one name per line, or ${Object.keys(NAME_LISTS).join(" or ")}`,
  );
  try {
    return parseNames(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Error(`Cannot read list "${list}": it is not UTF-8 text; save it as UTF-8`);
  }
}

/** The bundled list of that name, if there is one. */
function bundled(list: string): (() => string[]) | undefined {
  return Object.hasOwn(NAME_LISTS, list) ? NAME_LISTS[list as NameListName] : undefined;
}

/** Refuses a folder that holds a saved model, unless `--retrain`. */
async function refuseOverwrite(dir: string, retrain: boolean): Promise<void> {
  const saved = join(dir, NAMES_CHECKPOINT);
  const exists = await Deno.stat(saved).then(() => true, () => false) ||
    await Deno.stat(join(dir, NAMES_FILE)).then(() => true, () => false);
  if (!exists || retrain) return;
  throw new Error(
    `${dir}/ already holds a name model; draw from it with --checkpoint ${shellQuote(saved)}, ` +
      `replace it with --retrain, or save elsewhere with --out DIR`,
  );
}

/** A prefix outside the list's symbols, as one line. */
function checkPrefix(vocab: Vocab, prefix: string): void {
  try {
    checkNamePrefix(vocab, prefix);
  } catch (e) {
    throw new Error(`Invalid --prefix ${JSON.stringify(prefix)}: ${(e as Error).message}`);
  }
}

if (import.meta.main) await runMain(namesMain);
