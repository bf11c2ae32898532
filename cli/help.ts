/**
 * The `--help` text of a command, from its flag table: one line per flag with its
 * description and its default, both taken from the table.
 *
 * @module
 */
import { type FlagSpec, type FlagTable, listFlags, valueNameOf } from "./flags.ts";

/**
 * `--help` text: a usage line, then one line per flag with its description, default and former
 * names.
 *
 * @param usage The usage line and any paragraphs shown before the flags.
 * @param table The flags.
 * @param footer Text shown after the flags.
 * @returns The help text.
 * @example
 * ```ts
 * import { assertOk } from "../tests/assert.ts";
 * const table = { steps: { type: "int", description: "Steps", default: 9 } } as const;
 * assertOk(formatHelp("Usage: x", table).includes("--steps N  Steps (default: 9)"));
 * ```
 */
export function formatHelp(usage: string, table: FlagTable, footer = ""): string {
  const flags = listFlags(table);
  const heads = flags.map(({ name, spec }) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    return `  ${short}--${name}${spec.type === "boolean" ? "" : ` ${valueNameOf(spec)}`}`;
  });
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  const lines = flags.map(({ spec }, i) => {
    const shown = defaultOf(spec);
    const dflt = shown === undefined ? "" : ` (default: ${shown})`;
    const former = spec.aliases?.map((a) => `--${a}`).join(", ");
    const also = former ? ` (formerly ${former})` : "";
    return `${heads[i]!.padEnd(width)}${spec.description}${dflt}${also}`;
  });
  return [usage, "", "Options:", ...lines, ...(footer ? ["", footer] : [])].join("\n");
}

/** The default shown for a flag: its value (`""` for empty text), or its `defaultText`. */
function defaultOf(spec: FlagSpec): string | undefined {
  if (spec.type === "boolean" || spec.default === undefined) return spec.defaultText;
  return spec.default === "" ? '""' : String(spec.default);
}
