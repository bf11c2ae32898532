/**
 * The flags and help of `deno task names`, and the checks between them that run before any
 * work starts.
 *
 * @module
 */
import { NAME_TEMPERATURE } from "../lib/names/draw.ts";
import { NAME_LISTS } from "../lib/text/names.ts";
import { TOKEN_MODES } from "../lib/text/tokens.ts";
import { CONFIG_FIELDS } from "../lib/train/config.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { FlagTable, FlagValues } from "./flags.ts";
import { formatHelp } from "./help.ts";

/** Every flag of `deno task names`, in help order. */
export const NAMES_FLAGS = {
  list: {
    type: "string",
    valueName: "FILE|english|sanskrit",
    path: true,
    description: "The names, one per line in any script, or a bundled list: english (first " +
      "names) or sanskrit (in Devanagari)",
  },
  count: {
    type: "int",
    valueName: "N",
    min: 1,
    max: 100_000,
    default: 20,
    description: "Names to print",
  },
  seed: {
    ...CONFIG_FIELDS.seed,
    default: 42,
    description: "Seed of the training and the draws: the same seed gives the same names",
  },
  prefix: {
    type: "string",
    valueName: "TEXT",
    default: "",
    description: "Text every name starts with (characters of the list only)",
  },
  minLength: {
    type: "int",
    min: 1,
    max: 1000,
    default: 1,
    description: "Fewest characters of a name, the prefix included (as a reader counts them)",
  },
  maxLength: {
    type: "int",
    min: 1,
    max: 1000,
    defaultText: "twice the list's longest name",
    description: "Most characters of a name",
  },
  temperature: {
    ...CONFIG_FIELDS.sampleTemperature,
    valueName: "T",
    default: NAME_TEMPERATURE,
    description: "Softmax temperature: lower gives names closer to the list, higher wilder ones",
  },
  allowCopies: {
    type: "boolean",
    description: "Also print names of the list and repeats (left out by default)",
  },
  format: {
    type: "string",
    valueName: "text|jsonl",
    choices: ["text", "jsonl"],
    default: "text",
    description: "text (a name per line), or jsonl: {name, new, logProb} per line",
  },
  checkpoint: {
    type: "string",
    valueName: "PATH",
    path: true,
    description: "Draw from a saved model (runs/names-LIST/best.safetensors) without training",
  },
  out: {
    type: "string",
    valueName: "DIR",
    path: true,
    defaultText: "runs/names-LIST",
    description: "Folder the model is saved in",
  },
  retrain: {
    type: "boolean",
    description: "Replace the model already saved in the folder",
  },
  tokens: {
    type: "string",
    valueName: "MODE",
    choices: TOKEN_MODES,
    defaultText: "graphemes when the names use combining marks, else codepoints",
    description: "Symbols of the model",
  },
  help: { type: "boolean", short: "h", description: "Show this help and exit" },
} as const satisfies FlagTable;

/** Parsed flags of `deno task names`. */
export type NamesArgs = FlagValues<typeof NAMES_FLAGS>;

/**
 * The `--help` text of `deno task names`.
 *
 * @returns The text.
 */
export function namesHelp(): string {
  return formatHelp(
    [
      "Usage: deno task names --list FILE|english|sanskrit [options]",
      "       deno task names --checkpoint PATH [options]",
      "",
      "Trains a model fit for a list of names (about a minute at most), saves it, then prints",
      "new names, one per line; a summary line goes to stderr. See docs/names.md.",
    ].join("\n"),
    NAMES_FLAGS,
    [
      "Exit codes: 0 done, 1 bad input (list, prefix, checkpoint, folder), 2 bad command line.",
      "",
      "Examples:",
      "  deno task names --list english --count 10",
      "  deno task names --list data/my-names.txt --prefix Ma --max-length 7",
      "  deno task names --checkpoint runs/names-sanskrit/best.safetensors --seed 7 --format jsonl",
    ].join("\n"),
  );
}

/**
 * Parses and checks the flags of `deno task names` (everything that needs no file).
 *
 * @param argv Command-line arguments.
 * @returns The values.
 * @throws {UsageError} for a missing or conflicting flag.
 */
export function parseNamesArgs(argv: readonly string[]): NamesArgs {
  const { values: args, given } = parseFlags(argv, NAMES_FLAGS);
  if (args.help) return args;
  if (args.checkpoint === undefined && args.list === undefined) {
    throw new UsageError(
      `Missing --list; pass a file of names (one per line) or a bundled list: ` +
        `${Object.keys(NAME_LISTS).join(", ")}`,
    );
  }
  if (args.checkpoint !== undefined) {
    const training = (["list", "out", "retrain", "tokens"] as const).find((k) => given.has(k));
    if (training) {
      throw new UsageError(
        `--checkpoint draws from a saved model, so it takes no --${kebab(training)}; drop one ` +
          `or the other`,
      );
    }
  }
  if (args.maxLength !== undefined && args.minLength > args.maxLength) {
    throw new UsageError(
      `--min-length ${args.minLength} is above --max-length ${args.maxLength}; lower one of them`,
    );
  }
  return args;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}
