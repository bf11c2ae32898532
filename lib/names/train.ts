/**
 * Training a model on a list of names with the shared {@linkcode Trainer}: names held out at
 * random are scored every `recipe.evalEvery` steps, the weights that score best are kept, and
 * training stops once `recipe.patience` scores in a row are no better. The training text is
 * `recipe.epochs` passes over the other names, each in a new order (`split.ts`).
 *
 * @module
 */
import type { Backend } from "../backend/types.ts";
import { mixSeed, Rng } from "../core/rng.ts";
import type { FloatArray } from "../core/tensor.ts";
import { scoreIds, type TextScore } from "../generate/score.ts";
import type { CharModel } from "../model/char_model.ts";
import { createModel } from "../model/create.ts";
import { namesToText } from "../text/names.ts";
import { buildVocab, encode, type Vocab } from "../text/vocab.ts";
import { modelConfigOf } from "../train/config.ts";
import { createOptimizer } from "../train/optim.ts";
import { copyRecord, setRecord } from "../train/snapshot.ts";
import { Trainer, type TrainEvent } from "../train/trainer.ts";
import { bigramBitsPerCodePoint } from "./bigram.ts";
import { type NamesRecipe, namesRecipe } from "./recipe.ts";
import { epochIds, type NameSplit, splitNames } from "./split.ts";

/** Options of {@linkcode trainNames}. */
export interface TrainNamesOptions {
  /** The recipe (default `namesRecipe(names)`). */
  recipe?: NamesRecipe;
  /** Where the model runs (default the fastest backend here). */
  backend?: Backend;
  /** Gets every trainer event, and an `eval` event per held-out score. */
  onEvent?: (event: TrainEvent) => void | Promise<void>;
  /** Stops training after the current step (the best weights so far are kept). */
  signal?: AbortSignal;
}

/** A model trained on a list of names. */
export interface TrainedNames {
  /** The list it learnt (held-out names included), in its order. */
  names: readonly string[];
  /** The model, holding the weights that scored best on the held-out names. */
  model: CharModel;
  /** Its vocabulary: every symbol of the list and the newline. */
  vocab: Vocab;
  /** The recipe it was trained with. */
  recipe: NamesRecipe;
  /** The names that trained it and the names held out. */
  split: NameSplit;
  /** The trainer (its optimizer and step are those of the last step trained). */
  trainer: Trainer;
  /** What the run did: steps trained, throughput, whether the held-out names stopped it. */
  result: { steps: number; charsPerSec: number; stopped: boolean; stoppedEarly: boolean };
  /** The step of the kept weights. */
  bestStep: number;
  /** Their score on the held-out names (`namesToText(split.heldOut)`). */
  heldOut: TextScore;
  /** The held-out bits per code point of a bigram model of the training names (`bigram.ts`). */
  bigramBits: number;
  /** Milliseconds spent training. */
  trainMs: number;
}

/**
 * Trains a model on a list of names (see the module doc).
 *
 * @param names Distinct names (see `checkNames` of `recipe.ts`).
 * @param options Recipe, backend, event handler, stop signal.
 * @returns The trained model and what it scored.
 * @throws {RangeError} for a list the recipe refuses (too few names).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { namesRecipe } from "./recipe.ts";
 * const names = ["Ada", "Ana", "Anna", "Ava", "Bea", "Ben", "Bo", "Cy", "Dan", "Dana", "Eva"];
 * const recipe = namesRecipe(names, { seed: 1 });
 * const trained = await trainNames(names, {
 *   recipe: { ...recipe, config: { ...recipe.config, hiddenSize: 8, steps: 4 } },
 *   backend: createBackend({ kind: "f64" }),
 * });
 * assert.equal(trained.result.steps, 4);
 * assert.ok(trained.heldOut.bitsPerCodePoint > 0 && trained.bigramBits > 0);
 * ```
 */
export async function trainNames(
  names: readonly string[],
  options: TrainNamesOptions = {},
): Promise<TrainedNames> {
  const recipe = options.recipe ?? namesRecipe(names);
  const { config } = recipe, seed = config.seed;
  const split = splitNames(names, recipe.heldOut, new Rng(mixSeed(seed, 1)));
  const vocab = buildVocab(namesToText(names), { tokens: config.tokens });
  const orders = new Rng(mixSeed(seed, 2));
  const train = epochIds(split.train, vocab, { epochs: recipe.epochs, rng: orders });
  const val = encode(vocab, namesToText(split.heldOut));
  const rng = new Rng(seed);
  const model = createModel(modelConfigOf(config, vocab.chars.length), rng, {
    initScale: config.initScale,
    backend: options.backend,
  });
  const optimizer = createOptimizer(config.optimizer, model.params, { backend: model.backend });
  const trainer = new Trainer(model, { vocab, data: { train, val }, config, optimizer, rng });
  const onEvent = options.onEvent ?? (() => {});
  const stop = new AbortController();
  options.signal?.addEventListener("abort", () => stop.abort(), { once: true });
  const best = new BestWeights(recipe.patience);
  const score = async (step: number) => {
    const s = trainer.withAverage(() => scoreIds(model, vocab, val));
    await onEvent({ type: "eval", step, valLoss: s.nats, valBpc: s.bits });
    const params = () => trainer.withAverage(() => copyRecord(model.params));
    if (best.offer(step, s, params)) stop.abort();
  };
  const start = performance.now();
  const result = await trainer.train({
    onEvent,
    afterStep: (step) => step % recipe.evalEvery === 0 ? score(step) : undefined,
    signal: stop.signal,
  });
  if (best.lastStep !== trainer.step) await score(trainer.step);
  const trainMs = performance.now() - start;
  const kept = best.kept!;
  setRecord(model.params, kept.params);
  return {
    names,
    model,
    vocab,
    recipe,
    split,
    trainer,
    result: { ...result, stoppedEarly: result.stopped && !options.signal?.aborted },
    bestStep: kept.step,
    heldOut: kept.score,
    bigramBits: bigramBitsPerCodePoint(split.train, split.heldOut),
    trainMs,
  };
}

/** Keeps the weights of the best held-out score, and says when `patience` scores were no better. */
class BestWeights {
  /** The best score so far, its step and weights. */
  kept: { step: number; score: TextScore; params: Record<string, FloatArray> } | undefined;
  /** The step of the last score offered (-1 before the first). */
  lastStep = -1;
  #worse = 0;
  readonly #patience: number;

  constructor(patience: number) {
    this.#patience = patience;
  }

  /** Records a score; copies the weights when it is the best. Returns whether to stop. */
  offer(step: number, score: TextScore, params: () => Record<string, FloatArray>): boolean {
    this.lastStep = step;
    if (this.kept === undefined || score.nats < this.kept.score.nats) {
      this.kept = { step, score, params: params() };
      this.#worse = 0;
      return false;
    }
    return ++this.#worse >= this.#patience;
  }
}
