/**
 * `deno task sample`: generates text from a trained checkpoint on the fastest backend here.
 * One sample streams to stdout as it is generated; `--num-samples N` generates N streams as one
 * batch (stream i uses seed + i, so a sample does not depend on N); `--beam W` searches for the
 * most likely continuation instead; `--stop TEXT` ends a sample at a text; `--format jsonl`
 * prints one JSON object per sample; `--novelty` reports how much is copied from the training
 * text.
 *
 * @module
 */
import { beamSearch } from "../lib/generate/beam.ts";
import { copyReport } from "../lib/generate/novelty.ts";
import { generate, type Generated, streamRngs } from "../lib/generate/sample.ts";
import { type Checkpoint, loadCheckpoint } from "../lib/io/checkpoint.ts";
import { readCorpusRef } from "../lib/text/corpus_ref.ts";
import { symbolsOf } from "../lib/text/vocab.ts";
import { CONFIG_FIELDS } from "../lib/train/config_fields.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { FlagTable, FlagValues } from "./flags.ts";
import { formatHelp } from "./help.ts";
import { runMain } from "./main_error.ts";

/** Every flag of `deno task sample`, in help order. */
export const SAMPLE_FLAGS = {
  checkpoint: {
    type: "string",
    valueName: "PATH",
    description: "Checkpoint written by deno task train (required)",
  },
  prime: {
    type: "string",
    valueName: "TEXT",
    default: "",
    description: "Text to start from; printed first (characters of the training text only)",
  },
  length: {
    type: "int",
    min: 0,
    max: 10_000_000,
    default: 500,
    description: "Characters to generate after the prime (at most, with --stop)",
  },
  temperature: {
    ...CONFIG_FIELDS.sampleTemperature,
    valueName: "T",
    default: 0.8,
    description: "Softmax temperature: lower is safer, higher is wilder, 0 = most likely",
  },
  topK: {
    type: "int",
    valueName: "K",
    min: 0,
    default: 0,
    description: "Draw only from the K most likely characters (0 = all)",
  },
  topP: {
    type: "number",
    valueName: "P",
    min: 0,
    exclusiveMin: true,
    max: 1,
    default: 1,
    description: "Nucleus: draw from the fewest most likely characters holding mass P (1 = all)",
  },
  beam: {
    type: "int",
    valueName: "W",
    min: 1,
    max: 1024,
    description: "Beam search of width W for the most likely continuation (no sampling)",
  },
  stop: {
    type: "string",
    valueName: "TEXT",
    description: 'End a sample at this text, left out (\\n = newline, e.g. "\\n\\n" or "\\n")',
  },
  numSamples: {
    type: "int",
    valueName: "N",
    min: 1,
    max: 100_000,
    default: 1,
    description: "Samples generated in parallel as one batch (sample i uses seed + i)",
  },
  seed: {
    ...CONFIG_FIELDS.seed,
    defaultText: "random, shown on stderr",
    description: "Random seed; the same seed and options give the same text",
  },
  format: {
    type: "string",
    choices: ["text", "jsonl"],
    default: "text",
    description: "text, or jsonl: one JSON object per sample with its settings and log-prob",
  },
  novelty: {
    type: "boolean",
    description: "Report the longest span copied from the training text and the 8-gram share",
  },
  corpus: {
    type: "string",
    valueName: "PATH|brown",
    path: true,
    description: "Training text for --novelty (default: the one the checkpoint names)",
  },
  help: { type: "boolean", short: "h", description: "Show this help and exit" },
} as const satisfies FlagTable;

type SampleArgs = FlagValues<typeof SAMPLE_FLAGS>;

/**
 * The `--help` text of `deno task sample`.
 *
 * @returns The text.
 */
export function sampleHelp(): string {
  return formatHelp(
    [
      "Usage: deno task sample --checkpoint PATH [options]",
      "",
      "Prints the prime followed by the generated characters and a line break; one sample",
      "streams as it is generated.",
    ].join("\n"),
    SAMPLE_FLAGS,
    [
      "Exit codes: 0 done, 1 bad input (checkpoint, prime, corpus), 2 bad command line.",
      "",
      "Examples:",
      '  deno task sample --checkpoint runs/brown/best.safetensors --prime "The " --length 300',
      '  deno task sample --checkpoint runs/names/best.safetensors --num-samples 20 --stop "\\n"',
      "  deno task sample --checkpoint runs/brown/best.safetensors --beam 8 --length 80",
    ].join("\n"),
  );
}

/**
 * Turns the escapes `\n`, `\t` and `\\` of a command-line text into characters.
 *
 * @param text As typed.
 * @returns The text meant.
 */
export function unescapeText(text: string): string {
  return text.replace(
    /\\(n|t|\\)/g,
    (_, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : "\\"),
  );
}

/**
 * Runs `deno task sample`.
 *
 * @param argv Command-line arguments.
 * @returns The exit code (0).
 */
export async function sampleMain(argv: string[]): Promise<number> {
  const { values: args, given } = parseFlags(argv, SAMPLE_FLAGS);
  if (args.help) {
    console.log(sampleHelp());
    return 0;
  }
  const path = checkArgs(args, given);
  const seed = args.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  const ckpt = await loadCheckpoint(path);
  const training = args.novelty ? await trainingIds(ckpt, args.corpus) : undefined;
  const out = new Output();
  const texts = args.beam !== undefined
    ? searchBeam(ckpt, { args, out, width: args.beam })
    : sampleStreams(ckpt, { args, out, seed });
  if (training) report(texts, training, ckpt);
  return out.close();
}

/** Checks the flags that go together; returns the checkpoint's path. */
function checkArgs(args: SampleArgs, given: ReadonlySet<string>): string {
  if (args.checkpoint === undefined || args.checkpoint === "") {
    throw new UsageError(
      "Missing --checkpoint; pass the file written by deno task train, " +
        "e.g. --checkpoint runs/brown/latest.safetensors",
    );
  }
  const sampling = (["temperature", "topK", "topP", "numSamples"] as const).filter((k) =>
    given.has(k)
  );
  if (args.beam !== undefined && sampling.length > 0) {
    throw new UsageError(
      `--beam searches instead of sampling, so it takes no --${kebab(sampling[0]!)}; ` +
        `drop one or the other`,
    );
  }
  if (args.stop === "") throw new UsageError("Empty --stop; give the text that ends a sample");
  return args.checkpoint;
}

/** `--beam W`: the most likely continuation, on stdout, its log-probability on stderr. */
function searchBeam(
  ckpt: Checkpoint,
  options: { args: SampleArgs; out: Output; width: number },
): string[] {
  const { args, out, width } = options;
  const best = beamSearch(ckpt.model, ckpt.vocab, { ...sharedOptions(args), width });
  const stop = sharedOptions(args).stop ?? "";
  const chars = symbolsOf(ckpt.vocab, best.text).length +
    (best.stopped ? symbolsOf(ckpt.vocab, stop).length : 0);
  if (args.format === "jsonl") out.write(JSON.stringify(record(args, { ...best, chars })) + "\n");
  else out.write(args.prime + best.text + "\n");
  console.error(
    `beam ${width}: log-probability ${best.logProb.toFixed(2)} nats ` +
      `(${best.meanLogProb.toFixed(3)} per character)`,
  );
  return [best.text];
}

/** `--num-samples N` streams (one streams to stdout as it is generated); their texts. */
function sampleStreams(
  ckpt: Checkpoint,
  options: { args: SampleArgs; out: Output; seed: number },
): string[] {
  const { args, out, seed } = options;
  const streaming = args.format === "text" && args.numSamples === 1;
  if (streaming) out.write(args.prime);
  const samples = generate(ckpt.model, ckpt.vocab, {
    ...sharedOptions(args),
    temperature: args.temperature,
    topK: args.topK,
    topP: args.topP,
    rngs: streamRngs(seed, args.numSamples),
    onText: streaming ? (_, text) => out.write(text) : undefined,
  });
  if (args.seed === undefined) {
    console.error(`seed ${seed} (pass --seed ${seed} to repeat this sample)`);
  }
  if (args.format === "jsonl") {
    samples.forEach((g, i) => out.write(JSON.stringify(record(args, g, seed + i)) + "\n"));
  } else if (streaming) out.write("\n");
  else {
    const gap = samples.some((g) => g.text.includes("\n")) ? "\n\n" : "\n";
    out.write(samples.map((g) => args.prime + g.text).join(gap) + "\n");
  }
  return samples.map((g) => g.text);
}

/** What sampling and beam search share: prime, length and the stop text. */
function sharedOptions(args: SampleArgs): { prime: string; length: number; stop?: string } {
  return {
    prime: args.prime,
    length: args.length,
    stop: args.stop === undefined ? undefined : unescapeText(args.stop),
  };
}

/** The jsonl object of one sample: its text, settings and mean log-probability. */
function record(
  args: SampleArgs,
  g: Omit<Generated, "last">,
  seed?: number,
): Record<string, unknown> {
  return {
    text: g.text,
    prime: args.prime,
    ...(seed === undefined ? { beam: args.beam } : {
      seed,
      temperature: args.temperature,
      topK: args.topK,
      topP: args.topP,
    }),
    length: args.length,
    stop: args.stop === undefined ? null : unescapeText(args.stop),
    stopped: g.stopped,
    chars: g.chars,
    meanLogProb: g.chars > 0 ? g.logProb / g.chars : 0,
  };
}

/** The run's training text in the checkpoint's symbols (all of it, for --novelty). */
async function trainingIds(ckpt: Checkpoint, corpus?: string): Promise<Int32Array> {
  const ref = corpus ?? ckpt.corpus;
  try {
    const { train, val } = await readCorpusRef(ref, ckpt.vocab, ckpt.config.valFraction);
    const all = new Int32Array(train.length + val.length);
    all.set(train);
    all.set(val, train.length);
    return all;
  } catch (e) {
    throw new Error(
      `Cannot read the training text "${ref}" for --novelty: ${(e as Error).message}; ` +
        `pass it with --corpus PATH`,
    );
  }
}

/** The copied spans of each sample, on stderr. */
function report(texts: string[], training: Int32Array, ckpt: Checkpoint): void {
  texts.forEach((text, i) => {
    const r = copyReport(text, training, ckpt.vocab);
    console.error(
      `${texts.length > 1 ? `sample ${i}: ` : ""}longest span copied from the training text: ` +
        `${r.longestCopied} characters ${JSON.stringify(r.longestCopiedText)}; ` +
        `${(100 * r.ngramShare).toFixed(1)}% of its ${r.ngrams} ${r.n}-grams occur in it`,
    );
  });
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

/** stdout, written as the text comes: line by line when it is not a terminal. */
class Output {
  #tty = Deno.stdout.isTerminal();
  #pending = "";
  #encoder = new TextEncoder();

  write(text: string): void {
    this.#pending += text;
    const cut = this.#tty ? this.#pending.length : this.#pending.lastIndexOf("\n") + 1;
    if (cut > 0) {
      writeAll(this.#encoder.encode(this.#pending.slice(0, cut)));
      this.#pending = this.#pending.slice(cut);
    }
  }

  close(): number {
    if (this.#pending) writeAll(this.#encoder.encode(this.#pending));
    this.#pending = "";
    return 0;
  }
}

function writeAll(bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
}

if (import.meta.main) await runMain(sampleMain);
