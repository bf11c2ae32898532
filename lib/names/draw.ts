/**
 * Drawing names from a model trained on a list, as a name generator's users expect: a prefix, a
 * range of lengths, and (unless asked) no copies of the list and no repeats. Names are drawn one
 * at a time until `count` are kept; draw i uses the generator `new Rng(mixSeed(seed, i))`, so the
 * same seed gives the same names.
 *
 * In training the model reads the names one after another with its state carried over, so a
 * name starts from the state a name of the list leaves, never from a zero state. A draw does the
 * same: it first runs a name of the list, chosen by its generator, through the model, then the
 * newline and the prefix. (From a zero state the first letters come out wrong: "KKhelena".)
 *
 * Lengths count characters as a reader does (grapheme clusters: क्षि is one), whatever the
 * model's symbols.
 *
 * @module
 */
import { mixSeed, Rng } from "../core/rng.ts";
import { checkNamePrefix } from "../generate/names.ts";
import type { PickOptions } from "../generate/pick.ts";
import { generate } from "../generate/sample.ts";
import type { CharModel } from "../model/char_model.ts";
import { NAME_BOUNDARY } from "../text/names.ts";
import { splitSymbols } from "../text/tokens.ts";
import { symbolsOf, type Vocab } from "../text/vocab.ts";

/**
 * The temperature names are drawn at unless told otherwise: a little above 1, so that even a
 * list that covers its kind of names densely (the 8,422 English first names) gives mostly new
 * ones (docs/names.md has the figures).
 */
export const NAME_TEMPERATURE = 1.2;

/** Options of {@linkcode drawNames}. */
export interface DrawNamesOptions extends PickOptions {
  /** Softmax temperature (default {@linkcode NAME_TEMPERATURE}). */
  temperature?: number;
  /** Names to keep. */
  count: number;
  /** Seed of the draws. */
  seed: number;
  /** The list the model was trained on (held-out names included): its names are not new. */
  list: readonly string[];
  /** Text every name starts with (default none). */
  prefix?: string;
  /** Fewest characters of a kept name, the prefix included (default 1). */
  minLength?: number;
  /** Most characters of a kept name (default twice the list's longest name). */
  maxLength?: number;
  /** Keep copies of the list and repeats (default false). */
  allowCopies?: boolean;
  /** Stop after this many draws even when fewer names were kept (default `20 * count + 100`). */
  maxDraws?: number;
}

/** One drawn name. */
export interface DrawnName {
  /** The name, the prefix included. */
  name: string;
  /** Whether the list does not hold it. */
  new: boolean;
  /** Log-probability of the name after the prefix, its closing newline included (nats). */
  logProb: number;
}

/** What {@linkcode drawNames} drew. */
export interface NameDraws {
  /** The names kept, in the order drawn (`count` of them, unless `maxDraws` ran out). */
  kept: DrawnName[];
  /** Every name drawn, kept or not, in order (a name cut at the length limit included). */
  drawn: DrawnName[];
}

/**
 * Draws names until `count` are kept (see the module doc).
 *
 * @param model A model trained on the list (`trainNames`).
 * @param vocab Its vocabulary.
 * @param options Count, seed, list, prefix, length range, copies, picking.
 * @returns The names kept and every name drawn.
 * @throws {RangeError} for a prefix outside the vocabulary or an empty length range.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { namesToText } from "../text/names.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const list = ["Ada", "Bo"];
 * const vocab = buildVocab(namesToText(list));
 * const model = createModel({ cell: "gru", vocabSize: vocab.chars.length, hiddenSize: 4 }, new Rng(1), {
 *   backend: createBackend({ kind: "f64" }),
 * });
 * const { kept } = drawNames(model, vocab, { count: 5, seed: 3, list, prefix: "A", maxLength: 6 });
 * assert.ok(kept.every((d) => d.name.startsWith("A") && d.new && d.logProb < 0));
 * assert.equal(new Set(kept.map((d) => d.name)).size, kept.length);
 * ```
 */
export function drawNames(model: CharModel, vocab: Vocab, options: DrawNamesOptions): NameDraws {
  const { count, seed, list, prefix = "", minLength = 1, allowCopies = false } = options;
  const prefixSymbols = checkNamePrefix(vocab, prefix);
  let longest = 0, perChar = 1; // the list's longest name, and its most symbols per character
  for (const name of list) {
    const chars = characters(name);
    longest = Math.max(longest, chars);
    perChar = Math.max(perChar, symbolsOf(vocab, name).length / chars);
  }
  const { maxLength = 2 * longest, maxDraws = 20 * count + 100 } = options;
  if (!(minLength <= maxLength)) {
    throw new RangeError(
      `Invalid length range ${minLength} to ${maxLength}: the shortest must not exceed the longest`,
    );
  }
  // symbols after the prefix, the closing newline included, that a name of maxLength can need
  const length = Math.ceil(maxLength * perChar) - prefixSymbols.length + 1;
  const known = new Set(list), seen = new Set<string>();
  const kept: DrawnName[] = [], drawn: DrawnName[] = [];
  while (kept.length < count && drawn.length < maxDraws) {
    const rng = new Rng(mixSeed(seed, drawn.length));
    const previous = list[rng.int(list.length)] ?? ""; // the state a name starts from in training
    const [g] = generate(model, vocab, {
      temperature: options.temperature ?? NAME_TEMPERATURE,
      topK: options.topK,
      topP: options.topP,
      prime: NAME_BOUNDARY + previous + NAME_BOUNDARY + prefix,
      length: Math.max(1, length),
      rngs: [rng],
      stop: NAME_BOUNDARY,
    });
    const name = prefix + g!.text, chars = characters(name);
    const d = { name, new: !known.has(name), logProb: g!.logProb };
    drawn.push(d);
    const fits = g!.stopped && chars >= minLength && chars <= maxLength;
    if (fits && (allowCopies || (d.new && !seen.has(name)))) kept.push(d);
    seen.add(name);
  }
  return { kept, drawn };
}

/** Characters as a reader counts them (grapheme clusters). */
function characters(text: string): number {
  return splitSymbols(text, "graphemes").length;
}
