/**
 * A recipe for lists of names, not books, chosen from the list's size and script (see
 * {@linkcode namesRecipe}; docs/names.md has the measurements behind it). A list is small next
 * to a book: a minute of a book's recipe learns it by heart, and then the model writes names of
 * the list, not new ones. So names held out at random decide which weights to keep and when to
 * stop, the model and batches are small for a short list, and names whose letters carry
 * combining marks (Devanagari and other abugidas) are learnt as whole written syllables.
 *
 * @module
 */
import { DEFAULT_CONFIG, makeConfig, type TrainConfig } from "../train/config.ts";
import { namesToText } from "../text/names.ts";
import { splitSymbols, type TokenMode } from "../text/tokens.ts";

/** The fewest distinct names a list needs. */
export const MIN_NAMES = 10;

/** How to train a model on a list of names. */
export interface NamesRecipe {
  /** Names held out at random, to pick the best weights and stop training. */
  heldOut: number;
  /** Passes over the training names at most (each in a new order). */
  epochs: number;
  /** Steps between two scores on the held-out names. */
  evalEvery: number;
  /** Scores in a row no better than the best before training stops. */
  patience: number;
  /** Model, sizes, regularisation, schedule, steps (all epochs), symbols and seed. */
  config: TrainConfig;
}

/** Options of {@linkcode namesRecipe}. */
export interface NamesRecipeOptions {
  /** Seed of every random choice (default 42). */
  seed?: number;
  /** Symbols: default graphemes when the names use combining marks, else code points. */
  tokens?: TokenMode;
  /** Tuning overrides of the recipe (experiments). */
  overrides?: Partial<TrainConfig> & { epochs?: number; patience?: number };
}

/**
 * Refuses a list too short to learn from.
 *
 * @param names Distinct names.
 * @param label What to call the list in the message (default `the list`).
 * @throws {RangeError} naming how many names there are and how many are needed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => checkNames(["Ada"]), /the list: it has 1 distinct name; .* at least 10/);
 * ```
 */
export function checkNames(names: readonly string[], label = "the list"): void {
  if (names.length >= MIN_NAMES) return;
  throw new RangeError(
    `Cannot learn from ${label}: it has ${names.length} distinct ` +
      `name${names.length === 1 ? "" : "s"}; a generator needs at least ${MIN_NAMES} (100 or ` +
      `more to invent good ones), one per line`,
  );
}

/**
 * Whether names use combining marks (Unicode category M: Devanagari vowel signs and virama,
 * accents typed as separate code points), where grapheme clusters make better symbols.
 *
 * @param names Names.
 * @returns True when any name has a combining mark.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([usesCombiningMarks(["सीता"]), usesCombiningMarks(["Zoë"])], [true, false]);
 * ```
 */
export function usesCombiningMarks(names: readonly string[]): boolean {
  return names.some((name) => /\p{M}/u.test(name));
}

/** Training symbols below which a list counts as short (about 2,500 names of 7 letters). */
export const SHORT_LIST_SYMBOLS = 20_000;

/** The model and batches of a short list: few symbols, so small batches and layer norm. */
const SHORT_LIST: Partial<TrainConfig> = {
  hiddenSize: 64,
  norm: "layer",
  batchSize: 8,
  seqLength: 16,
  learningRate: 2e-3,
};

/** The model and batches of a longer list (layer norm would cost time and copy more names). */
const LONG_LIST: Partial<TrainConfig> = {
  hiddenSize: 128,
  norm: "none",
  batchSize: 32,
  seqLength: 32,
  learningRate: 3e-3,
};

/** Symbols a recipe trains on at most: about a minute of the larger model on 2 cores. */
export const SYMBOL_BUDGET = 1_200_000;

/**
 * The recipe for a list (docs/names.md says why):
 *
 * - symbols: grapheme clusters when the names use combining marks, else code points;
 * - a tenth of the names held out at random (1 to 2,000), scored every epoch (every 100 steps
 *   at most), training stopping after 8 scores no better than the best;
 * - a GRU with zoneout 0.1; a short list (under {@linkcode SHORT_LIST_SYMBOLS} training
 *   symbols) gets 64 layer-normalised units and small batches (8 x 16 symbols, learning rate
 *   2e-3), a longer one 128 units and 32 x 32 symbols at 3e-3;
 * - {@linkcode SYMBOL_BUDGET} symbols of training at most (200 epochs at most), each epoch in a
 *   new order, with the learning rate annealed over them (cosine, to a tenth).
 *
 * @param names Distinct names.
 * @param options Seed, symbols, tuning overrides.
 * @returns The recipe.
 * @throws {RangeError} for a list under {@linkcode MIN_NAMES} names.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const names = ["गंगा", "यमुना", "सरस्वती", "नर्मदा", "गोदावरी", "कावेरी", "कृष्णा", "सिन्धु", "तापी", "सरयू"];
 * const recipe = namesRecipe(names, { seed: 3 });
 * assert.deepEqual([recipe.heldOut, recipe.config.tokens, recipe.config.hiddenSize], [1, "graphemes", 64]);
 * ```
 */
export function namesRecipe(
  names: readonly string[],
  options: NamesRecipeOptions = {},
): NamesRecipe {
  checkNames(names);
  const { seed = 42, overrides = {} } = options;
  const tokens = options.tokens ?? (usesCombiningMarks(names) ? "graphemes" : "codepoints");
  const heldOut = Math.min(2000, Math.max(1, Math.round(names.length / 10)));
  const symbols = splitSymbols(namesToText(names), tokens).length * (1 - heldOut / names.length);
  const short = symbols < SHORT_LIST_SYMBOLS;
  const { epochs: e, patience = 8, ...config } = overrides;
  const base: Omit<TrainConfig, "steps"> = {
    ...DEFAULT_CONFIG,
    cell: "gru",
    zoneout: 0.1,
    ...(short ? SHORT_LIST : LONG_LIST),
    lrSchedule: "cosine",
    lrDecay: 0.1,
    initScale: 0.08,
    evalEvery: 0, // trainNames scores the held-out names itself
    sampleEvery: 0,
    valFraction: 0, // the held-out names are set apart before the text is made
    seed,
    tokens,
    ...config,
  };
  const perStep = base.seqLength * base.batchSize;
  const epochs = e ?? Math.max(1, Math.min(200, Math.ceil(SYMBOL_BUDGET / symbols)));
  const budget = e === undefined ? Math.min(SYMBOL_BUDGET, epochs * symbols) : epochs * symbols;
  const steps = Math.max(1, Math.floor(budget / perStep));
  const evalEvery = Math.max(1, Math.min(100, Math.round(symbols / perStep)));
  return { heldOut, epochs, evalEvery, patience, config: makeConfig({ ...base, steps }) };
}
