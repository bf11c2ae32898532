/**
 * Generating names from a model trained on a name list (`text/names.ts`: one name per line):
 * every name is one stream of a batch that starts after a newline (and an optional prefix)
 * and stops at the next newline.
 *
 * In training a name follows another name, with the state carried over, so a zero state is never
 * where a name starts (from it the first letters come out wrong: "KKhelena"). The batch therefore
 * starts after a name the model draws first: newline, that name, newline, prefix.
 *
 * @module
 */
import { Rng } from "../core/rng.ts";
import type { CharModel } from "../model/char_model.ts";
import { NAME_BOUNDARY } from "../text/names.ts";
import { describeChar, symbolsOf, type Vocab } from "../text/vocab.ts";
import type { PickOptions } from "./pick.ts";
import { generate } from "./sample.ts";

/** Options of {@linkcode generateNames}. */
export interface GenerateNamesOptions extends PickOptions {
  /** How many names. */
  count: number;
  /** Random source: each name gets a generator seeded from it. */
  rng: Rng;
  /** Longest name in symbols (characters) before it is cut (default 30), the prefix included. */
  maxLength?: number;
  /** Text every name starts with (default none). */
  prefix?: string;
}

/**
 * Generates names as one batch of `count` streams.
 *
 * @param model A model trained on {@linkcode namesToText} output.
 * @param vocab Its vocabulary (must contain the newline).
 * @param options Count, randomness, picking, maximum length, prefix.
 * @returns The names (without boundaries).
 * @throws {RangeError} when the vocabulary has no newline or the prefix has unknown characters.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { namesToText } from "../text/names.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab(namesToText(["Ada", "Bo"]));
 * const model = createModel({ cell: "rnn", vocabSize: vocab.chars.length, hiddenSize: 4 }, new Rng(1), {
 *   backend: createBackend({ kind: "f64" }),
 * });
 * const names = generateNames(model, vocab, { count: 3, rng: new Rng(2), maxLength: 5, prefix: "A" });
 * assert.ok(names.length === 3 && names.every((n) => n.startsWith("A") && [...n].length <= 5));
 * ```
 */
export function generateNames(
  model: CharModel,
  vocab: Vocab,
  options: GenerateNamesOptions,
): string[] {
  const { count, rng, maxLength = 30, prefix = "" } = options;
  const prefixSymbols = checkNamePrefix(vocab, prefix);
  const rngs = Array.from({ length: count }, () => new Rng(rng.nextU32()));
  const length = Math.max(0, maxLength - prefixSymbols.length);
  if (count === 0) return [];
  const [before] = generate(model, vocab, {
    ...options,
    prime: NAME_BOUNDARY,
    length: maxLength,
    rngs: [new Rng(rng.nextU32())],
    stop: NAME_BOUNDARY,
  });
  const names = generate(model, vocab, {
    ...options,
    prime: NAME_BOUNDARY + before!.text + NAME_BOUNDARY + prefix,
    length,
    rngs,
    stop: NAME_BOUNDARY,
  });
  return names.map((g) => prefix + g.text);
}

/**
 * Checks that a model can generate names that start with a prefix: its vocabulary has the
 * newline (it was trained on names) and every symbol of the prefix.
 *
 * @param vocab The model's vocabulary.
 * @param prefix Text every name starts with.
 * @returns The prefix's symbols.
 * @throws {RangeError} naming the missing newline or the first unknown symbol and the fix.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("\nAda\nBo\n");
 * assert.deepEqual(checkNamePrefix(vocab, "Ad"), ["A", "d"]);
 * assert.throws(() => checkNamePrefix(vocab, "Z"), /prefix character "Z" \(U\+005A\)/);
 * ```
 */
export function checkNamePrefix(vocab: Vocab, prefix: string): string[] {
  if (!vocab.charToIndex.has(NAME_BOUNDARY)) {
    throw new RangeError("Cannot generate names: the vocabulary has no newline; train on names");
  }
  const symbols = symbolsOf(vocab, prefix);
  const unknown = symbols.find((ch) => !vocab.charToIndex.has(ch));
  if (unknown !== undefined) {
    const unit = vocab.tokens === "graphemes"
      ? "; the symbols are whole written syllables (grapheme clusters) of the list"
      : "";
    throw new RangeError(
      `Cannot generate names: prefix character ${describeChar(unknown)} never occurs in the ` +
        `names the model was trained on${unit}; start the prefix with text of the list`,
    );
  }
  return symbols;
}
