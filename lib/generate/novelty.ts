/**
 * How new is generated text? Names are new or copied as a whole; prose is measured by the
 * longest span copied verbatim from the training text and by the share of its character
 * n-grams (8 by default) that occur in the training text. Both run on character indices with
 * a rolling hash (a mismatch of hashes is confirmed character by character), in a few passes
 * over the training text.
 *
 * @module
 */
import { symbolsOf, type Vocab } from "../text/vocab.ts";

/** How much of a generated text occurs verbatim in the training text. */
export interface CopyReport {
  /** Length in characters of the longest span of the generated text found in the training text. */
  longestCopied: number;
  /** That span (empty when no character occurs). */
  longestCopiedText: string;
  /** The n of the n-gram share. */
  n: number;
  /** n-grams of the generated text. */
  ngrams: number;
  /** Share of those n-grams that occur in the training text (0 when there are none). */
  ngramShare: number;
}

/**
 * Measures the copied spans of a generated text.
 *
 * @param generated The generated text.
 * @param training The training text as indices (`encode(vocab, text)`).
 * @param vocab The vocabulary of both.
 * @param options `n`: the n-gram length (default 8).
 * @returns The longest copied span and the n-gram share.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildVocab, encode } from "../text/vocab.ts";
 * const vocab = buildVocab("the cat sat on a mat");
 * const training = encode(vocab, "the cat sat on a mat");
 * const r = copyReport("a cat sat on the", training, vocab, { n: 4 });
 * assert.equal(r.longestCopiedText, " cat sat on ");
 * assert.equal(r.ngrams, 13);
 * ```
 */
export function copyReport(
  generated: string,
  training: ArrayLike<number>,
  vocab: Vocab,
  options: { n?: number } = {},
): CopyReport {
  const { n = 8 } = options;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Invalid n ${n}: expected an integer >= 1`);
  }
  const chars = symbolsOf(vocab, generated);
  const g = Int32Array.from(chars, (ch) => vocab.charToIndex.get(ch) ?? -1);
  // the longest copied span: binary search on its length (every shorter piece occurs too)
  let lo = 0, hi = g.length, at = 0;
  while (lo < hi) {
    const L = Math.ceil((lo + hi) / 2);
    const hit = occurring(g, training, L).indexOf(1);
    if (hit >= 0) (lo = L, at = hit);
    else hi = L - 1;
  }
  const grams = Math.max(0, g.length - n + 1);
  const found = grams > 0 ? occurring(g, training, n).reduce((s, v) => s + v, 0) : 0;
  return {
    longestCopied: lo,
    longestCopiedText: chars.slice(at, at + lo).join(""),
    n,
    ngrams: grams,
    ngramShare: grams > 0 ? found / grams : 0,
  };
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

const BASE = 0x01000193; // the rolling hash's multiplier (odd: invertible mod 2^32)

/** Per start position of `g`: 1 when its L-gram occurs in `text`, else 0. */
function occurring(g: Int32Array, text: ArrayLike<number>, L: number): Uint8Array {
  const count = Math.max(0, g.length - L + 1), found = new Uint8Array(count);
  if (count === 0 || text.length < L) return found;
  const size = 1 << Math.ceil(Math.log2(2 * count + 2)); // open addressing, load <= 1/2
  const keys = new Int32Array(size), first = new Int32Array(size).fill(-1);
  const next = new Int32Array(count).fill(-1); // positions sharing a hash, chained
  const top = powMod(L); // BASE^(L-1), to drop the oldest character
  let h = 0;
  for (let i = 0; i < g.length; i++) {
    if (i >= L) h = (h - Math.imul(g[i - L]! + 1, top)) | 0;
    h = (Math.imul(h, BASE) + g[i]! + 1) | 0;
    if (i < L - 1) continue;
    const start = i - L + 1;
    let s = h & (size - 1);
    while (first[s] !== -1 && keys[s] !== h) s = (s + 1) & (size - 1);
    keys[s] = h;
    next[start] = first[s]!;
    first[s] = start;
  }
  h = 0;
  for (let i = 0; i < text.length; i++) {
    if (i >= L) h = (h - Math.imul(text[i - L]! + 1, top)) | 0;
    h = (Math.imul(h, BASE) + text[i]! + 1) | 0;
    if (i < L - 1) continue;
    let s = h & (size - 1);
    while (first[s] !== -1 && keys[s] !== h) s = (s + 1) & (size - 1);
    for (let p = first[s]!; p !== -1; p = next[p]!) {
      if (!found[p] && same(g, p, text, i - L + 1, L)) found[p] = 1;
    }
  }
  return found;
}

function same(a: Int32Array, i: number, b: ArrayLike<number>, j: number, L: number): boolean {
  for (let k = 0; k < L; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
}

function powMod(L: number): number {
  let p = 1;
  for (let k = 1; k < L; k++) p = Math.imul(p, BASE);
  return p;
}
