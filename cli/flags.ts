/**
 * What a command's flags are: a typed table (one entry per flag, in help order) from
 * which parsing infers the type of every value and applies every default.
 *
 * @module
 */
import type { NumberRange } from "../lib/core/ranges.ts";

/** What every flag has. */
interface FlagBase {
  /** One-line description for `--help`. */
  readonly description: string;
  /** Kebab-case name without the dashes; default: the table key in kebab case. */
  readonly name?: string;
  /** Placeholder in `--help`; default `N` (integers), `X` (numbers) or `VALUE`. */
  readonly valueName?: string;
  /** Default shown in `--help` when another part of the program works it out. */
  readonly defaultText?: string;
  /** One-letter alias, e.g. `"h"`. */
  readonly short?: string;
  /** Former names, still accepted (kebab-case, without the dashes), e.g. `["engine"]`. */
  readonly aliases?: readonly string[];
}

/** A number flag (`int` or `number`), parsed strictly and checked against its range. */
export interface NumberFlag extends FlagBase, NumberRange {
  /** The value when the flag is absent (also shown in `--help`). */
  readonly default?: number;
}

/** A text flag, optionally limited to a list of choices. */
export interface StringFlag extends FlagBase {
  /** Marks a text flag. */
  readonly type: "string";
  /** Accepted values. */
  readonly choices?: readonly string[];
  /** Former values, still accepted, each with the choice it means, e.g. `{ plain: "f64" }`. */
  readonly valueAliases?: Readonly<Record<string, string>>;
  /** The value when the flag is absent (also shown in `--help`). */
  readonly default?: string;
  /** A file or folder path: an empty value is a usage error. */
  readonly path?: boolean;
  /** May be given several times; the value is the list (the default, a list of one). */
  readonly multiple?: boolean;
}

/** A switch without a value: `true` when given, else `false`. */
export interface BooleanFlag extends FlagBase {
  /** Marks a switch. */
  readonly type: "boolean";
}

/** One command-line flag: its parsing, checks, default and help line. */
export type FlagSpec = NumberFlag | StringFlag | BooleanFlag;

/** A command's flags by property name (camelCase), in help order. */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** The parsed type of one flag: its choices, a number, a boolean, a string or a list of them. */
export type FlagValue<F> = F extends { readonly type: "boolean" } ? boolean
  : F extends { readonly multiple: true } ? string[]
  : F extends { readonly choices: readonly (infer C)[] } ? C
  : F extends { readonly type: "int" | "number" } ? number
  : string;

/** Parsed flags: a default or a boolean always has a value, other flags only when given. */
export type FlagValues<T extends FlagTable> = {
  -readonly [K in keyof T]: T[K] extends
    { readonly type: "boolean" } | { readonly default: unknown } ? FlagValue<T[K]>
    : FlagValue<T[K]> | undefined;
};

/** A table entry with its command-line name. */
export interface NamedFlag {
  /** The property name in the table. */
  readonly key: string;
  /** The kebab-case flag name. */
  readonly name: string;
  /** The flag. */
  readonly spec: FlagSpec;
}

/**
 * The flags of a table in help order, with their command-line names.
 *
 * @param table The command's flags.
 * @returns One entry per flag.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * const table = { topK: { type: "int", description: "K" } } as const;
 * assertEquals(listFlags(table)[0]!.name, "top-k");
 * ```
 */
export function listFlags(table: FlagTable): NamedFlag[] {
  return Object.entries(table).map(([key, spec]) => ({
    key,
    name: spec.name ?? key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()),
    spec,
  }));
}

/**
 * The placeholder of a flag's value in `--help` and messages.
 *
 * @param spec The flag.
 * @returns Its `valueName`, else `N` for integers, `X` for numbers, `VALUE` for text.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * assertEquals(valueNameOf({ type: "int", description: "" }), "N");
 * ```
 */
export function valueNameOf(spec: FlagSpec): string {
  return spec.valueName ?? (spec.type === "int" ? "N" : spec.type === "number" ? "X" : "VALUE");
}
