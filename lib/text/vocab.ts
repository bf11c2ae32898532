/**
 * Character vocabulary over Unicode code points (not UTF-16 units), so
 * Devanagari, emoji and other astral characters are single symbols.
 *
 * @module
 */

/** Sorted distinct characters with maps both ways. */
export interface Vocab {
  /** Characters sorted by code point; `chars[i]` is the character of index `i`. */
  readonly chars: readonly string[];
  /** Character to index. */
  readonly charToIndex: ReadonlyMap<string, number>;
}

/**
 * Builds a vocabulary of the distinct code points of `text`, sorted by code point.
 *
 * @param text Any string.
 * @returns The vocabulary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(buildVocab("banana").chars, ["a", "b", "n"]);
 * ```
 */
export function buildVocab(text: string): Vocab {
  const set = new Set<number>();
  for (const ch of text) set.add(ch.codePointAt(0)!);
  const codes = [...set].sort((a, b) => a - b);
  return vocabFromChars(codes.map((c) => String.fromCodePoint(c)));
}

/**
 * Rebuilds a vocabulary from its character list (as saved in a checkpoint).
 *
 * @param chars Distinct single-code-point strings, in index order.
 * @returns The vocabulary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(vocabFromChars(["x", "y"]).charToIndex.get("y"), 1);
 * ```
 */
export function vocabFromChars(chars: readonly string[]): Vocab {
  const charToIndex = new Map<string, number>();
  chars.forEach((ch, i) => {
    if ([...ch].length !== 1) {
      throw new TypeError(`Invalid vocabulary entry ${JSON.stringify(ch)}: expected one character`);
    }
    if (charToIndex.has(ch)) {
      throw new TypeError(`Invalid vocabulary: character ${JSON.stringify(ch)} appears twice`);
    }
    charToIndex.set(ch, i);
  });
  return { chars: [...chars], charToIndex };
}

/**
 * Encodes text as vocabulary indices.
 *
 * @param vocab The vocabulary.
 * @param text Text made only of vocabulary characters.
 * @returns One index per code point.
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
  for (const ch of text) {
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
 * A readable name for a character in messages: the character and its code point.
 *
 * @param ch One character.
 * @returns E.g. `"é" (U+00E9)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(describeChar("\n"), '"\\n" (U+000A)');
 * ```
 */
export function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return `${JSON.stringify(ch)} (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
}
