/**
 * Shared command-line parsing for the CLI commands: a table of flags, strict
 * number parsing, one-line usage errors and `--help` text.
 *
 * Exit codes of every command: 0 success, 1 bad input (files, corpus,
 * checkpoint, prime text), 2 bad command line ({@linkcode UsageError}),
 * 130 interrupted with Ctrl-C.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** A mistake on the command line (unknown flag, bad value, missing flag): exit code 2. */
export class UsageError extends Error {
  /**
   * @param message One line naming the problem and the fix.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** How a flag's value is read. */
export type FlagType = "int" | "number" | "string" | "boolean";

/** One command-line flag: its parsing, checks and help line. */
export interface FlagSpec {
  /** Kebab-case name without the dashes, e.g. `"hidden-size"`. */
  name: string;
  /** Value type; `int` and `number` are parsed strictly. */
  type: FlagType;
  /** One-line description for `--help`. */
  description: string;
  /** Placeholder in `--help`, e.g. `"N"` or `"PATH"`. */
  valueName?: string;
  /** Default shown in `--help` (the command applies it). */
  default?: string | number;
  /** Smallest accepted number. */
  min?: number;
  /** Whether `min` itself is rejected. */
  exclusiveMin?: boolean;
  /** Largest accepted number. */
  max?: number;
  /** Accepted strings. */
  choices?: readonly string[];
  /** One-letter alias, e.g. `"h"`. */
  short?: string;
}

/** Parsed flags: only those given on the command line, by flag name. */
export type FlagValues = Map<string, string | number | boolean>;

/** Strict decimal syntax: optional sign, digits with optional fraction, optional exponent. */
const NUMBER_SYNTAX = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a number strictly: rejects empty text, trailing junk (`"12abc"`),
 * hex, `NaN`, infinities and overflow (`"1e999"`), non-integers where an integer
 * is needed, and values out of range.
 *
 * @param text The flag's value.
 * @param spec The flag (name, type and range are used).
 * @returns The number.
 * @throws {UsageError} naming the flag, the value and what is expected.
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "../tests/assert.ts";
 * const spec = { name: "steps", type: "int", description: "", min: 1 } as const;
 * assertEquals(parseNumberFlag("1e3", spec), 1000);
 * assertThrows(() => parseNumberFlag("12abc", spec), /--steps "12abc"/);
 * ```
 */
export function parseNumberFlag(text: string, spec: FlagSpec): number {
  const isInt = spec.type === "int";
  const expected = describeRange(spec);
  const bad = (why: string) =>
    new UsageError(`Invalid --${spec.name} ${JSON.stringify(text)}: ${why}; expected ${expected}`);
  if (!NUMBER_SYNTAX.test(text)) throw bad("not a number");
  const v = Number(text);
  if (!Number.isFinite(v)) throw bad("too large");
  if (isInt && !Number.isSafeInteger(v)) {
    throw bad(Number.isInteger(v) ? "too large" : "not an integer");
  }
  const { min, max, exclusiveMin } = spec;
  if (min !== undefined && (exclusiveMin ? v <= min : v < min)) throw bad("out of range");
  if (max !== undefined && v > max) throw bad("out of range");
  return v;
}

/** E.g. `an integer >= 1`, `a number > 0 and <= 10`. */
function describeRange(spec: FlagSpec): string {
  const parts: string[] = [];
  if (spec.min !== undefined) parts.push(`${spec.exclusiveMin ? ">" : ">="} ${spec.min}`);
  if (spec.max !== undefined) parts.push(`<= ${spec.max}`);
  const kind = spec.type === "int" ? "an integer" : "a number";
  return parts.length > 0 ? `${kind} ${parts.join(" and ")}` : kind;
}

/**
 * Parses `argv` against a flag table (kebab-case `--name value` or `--name=value`,
 * no positional arguments). Numbers are checked strictly, choices against their list.
 *
 * @param argv Command-line arguments (`Deno.args`).
 * @param specs The command's flags.
 * @returns The flags given, by name, with numbers already parsed.
 * @throws {UsageError} for an unknown flag (suggesting the closest one), a missing or bad value,
 * or a positional argument.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * const specs = [{ name: "steps", type: "int", description: "Steps" }] as const;
 * assertEquals(parseFlags(["--steps", "30"], specs).get("steps"), 30);
 * ```
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): FlagValues {
  const byName = new Map(specs.map((s) => [s.name, s]));
  // `--steps -5` would be "ambiguous" to parseArgs; join it so the range check names the problem.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!, next = argv[i + 1];
    const spec = arg.startsWith("--") ? byName.get(arg.slice(2)) : undefined;
    if (spec && spec.type !== "boolean" && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const s of specs) {
    options[s.name] = { type: s.type === "boolean" ? "boolean" : "string" };
    if (s.short) options[s.name]!.short = s.short;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (error) {
    throw translateParseError(error, specs);
  }
  const out: FlagValues = new Map();
  for (const [name, raw] of Object.entries(values)) {
    const spec = byName.get(name);
    if (spec === undefined || raw === undefined) continue;
    if (typeof raw === "boolean") out.set(name, raw);
    else if (spec.type === "int" || spec.type === "number") {
      out.set(name, parseNumberFlag(raw, spec));
    } else {
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new UsageError(
          `Invalid --${name} ${JSON.stringify(raw)}: expected one of ${spec.choices.join(", ")}`,
        );
      }
      out.set(name, raw);
    }
  }
  return out;
}

/** Turns a node:util parseArgs error into a one-line UsageError. */
function translateParseError(error: unknown, specs: readonly FlagSpec[]): Error {
  if (!(error instanceof Error)) return new UsageError(String(error));
  const code = (error as { code?: string }).code;
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? "";
  const help = "run with --help to list the options";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const guess = closestFlag(quoted.replace(/^-+/, "").split("=")[0]!, specs);
      const hint = guess ? ` (did you mean --${guess}?)` : "";
      return new UsageError(`Unknown option ${quoted}${hint}; ${help}`);
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = /--([\w-]+)/.exec(error.message)?.[1] ?? quoted;
      const spec = specs.find((s) => s.name === name);
      if (spec?.type === "boolean") {
        return new UsageError(`Option --${name} takes no value; write just --${name}`);
      }
      const value = spec?.valueName ?? "VALUE";
      return new UsageError(`Missing value for --${name}; pass it as --${name} ${value}`);
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return new UsageError(
        `Unexpected argument ${JSON.stringify(quoted)}: every value needs its flag ` +
          `(e.g. --corpus PATH); ${help}`,
      );
    default:
      return new UsageError(`${error.message.split("\n")[0]}; ${help}`);
  }
}

/**
 * The flag name closest to a misspelt one (edit distance at most a third of its length).
 *
 * @param name The unknown name without dashes.
 * @param specs Known flags.
 * @returns The closest known name, or `undefined`.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * const specs = [{ name: "hidden-size", type: "int", description: "" }] as const;
 * assertEquals(closestFlag("hiden-size", specs), "hidden-size");
 * ```
 */
export function closestFlag(name: string, specs: readonly FlagSpec[]): string | undefined {
  let best: string | undefined, bestDist = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const s of specs) {
    const d = editDistance(name.replaceAll("_", "-").toLowerCase(), s.name);
    if (d < bestDist) [best, bestDist] = [s.name, d];
  }
  return best;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * `--help` text: a usage line, then one line per flag with its description and default.
 *
 * @param usage The usage line and any paragraphs shown before the flags.
 * @param specs The flags.
 * @param footer Text shown after the flags.
 * @returns The help text.
 * @example
 * ```ts
 * import { assertOk } from "../tests/assert.ts";
 * const specs = [{ name: "steps", type: "int", description: "Steps", valueName: "N", default: 9 }] as const;
 * assertOk(formatHelp("Usage: x", specs).includes("--steps N"));
 * ```
 */
export function formatHelp(usage: string, specs: readonly FlagSpec[], footer = ""): string {
  const heads = specs.map((s) => {
    const short = s.short ? `-${s.short}, ` : "    ";
    return `  ${short}--${s.name}${s.type === "boolean" ? "" : ` ${s.valueName ?? "VALUE"}`}`;
  });
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  const lines = specs.map((s, i) => {
    const dflt = s.default === undefined ? "" : ` (default: ${s.default})`;
    return `${heads[i]!.padEnd(width)}${s.description}${dflt}`;
  });
  return [usage, "", "Options:", ...lines, ...(footer ? ["", footer] : [])].join("\n");
}
