/**
 * A list of names as training data: names held out at random (not the text's last tenth) to
 * score the model on names it never saw, and a training text of several epochs, each the
 * training names in a new random order, so the model never sees the list in one fixed order.
 *
 * @module
 */
import type { Rng } from "../core/rng.ts";
import { idArrayFor, type TokenIds } from "../text/data.ts";
import { NAME_BOUNDARY } from "../text/names.ts";
import { encode, type Vocab } from "../text/vocab.ts";

/** A list cut into the names that train and the names held out. */
export interface NameSplit {
  /** The names that train the model. */
  train: string[];
  /** The names held out, to pick the best weights and stop training. */
  heldOut: string[];
}

/**
 * A copy of a list in a random order (Fisher-Yates).
 *
 * @param list Any list.
 * @param rng The random source.
 * @returns The shuffled copy.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * const list = ["a", "b", "c", "d"];
 * assert.deepEqual(shuffled(list, new Rng(1)).sort(), list);
 * assert.deepEqual(shuffled(list, new Rng(1)), shuffled(list, new Rng(1)));
 * ```
 */
export function shuffled<T>(list: readonly T[], rng: Rng): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Holds out `heldOut` names chosen at random; the others train, in the list's order.
 *
 * @param names Distinct names.
 * @param heldOut How many to hold out, in `[1, names.length - 1]`.
 * @param rng The random source.
 * @returns The two parts.
 * @throws {RangeError} when `heldOut` leaves no name on either side.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * const { train, heldOut } = splitNames(["Ada", "Bo", "Cy", "Di"], 1, new Rng(3));
 * assert.deepEqual([train.length, heldOut.length], [3, 1]);
 * assert.ok(!train.includes(heldOut[0]!));
 * ```
 */
export function splitNames(names: readonly string[], heldOut: number, rng: Rng): NameSplit {
  if (!Number.isInteger(heldOut) || heldOut < 1 || heldOut >= names.length) {
    throw new RangeError(
      `Cannot hold out ${heldOut} of ${names.length} names: expected 1 to ${names.length - 1}`,
    );
  }
  const out = new Set(shuffled(names, rng).slice(0, heldOut));
  return { train: names.filter((n) => !out.has(n)), heldOut: names.filter((n) => out.has(n)) };
}

/**
 * The training text of `epochs` passes over the names, each pass in a new random order:
 * `"\n" name "\n" name ... "\n"`, encoded once per name (grapheme segmentation is slow).
 *
 * @param names The training names.
 * @param vocab A vocabulary holding the newline and every symbol of the names.
 * @param options `epochs` (at least 1) and the `rng` of the orders.
 * @returns The ids, in the smallest type the vocabulary allows.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * import { buildVocab, decode } from "../text/vocab.ts";
 * const vocab = buildVocab("\nAdaBo");
 * const text = decode(vocab, epochIds(["Ada", "Bo"], vocab, { epochs: 3, rng: new Rng(1) }));
 * assert.equal(text.split("\n").filter((n) => n === "Ada").length, 3);
 * assert.ok(text.startsWith("\n") && text.endsWith("\n") && !text.includes("\n\n"));
 * ```
 */
export function epochIds(
  names: readonly string[],
  vocab: Vocab,
  options: { epochs: number; rng: Rng },
): TokenIds {
  const { epochs, rng } = options;
  const encoded = names.map((name) => encode(vocab, name));
  const boundary = encode(vocab, NAME_BOUNDARY)[0]!;
  const perEpoch = encoded.reduce((n, ids) => n + ids.length + 1, 0);
  const out = idArrayFor(vocab.chars.length, 1 + epochs * perEpoch);
  let at = 0;
  out[at++] = boundary;
  for (let e = 0; e < epochs; e++) {
    for (const ids of shuffled(encoded, rng)) {
      out.set(ids, at);
      at += ids.length;
      out[at++] = boundary;
    }
  }
  return out;
}
