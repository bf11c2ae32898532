/**
 * `deno task sample`: prints the prime text followed by exactly `--length`
 * generated characters (and a line break) from a trained checkpoint.
 *
 * @module
 */
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { Rng } from "../lib/core/rng.ts";
import { sample } from "../lib/generate/sample.ts";
import { type FlagSpec, formatHelp, parseFlags, UsageError } from "./args.ts";
import { runMain } from "./main_error.ts";

/** Every flag of `deno task sample`, in help order. */
export const SAMPLE_FLAGS: readonly FlagSpec[] = [
  {
    name: "checkpoint",
    type: "string",
    valueName: "PATH",
    description: "Checkpoint written by deno task train (required)",
  },
  {
    name: "prime",
    type: "string",
    valueName: "TEXT",
    default: '""',
    description: "Text to start from; printed first (characters of the training text only)",
  },
  {
    name: "length",
    type: "int",
    valueName: "N",
    min: 0,
    max: 10_000_000,
    default: 500,
    description: "Characters to generate after the prime",
  },
  {
    name: "temperature",
    type: "number",
    valueName: "T",
    min: 0,
    max: 100,
    default: 0.8,
    description: "Softmax temperature: lower is safer, higher is wilder, 0 = most likely",
  },
  {
    name: "top-k",
    type: "int",
    valueName: "K",
    min: 0,
    default: 0,
    description: "Draw only from the K most likely characters (0 = all)",
  },
  {
    name: "seed",
    type: "int",
    valueName: "N",
    min: 0,
    default: "random, shown on stderr",
    description: "Random seed; the same seed and options give the same text",
  },
  { name: "help", short: "h", type: "boolean", description: "Show this help and exit" },
];

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
  const flags = parseFlags(argv, SAMPLE_FLAGS);
  if (flags.get("help") === true) {
    console.log(sampleHelp());
    return 0;
  }
  const path = flags.get("checkpoint") as string | undefined;
  if (path === undefined || path === "") {
    throw new UsageError(
      "Missing --checkpoint; pass the file written by deno task train, " +
        "e.g. --checkpoint runs/brown/latest.safetensors",
    );
  }
  const prime = (flags.get("prime") as string | undefined) ?? "";
  const length = (flags.get("length") as number | undefined) ?? 500;
  const temperature = (flags.get("temperature") as number | undefined) ?? 0.8;
  const topK = (flags.get("top-k") as number | undefined) ?? 0;
  const given = flags.get("seed") as number | undefined;
  const seed = given ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  const { model, vocab } = await loadCheckpoint(path);
  const text = sample(model, vocab, { length, rng: new Rng(seed), prime, temperature, topK });
  if (given === undefined) {
    console.error(`seed ${seed} (pass --seed ${seed} to repeat this sample)`);
  }
  const bytes = new TextEncoder().encode(prime + text + "\n");
  let done = 0;
  while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
  return 0;
}

if (import.meta.main) await runMain(sampleMain);
