/**
 * Shared command-line parsing for the CLI commands: a typed table of flags (see
 * `flags.ts`) in, typed values with their defaults out; strict number parsing and
 * one-line usage errors.
 *
 * Exit codes of every command: 0 success, 1 bad input (files, corpus,
 * checkpoint, prime text), 2 bad command line ({@linkcode UsageError}),
 * 130 interrupted with Ctrl-C.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { describeRange, fitsRange } from "../lib/core/ranges.ts";
import {
  type FlagTable,
  type FlagValues,
  listFlags,
  type NamedFlag,
  type NumberFlag,
  type StringFlag,
  valueNameOf,
} from "./flags.ts";

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

/** The result of {@linkcode parseFlags}. */
export interface ParsedFlags<T extends FlagTable> {
  /** Every flag's value, defaults applied. */
  readonly values: FlagValues<T>;
  /** The flags given on the command line. */
  readonly given: ReadonlySet<keyof T>;
  /** Arguments without a flag, in order (only with `options.positionals`). */
  readonly positionals: readonly string[];
}

/** Strict decimal syntax: optional sign, digits with optional fraction, optional exponent. */
const NUMBER_SYNTAX = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a number strictly: rejects empty text, trailing junk (`"12abc"`),
 * hex, `NaN`, infinities and overflow (`"1e999"`), non-integers where an integer
 * is needed, and values out of range.
 *
 * @param text The flag's value.
 * @param name The flag's name, for the message.
 * @param spec The flag (type and range are used).
 * @returns The number.
 * @throws {UsageError} naming the flag, the value and what is expected.
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "../tests/assert.ts";
 * const spec = { type: "int", description: "", min: 1 } as const;
 * assertEquals(parseNumberFlag("1e3", "steps", spec), 1000);
 * assertThrows(() => parseNumberFlag("12abc", "steps", spec), /--steps "12abc"/);
 * ```
 */
export function parseNumberFlag(text: string, name: string, spec: NumberFlag): number {
  const problem = numberProblem(text, spec);
  if (problem === undefined) return Number(text);
  throw new UsageError(
    `Invalid --${name} ${JSON.stringify(text)}: ${problem}; expected ${describeRange(spec)}`,
  );
}

/** Why a number flag's text is rejected, or `undefined` when it is fine. */
function numberProblem(text: string, spec: NumberFlag): string | undefined {
  if (!NUMBER_SYNTAX.test(text)) return "not a number";
  const v = Number(text);
  if (!Number.isFinite(v)) return "too large";
  if (spec.type === "int" && !Number.isSafeInteger(v)) {
    return Number.isInteger(v) ? "too large" : "not an integer";
  }
  return fitsRange(spec, v) ? undefined : "out of range";
}

/**
 * Parses `argv` against a flag table (kebab-case `--name value` or `--name=value`;
 * positional arguments only up to `options.positionals`). Numbers are checked strictly,
 * choices against their list, and every absent flag with a default gets it; a `multiple` flag
 * may be repeated and gives a list. A flag's former names (`aliases`) and former values
 * (`valueAliases`) are read as its current ones.
 *
 * @param argv Command-line arguments (`Deno.args`).
 * @param table The command's flags.
 * @param options `positionals`: how many arguments without a flag are accepted (default 0).
 * @returns The values by property name, which flags were given, and the positionals.
 * @throws {UsageError} for an unknown flag (suggesting the closest one), a missing or bad value,
 * or a positional argument.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * const table = {
 *   steps: { type: "int", description: "Steps", default: 9 },
 *   seed: { type: "int", description: "Seed" },
 * } as const;
 * assertEquals(parseFlags(["--seed", "3"], table).values, { steps: 9, seed: 3 });
 * const renamed = {
 *   backend: { type: "string", description: "", choices: ["f64"], valueAliases: { plain: "f64" }, aliases: ["engine"] },
 * } as const;
 * assertEquals(parseFlags(["--engine=plain"], renamed).values, { backend: "f64" });
 * ```
 */
export function parseFlags<T extends FlagTable>(
  argv: readonly string[],
  table: T,
  options: { positionals?: number } = {},
): ParsedFlags<T> {
  const flags = listFlags(table);
  const byName = new Map(flags.map((f) => [f.name, f]));
  const { values: raw, positionals } = readArgs(argv, flags, byName);
  const allowed = options.positionals ?? 0;
  if (positionals.length > allowed) {
    const extra = positionals[allowed]!;
    throw allowed === 0 ? unexpectedPositional(extra) : new UsageError(
      `Unexpected argument ${JSON.stringify(extra)}: expected at most ${allowed} without a ` +
        `flag; run with --help to list the options`,
    );
  }
  const values: Record<string, unknown> = {};
  const given = new Set<keyof T>();
  for (const { key, name, spec } of flags) {
    const text = raw[name];
    if (text === undefined) {
      const multiple = spec.type === "string" && spec.multiple && spec.default !== undefined;
      values[key] = spec.type === "boolean" ? false : multiple ? [spec.default] : spec.default;
      continue;
    }
    given.add(key);
    if (typeof text === "boolean") values[key] = text;
    else if (Array.isArray(text)) {
      values[key] = text.map((t) => checkString(t, name, spec as StringFlag));
    } else if (spec.type === "string") values[key] = checkString(text, name, spec);
    else if (spec.type !== "boolean") values[key] = parseNumberFlag(text, name, spec);
  }
  return { values: values as FlagValues<T>, given, positionals };
}

/**
 * Checks a text flag against its choices (a former value gives the choice it means) and, for a
 * path, that it is not empty.
 */
function checkString(given: string, name: string, spec: StringFlag): string {
  const former = spec.valueAliases ?? {};
  const text = Object.hasOwn(former, given) ? former[given]! : given;
  if (spec.choices && !spec.choices.includes(text)) {
    throw new UsageError(
      `Invalid --${name} ${JSON.stringify(text)}: expected one of ${spec.choices.join(", ")}`,
    );
  }
  if (spec.path && text === "") throw new UsageError(`Empty --${name}; pass a path`);
  return text;
}

/** Splits `argv` with node:util parseArgs into raw strings and booleans by flag name. */
function readArgs(
  argv: readonly string[],
  flags: readonly NamedFlag[],
  byName: ReadonlyMap<string, NamedFlag>,
): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  // `--steps -5` would be "ambiguous" to parseArgs; join it so the range check names the problem.
  const args: string[] = [];
  const renamed = formerNames(flags);
  for (let i = 0; i < argv.length; i++) {
    const arg = currentName(argv[i]!, renamed), next = argv[i + 1];
    const flag = arg.startsWith("--") ? byName.get(arg.slice(2)) : undefined;
    if (flag && flag.spec.type !== "boolean" && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const { name, spec } of flags) {
    options[name] = { type: spec.type === "boolean" ? "boolean" : "string" };
    if (spec.type === "string" && spec.multiple) options[name]!.multiple = true;
    if (spec.short) options[name]!.short = spec.short;
  }
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: true,
    });
    return {
      values: values as Record<string, string | boolean | string[] | undefined>,
      positionals,
    };
  } catch (error) {
    throw translateParseError(error, flags);
  }
}

/** Each former flag name (see `FlagSpec.aliases`) with the current one. */
function formerNames(flags: readonly NamedFlag[]): ReadonlyMap<string, string> {
  return new Map(flags.flatMap(({ name, spec }) => (spec.aliases ?? []).map((a) => [a, name])));
}

/** `--former` or `--former=value` under the flag's current name; other arguments unchanged. */
function currentName(arg: string, renamed: ReadonlyMap<string, string>): string {
  if (!arg.startsWith("--")) return arg;
  const eq = arg.indexOf("="), end = eq < 0 ? arg.length : eq;
  const name = renamed.get(arg.slice(2, end));
  return name === undefined ? arg : `--${name}${arg.slice(end)}`;
}

/** Turns a node:util parseArgs error into a one-line UsageError. */
function translateParseError(error: unknown, flags: readonly NamedFlag[]): Error {
  if (!(error instanceof Error)) return new UsageError(String(error));
  const code = (error as { code?: string }).code;
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? "";
  const help = "run with --help to list the options";
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const guess = closestName(quoted.replace(/^-+/, "").split("=")[0]!, flags);
      const hint = guess ? ` (did you mean --${guess}?)` : "";
      return new UsageError(`Unknown option ${quoted}${hint}; ${help}`);
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = /--([\w-]+)/.exec(error.message)?.[1] ?? quoted;
      const spec = flags.find((f) => f.name === name)?.spec;
      if (spec?.type === "boolean") {
        return new UsageError(`Option --${name} takes no value; write just --${name}`);
      }
      const value = spec ? valueNameOf(spec) : "VALUE";
      return new UsageError(`Missing value for --${name}; pass it as --${name} ${value}`);
    }
    default:
      return new UsageError(`${error.message.split("\n")[0]}; ${help}`);
  }
}

/** The usage error of an argument without a flag, for commands that take none. */
function unexpectedPositional(arg: string): UsageError {
  return new UsageError(
    `Unexpected argument ${JSON.stringify(arg)}: every value needs its flag ` +
      `(e.g. --corpus PATH); run with --help to list the options`,
  );
}

/**
 * The flag name closest to a misspelt one (edit distance at most a third of its length).
 *
 * @param name The unknown name without dashes.
 * @param table Known flags.
 * @returns The closest known name, or `undefined`.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * const table = { hiddenSize: { type: "int", description: "" } } as const;
 * assertEquals(closestFlag("hiden-size", table), "hidden-size");
 * ```
 */
export function closestFlag(name: string, table: FlagTable): string | undefined {
  return closestName(name, listFlags(table));
}

/** {@linkcode closestFlag} over named flags. */
function closestName(name: string, flags: readonly NamedFlag[]): string | undefined {
  let best: string | undefined, bestDist = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const f of flags) {
    const d = editDistance(name.replaceAll("_", "-").toLowerCase(), f.name);
    if (d < bestDist) [best, bestDist] = [f.name, d];
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
