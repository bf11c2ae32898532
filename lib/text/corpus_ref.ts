/**
 * How a checkpoint names the texts of its run (its `corpus` field), and reading them back: the
 * training texts in order and a separate validation text if any, encoded with the
 * checkpoint's vocabulary.
 *
 * @module
 */
import { resolve } from "node:path";
import { type Split, splitData } from "./data.ts";
import { type EncodedCorpus, readCorpus } from "./encoded_corpus.ts";
import { brownCategoriesOf } from "./corpus.ts";
import type { Vocab } from "./vocab.ts";

/** The texts of a run: what trains, and a separate validation text if any. */
export interface CorpusChoice {
  /** `brown` or file and folder paths, in order. */
  train: string[];
  /** A separate validation text (else the end of the training text is held out). */
  val?: string;
}

/**
 * How a checkpoint names its texts: `brown` or one absolute path as before, else JSON.
 *
 * @param choice The texts (paths are made absolute).
 * @returns The string stored as the checkpoint's `corpus`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatCorpusRef({ train: ["brown"] }), "brown");
 * assert.deepEqual(parseCorpusRef(formatCorpusRef({ train: ["/a", "/b"], val: "/v" })), {
 *   train: ["/a", "/b"],
 *   val: "/v",
 * });
 * ```
 */
export function formatCorpusRef(choice: CorpusChoice): string {
  const absolute = (spec: string) => (brownCategoriesOf(spec) ? spec : resolve(spec));
  const train = choice.train.map(absolute);
  if (train.length === 1 && choice.val === undefined) return train[0]!;
  return JSON.stringify({ train, ...(choice.val ? { val: absolute(choice.val) } : {}) });
}

/**
 * The texts a checkpoint names (see {@linkcode formatCorpusRef}).
 *
 * @param ref The checkpoint's `corpus`.
 * @returns The texts.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseCorpusRef("/data/a.txt"), { train: ["/data/a.txt"] });
 * ```
 */
export function parseCorpusRef(ref: string): CorpusChoice {
  if (!ref.startsWith("{")) return { train: [ref] };
  try {
    const { train, val } = JSON.parse(ref) as { train: unknown; val?: unknown };
    if (Array.isArray(train) && train.every((t) => typeof t === "string")) {
      return typeof val === "string" ? { train, val } : { train };
    }
  } catch {
    // fall through: not the JSON this program writes
  }
  return { train: [ref] };
}

/**
 * The run's training and validation ids: the separate validation text when there is one,
 * else the last `valFraction` of the training text.
 *
 * @param corpus The encoded corpus (or any ids with an optional separate validation part).
 * @param valFraction The run's `valFraction`.
 * @returns The split.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(splitCorpus({ train: new Uint8Array(10) }, 0.2).val.length, 2);
 * ```
 */
export function splitCorpus(
  corpus: Pick<EncodedCorpus, "train" | "val">,
  valFraction: number,
): Split {
  if (corpus.val) return { train: corpus.train, val: corpus.val };
  return splitData(corpus.train, valFraction);
}

/**
 * Reads the texts a checkpoint names and encodes them with its vocabulary, split as the run
 * split them. A symbol the vocabulary lacks (the file changed since) becomes -1.
 *
 * @param ref The checkpoint's `corpus`.
 * @param vocab The checkpoint's vocabulary (its token mode is used to read the texts).
 * @param valFraction The run's `valFraction` (when it has no separate validation text).
 * @returns The training and validation ids.
 * @throws {Error} naming a text that cannot be read.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildVocab } from "./vocab.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "abcabcabca");
 * const split = await readCorpusRef(path, buildVocab("cba"), 0.2);
 * assert.deepEqual([Array.from(split.train), Array.from(split.val)], [[0, 1, 2, 0, 1, 2, 0, 1], [2, 0]]);
 * await Deno.remove(path);
 * ```
 */
export async function readCorpusRef(
  ref: string,
  vocab: Vocab,
  valFraction: number,
): Promise<Split> {
  const choice = parseCorpusRef(ref);
  const corpus = await readCorpus(choice.train, { val: choice.val, tokens: vocab.tokens });
  const index = corpus.vocab.chars.map((ch) => vocab.charToIndex.get(ch) ?? -1);
  const same = index.every((id, i) => id === i) && index.length === vocab.chars.length;
  const remap = (ids: ArrayLike<number>) => Int32Array.from(ids, (i) => index[i]!);
  return splitCorpus(
    same ? corpus : { train: remap(corpus.train), val: corpus.val && remap(corpus.val) },
    valFraction,
  );
}
