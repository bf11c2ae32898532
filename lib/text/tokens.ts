/**
 * What a symbol of the model is: a Unicode code point (`"codepoints"`, the default), or an
 * extended grapheme cluster (`"graphemes"`), the unit a reader sees as one character, found by
 * `Intl.Segmenter`. In Devanagari a written syllable (akshara) such as क्षि is four code points
 * (क, the virama ्, ष, the vowel sign ि) but one grapheme cluster, so a model over graphemes can
 * never emit a vowel sign or a virama with no consonant to carry it.
 *
 * Bits per symbol of the two modes are not comparable (a grapheme holds more); bits per code
 * point are, so both are reported ({@linkcode codePointCount}).
 *
 * @module
 */

/** How text is split into symbols. */
export type TokenMode = "codepoints" | "graphemes";

/** The token modes, for validation and the `--tokens` flag. */
export const TOKEN_MODES: readonly TokenMode[] = ["codepoints", "graphemes"];

let segmenter: Intl.Segmenter | undefined;

/**
 * Splits a text into symbols.
 *
 * @param text Any string.
 * @param tokens `"codepoints"` (default) or `"graphemes"`.
 * @returns The symbols in order; joined, they give `text` back.
 * @throws {RangeError} for an unknown mode.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(splitSymbols("क्षि"), ["क", "्", "ष", "ि"]);
 * assert.deepEqual(splitSymbols("क्षिति", "graphemes"), ["क्षि", "ति"]);
 * ```
 */
export function splitSymbols(text: string, tokens: TokenMode = "codepoints"): string[] {
  if (tokens === "codepoints") return [...text];
  if (tokens !== "graphemes") {
    throw new RangeError(
      `Unknown token mode "${tokens}": expected one of ${TOKEN_MODES.join(", ")}`,
    );
  }
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/**
 * The number of code points of a text (not UTF-16 units: an emoji counts once).
 *
 * @param text Any string.
 * @returns Its length in code points.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(codePointCount("क्षि🐍"), 5);
 * ```
 */
export function codePointCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Orders strings by their code points (a sort by UTF-16 units puts U+FF01 after an emoji).
 *
 * @param a One string.
 * @param b Another.
 * @returns Negative, 0 or positive, as `Array.prototype.sort` expects.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(["！", "🐍", "क्ष", "क"].sort(compareCodePoints), ["क", "क्ष", "！", "🐍"]);
 * ```
 */
export function compareCodePoints(a: string, b: string): number {
  const x = a[Symbol.iterator](), y = b[Symbol.iterator]();
  for (;;) {
    const p = x.next(), q = y.next();
    if (p.done || q.done) return (p.done ? 0 : 1) - (q.done ? 0 : 1);
    const d = p.value.codePointAt(0)! - q.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}
