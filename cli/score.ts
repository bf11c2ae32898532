/**
 * `deno task score`: how well a checkpoint predicts a text, in nats and bits per character
 * (the training loss, computed the same way), and optionally each character's surprisal.
 *
 * @module
 */
import { tracePassage } from "../lib/generate/inspect.ts";
import { scoreText } from "../lib/generate/score.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { loadCorpus } from "../lib/text/corpus.ts";
import { symbolsOf } from "../lib/text/vocab.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { FlagTable } from "./flags.ts";
import { formatHelp } from "./help.ts";
import { runMain } from "./main_error.ts";

/** Every flag of `deno task score`, in help order. */
export const SCORE_FLAGS = {
  checkpoint: {
    type: "string",
    valueName: "PATH",
    path: true,
    description: "Checkpoint written by deno task train (required)",
  },
  text: {
    type: "string",
    valueName: "FILE",
    path: true,
    description: "UTF-8 text to score (required; only characters of the training text)",
  },
  perChar: {
    type: "boolean",
    description: "Also print each character's surprisal: index, character (JSON), bits",
  },
  help: { type: "boolean", short: "h", description: "Show this help and exit" },
} as const satisfies FlagTable;

/**
 * The `--help` text of `deno task score`.
 *
 * @returns The text.
 */
export function scoreHelp(): string {
  return formatHelp(
    [
      "Usage: deno task score --checkpoint PATH --text FILE [--per-char]",
      "",
      "Prints the mean loss per character of the text under the model, in nats and bits:",
      "each character predicted from the ones before it, from a zero state.",
    ].join("\n"),
    SCORE_FLAGS,
    "Exit codes: 0 done, 1 bad input (checkpoint, text), 2 bad command line.",
  );
}

/**
 * Runs `deno task score`.
 *
 * @param argv Command-line arguments.
 * @returns The exit code (0).
 */
export async function scoreMain(argv: string[]): Promise<number> {
  const { values: args } = parseFlags(argv, SCORE_FLAGS);
  if (args.help) {
    console.log(scoreHelp());
    return 0;
  }
  for (const key of ["checkpoint", "text"] as const) {
    if (args[key] === undefined) {
      throw new UsageError(`Missing --${key}; see deno task score --help`);
    }
  }
  const { model, vocab } = await loadCheckpoint(args.checkpoint!);
  const { text } = await loadCorpus(args.text!);
  for (const ch of new Set(symbolsOf(vocab, text))) {
    if (!vocab.charToIndex.has(ch)) {
      throw new Error(
        `Cannot score "${args.text}": it contains ${JSON.stringify(ch)}, which the model has ` +
          `never seen; score a text of the training text's characters`,
      );
    }
  }
  const score = scoreText(model, vocab, text);
  const lines: string[] = [];
  if (args.perChar) {
    const trace = tracePassage(model, vocab, text);
    trace.chars.forEach((ch, i) => {
      if (i > 0) lines.push(`${i}\t${JSON.stringify(ch)}\t${trace.bits[i]!.toFixed(4)}`);
    });
  }
  const perCodePoint = vocab.tokens === "graphemes"
    ? `; ${score.bitsPerCodePoint.toFixed(4)} bits per code point (${score.predictedCodePoints})`
    : "";
  lines.push(
    `${score.predicted} characters predicted: ${score.nats.toFixed(4)} nats/char ` +
      `(${score.bits.toFixed(4)} bits/char)${perCodePoint}`,
  );
  const bytes = new TextEncoder().encode(lines.join("\n") + "\n");
  let done = 0;
  while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
  return 0;
}

if (import.meta.main) await runMain(scoreMain);
