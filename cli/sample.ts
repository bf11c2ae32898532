/**
 * `deno task sample`: prints the prime text followed by exactly `--length`
 * generated characters (and a line break) from a trained checkpoint.
 *
 * @module
 */
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { Rng } from "../lib/core/rng.ts";
import { sample } from "../lib/generate/sample.ts";
import { CONFIG_FIELDS } from "../lib/train/config.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { FlagTable } from "./flags.ts";
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
    description: "Characters to generate after the prime",
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
  seed: {
    ...CONFIG_FIELDS.seed,
    defaultText: "random, shown on stderr",
    description: "Random seed; the same seed and options give the same text",
  },
  help: { type: "boolean", short: "h", description: "Show this help and exit" },
} as const satisfies FlagTable;

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
      "Prints the prime followed by exactly --length generated characters and a line break.",
    ].join("\n"),
    SAMPLE_FLAGS,
    [
      "Exit codes: 0 done, 1 bad input (checkpoint, prime), 2 bad command line.",
      "",
      "Example:",
      '  deno task sample --checkpoint runs/brown/best.safetensors --prime "The " --length 300',
    ].join("\n"),
  );
}

/**
 * Runs `deno task sample`.
 *
 * @param argv Command-line arguments.
 * @returns The exit code (0).
 */
export async function sampleMain(argv: string[]): Promise<number> {
  const { values: flags } = parseFlags(argv, SAMPLE_FLAGS);
  if (flags.help) {
    console.log(sampleHelp());
    return 0;
  }
  const { checkpoint: path, prime, length, temperature, topK } = flags;
  if (path === undefined || path === "") {
    throw new UsageError(
      "Missing --checkpoint; pass the file written by deno task train, " +
        "e.g. --checkpoint runs/brown/latest.safetensors",
    );
  }
  const seed = flags.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  const { model, vocab } = await loadCheckpoint(path);
  const text = sample(model, vocab, { length, rng: new Rng(seed), prime, temperature, topK });
  if (flags.seed === undefined) {
    console.error(`seed ${seed} (pass --seed ${seed} to repeat this sample)`);
  }
  const bytes = new TextEncoder().encode(prime + text + "\n");
  let done = 0;
  while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
  return 0;
}

if (import.meta.main) await runMain(sampleMain);
