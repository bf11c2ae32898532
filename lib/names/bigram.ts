/**
 * The baseline a name model has to beat: a bigram model of code points (each code point given
 * only the one before it), counted on the training names and scored on the held-out ones in bits
 * per code point, the unit in which models over code points and over grapheme clusters compare.
 * Unseen pairs back off to the code points' frequencies by Witten-Bell interpolation, which has
 * no setting to tune:
 *
 *   p(c | a) = (C(a, c) + T(a) * p1(c)) / (C(a) + T(a))
 *   p1(c)    = (C(c) + 1) / (N + V)            (add-one unigram over the V code points)
 *
 * where C counts pairs and single code points of the training text, T(a) is the number of
 * distinct code points seen after `a`, and N the code points counted.
 *
 * @module
 */
import { namesToText } from "../text/names.ts";

/**
 * Held-out bits per code point of a Witten-Bell bigram model of the training names: the text
 * `namesToText(heldOut)` with every code point after the first predicted, as `scoreText` scores
 * a model.
 *
 * @param train The training names.
 * @param heldOut The held-out names (at least one).
 * @returns Bits per code point.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const train = ["Ada", "Ana", "Anna", "Ava"];
 * const near = bigramBitsPerCodePoint(train, ["Ava", "Ada"]);
 * const far = bigramBitsPerCodePoint(train, ["Zyx"]);
 * assert.ok(near > 0 && near < far);
 * ```
 */
export function bigramBitsPerCodePoint(
  train: readonly string[],
  heldOut: readonly string[],
): number {
  const trainText = [...namesToText(train)], testText = [...namesToText(heldOut)];
  const V = new Set([...trainText, ...testText]).size;
  const single = new Map<string, number>(), pairs = new Map<string, Map<string, number>>();
  for (let i = 0; i < trainText.length; i++) {
    const c = trainText[i]!;
    single.set(c, (single.get(c) ?? 0) + 1);
    if (i === 0) continue;
    const a = trainText[i - 1]!, after = pairs.get(a) ?? new Map<string, number>();
    after.set(c, (after.get(c) ?? 0) + 1);
    pairs.set(a, after);
  }
  const N = trainText.length;
  let bits = 0;
  for (let i = 1; i < testText.length; i++) {
    const a = testText[i - 1]!, c = testText[i]!;
    const p1 = ((single.get(c) ?? 0) + 1) / (N + V);
    const after = pairs.get(a);
    let total = 0;
    for (const n of after?.values() ?? []) total += n;
    const T = after?.size ?? 0;
    const p = total === 0 ? p1 : ((after!.get(c) ?? 0) + T * p1) / (total + T);
    bits -= Math.log2(p);
  }
  return bits / (testText.length - 1);
}
