/**
 * Character vocabulary over Unicode code points (not UTF-16 units), so
 * Devanagari, emoji and other astral characters are single symbols; or, with
 * `tokens: "graphemes"`, over grapheme clusters (`tokens.ts`), so a Devanagari
 * akshara such as क्षि is one symbol.
 *
 * @module
 */
import { compareCodePoints, splitSymbols, TOKEN_MODES, type TokenMode } from "./tokens.ts";

/** Sorted distinct symbols (characters) with maps both ways. */
export interface Vocab {
  /** Symbols sorted by code point; `chars[i]` is the symbol of index `i`. */
  readonly chars: readonly string[];
  /** Symbol to index. */
  readonly charToIndex: ReadonlyMap<string, number>;
  /** What a symbol is: a code point (default, when absent) or a grapheme cluster. */
  readonly tokens?: TokenMode;
}

/** Options of {@linkcode buildVocab} and {@linkcode vocabFromChars}. */
export interface VocabOptions {
  /** `"codepoints"` (default) or `"graphemes"`: see `tokens.ts`. */
  tokens?: TokenMode;
}

/**
 * Builds a vocabulary of the distinct symbols of `text` (code points, or grapheme clusters
 * with `tokens: "graphemes"`), sorted by code point.
 *
 * @param text Any string.
 * @param options `tokens`: what a symbol is.
 * @returns The vocabulary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(buildVocab("banana").chars, ["a", "b", "n"]);
 * assert.deepEqual(buildVocab("सीता", { tokens: "graphemes" }).chars, ["ता", "सी"]);
 * ```
 */
export function buildVocab(text: string, options: VocabOptions = {}): Vocab {
  const symbols = [...new Set(splitSymbols(text, options.tokens))].sort(compareCodePoints);
  return vocabFromChars(symbols, options);
}

/**
 * Rebuilds a vocabulary from its symbol list (as saved in a checkpoint).
 *
 * @param chars Distinct symbols in index order: single code points, or with
 *   `tokens: "graphemes"` single grapheme clusters.
 * @param options `tokens`: what a symbol is (default code points).
 * @returns The vocabulary.
 * @throws {TypeError} for an entry that is not one symbol, or a repeated one.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(vocabFromChars(["x", "y"]).charToIndex.get("y"), 1);
 * assert.throws(() => vocabFromChars(["क्ष"]), /expected one character/);
 * assert.equal(vocabFromChars(["क्ष"], { tokens: "graphemes" }).tokens, "graphemes");
 * ```
 */
export function vocabFromChars(chars: readonly string[], options: VocabOptions = {}): Vocab {
  const { tokens = "codepoints" } = options;
  if (!TOKEN_MODES.includes(tokens)) {
    throw new TypeError(
      `Unknown token mode "${tokens}": expected one of ${TOKEN_MODES.join(", ")}`,
    );
  }
  const charToIndex = new Map<string, number>();
  chars.forEach((ch, i) => {
    if (splitSymbols(ch, tokens).length !== 1) {
      const what = tokens === "graphemes" ? "one grapheme cluster" : "one character";
      throw new TypeError(`Invalid vocabulary entry ${JSON.stringify(ch)}: expected ${what}`);
    }
    if (charToIndex.has(ch)) {
      throw new TypeError(`Invalid vocabulary: character ${JSON.stringify(ch)} appears twice`);
    }
    charToIndex.set(ch, i);
  });
  return tokens === "codepoints"
    ? { chars: [...chars], charToIndex }
    : { chars: [...chars], charToIndex, tokens };
}

/**
 * Splits a text into the symbols of a vocabulary's token mode (code points or graphemes).
 *
 * @param vocab The vocabulary.
 * @param text Any string.
 * @returns The symbols in order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const vocab = buildVocab("राम", { tokens: "graphemes" });
 * assert.deepEqual(symbolsOf(vocab, "मरा"), ["म", "रा"]);
 * ```
 */
export function symbolsOf(vocab: Vocab, text: string): string[] {
  return splitSymbols(text, vocab.tokens);
}

/**
 * The code points a run of symbol indices stands for: divide bits per symbol by
 * `codePointsOf(vocab, ids) / ids.length` to get bits per code point.
 *
 * @param vocab The vocabulary.
 * @param ids Symbol indices.
 * @returns The number of code points of their text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const vocab = buildVocab("क्षि", { tokens: "graphemes" });
 * assert.equal(codePointsOf(vocab, [0, 0]), 8);
 * ```
 */
export function codePointsOf(vocab: Vocab, ids: ArrayLike<number>): number {
  if (!vocab.tokens || vocab.tokens === "codepoints") return ids.length;
  const lengths = vocab.chars.map((ch) => [...ch].length);
  let n = 0;
  for (let i = 0; i < ids.length; i++) n += lengths[ids[i]!] ?? 0;
  return n;
}

/**
 * Encodes text as vocabulary indices.
 *
 * @param vocab The vocabulary.
 * @param text Text made only of vocabulary characters.
 * @returns One index per symbol (code point, or grapheme cluster).
 * @throws {RangeError} naming the first character not in the vocabulary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const v = buildVocab("abc");
 * assert.deepEqual(Array.from(encode(v, "cab")), [2, 0, 1]);
 * ```
 */
export function encode(vocab: Vocab, text: string): Int32Array {
  const out: number[] = [];
  for (const ch of symbolsOf(vocab, text)) {
    const i = vocab.charToIndex.get(ch);
    if (i === undefined) {
      throw new RangeError(
        `Character ${describeChar(ch)} is not in the model's vocabulary; ` +
          `use only characters from the training text`,
      );
    }
    out.push(i);
  }
  return Int32Array.from(out);
}

/**
 * Decodes indices back to text.
 *
 * @param vocab The vocabulary.
 * @param indices Vocabulary indices.
 * @returns The text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const v = buildVocab("abc");
 * assert.deepEqual(decode(v, [2, 0, 1]), "cab");
 * ```
 */
export function decode(vocab: Vocab, indices: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < indices.length; i++) s += vocab.chars[indices[i]!] ?? "";
  return s;
}

/**
 * A readable name for a character in messages: the character and its code point(s).
 *
 * @param ch One symbol: a code point, or a grapheme cluster.
 * @returns E.g. `"é" (U+00E9)`, `"कि" (U+0915 U+093F)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(describeChar("\n"), '"\\n" (U+000A)');
 * assert.deepEqual(describeChar("कि"), '"कि" (U+0915 U+093F)');
 * ```
 */
export function describeChar(ch: string): string {
  const codes = [...ch].map((c) => c.codePointAt(0)!);
  if (codes.length === 0) codes.push(0);
  const hex = codes.map((c) => `U+${c.toString(16).toUpperCase().padStart(4, "0")}`);
  return `${JSON.stringify(ch)} (${hex.join(" ")})`;
}
