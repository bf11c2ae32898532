/**
 * Generating text one character at a time for B streams at once: prime the state with any
 * text, copy it to every stream, then per step draw each stream's next character from the
 * softmax (temperature, top-k, top-p; see `pick.ts`) with that stream's own generator and run
 * one model step for all B streams (matrix products for B > 1, matrix-vector for B = 1). A
 * stream ends at its `stop` text or after `length` characters. Buffers are allocated once
 * per call, not per character.
 *
 * @module
 */
import { Rng } from "../core/rng.ts";
import type { CharModel } from "../model/char_model.ts";
import type { Vocab } from "../text/vocab.ts";
import { Picker, type PickOptions } from "./pick.ts";
import { broadcastState, primeModel, type PrimeOptions } from "./stream_state.ts";

/** Options of {@linkcode generate}. */
export interface GenerateOptions extends PickOptions, PrimeOptions {
  /** Characters to generate per stream at most (after the prime). */
  length: number;
  /** One random generator per stream: B = `rngs.length` (see {@linkcode streamRngs}). */
  rngs: readonly Rng[];
  /** End a stream when it generates this text (which is left out of its result). */
  stop?: string;
  /**
   * Called with each stream's text as it is generated (in order, never a piece of the stop
   * text): for streaming output.
   */
  onText?: (stream: number, text: string) => void;
}

/** One generated stream. */
export interface Generated {
  /** The text (without the prime and the stop text). */
  text: string;
  /** Whether it ended at the stop text (else at `length`). */
  stopped: boolean;
  /** Characters generated, the stop text included. */
  chars: number;
  /** Sum of the model's log-probabilities (nats, temperature 1) of those characters. */
  logProb: number;
  /**
   * Index of the last character generated (-1 when none). It is not yet fed to the model:
   * pass it as `startIndex` with the same one-stream `state` to continue (see `chunks.ts`).
   */
  last: number;
}

/**
 * One generator per stream, seeded `seed, seed + 1, ...`: stream i of a batch is the text a
 * single stream with seed `seed + i` gives, whatever the batch size.
 *
 * @param seed Seed of stream 0.
 * @param count Streams.
 * @returns The generators.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(streamRngs(7, 3)[2]!.nextU32(), streamRngs(9, 1)[0]!.nextU32());
 * ```
 */
export function streamRngs(seed: number, count: number): Rng[] {
  return Array.from({ length: count }, (_, i) => new Rng(seed + i));
}

/**
 * Generates up to `length` characters for each of B streams from one prime.
 *
 * @param model Any character model.
 * @param vocab Its vocabulary.
 * @param options Length, per-stream generators, prime, picking, stop text, streaming.
 * @returns One result per stream.
 * @throws {RangeError} for a prime outside the vocabulary or invalid options.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("ab ba\n");
 * const model = createModel({ cell: "lstm", vocabSize: 4, hiddenSize: 8 }, new Rng(1), {
 *   backend: createBackend({ kind: "f64" }),
 * });
 * const [a, b, c] = generate(model, vocab, { length: 12, rngs: streamRngs(5, 3), stop: "\n" });
 * const [alone] = generate(model, vocab, { length: 12, rngs: streamRngs(6, 1), stop: "\n" });
 * assert.equal(b!.text, alone!.text); // stream 1 of seed 5 = the one stream of seed 6
 * assert.ok([a, b, c].every((g) => !g!.text.includes("\n") && g!.logProb <= 0));
 * ```
 */
export function generate(model: CharModel, vocab: Vocab, options: GenerateOptions): Generated[] {
  const { length, rngs, stop = "", onText } = options;
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`Invalid length ${length}: expected a non-negative integer`);
  }
  if (rngs.length < 1) throw new RangeError("Cannot generate: give at least one stream");
  const V = vocab.chars.length, B = rngs.length;
  const picker = new Picker(V, options);
  const primed = primeModel(model, vocab, options);
  const state = B === 1 ? primed.state : broadcastState(model, primed.state, B);
  const logits = new Float64Array(B * V); // (B, V)
  for (let b = 0; b < B; b++) logits.set(primed.logits, b * V);
  const x = new Int32Array(B);
  const out: Generated[] = rngs.map(() => ({
    text: "",
    stopped: false,
    chars: 0,
    logProb: 0,
    last: -1,
  }));
  const shown = new Int32Array(B); // UTF-16 units of each text passed to onText
  let active = B;
  for (let n = 0; n < length && active > 0; n++) {
    for (let b = 0; b < B; b++) {
      const g = out[b]!;
      if (g.stopped) continue;
      const id = picker.pick(logits, rngs[b]!, b * V);
      g.logProb += picker.logProb; // log p of the picked character, at temperature 1
      g.text += vocab.chars[id]!;
      g.chars++;
      g.last = x[b] = id;
      if (stop && g.text.endsWith(stop)) {
        g.text = g.text.slice(0, -stop.length);
        g.stopped = true;
        active--;
      }
      if (onText) shown[b] = emit(onText, b, g.text, shown[b]!, g.stopped ? 0 : stop.length);
    }
    if (active > 0 && n + 1 < length) model.step(x, state, logits);
  }
  if (onText) out.forEach((g, b) => emit(onText, b, g.text, shown[b]!, 0));
  return out;
}

/** Options of {@linkcode sample}. */
export interface SampleOptions extends PickOptions, PrimeOptions {
  /** Number of characters to generate (after the prime). */
  length: number;
  /** Random source: the same seed gives the same text. */
  rng: Rng;
  /** End the sample at this text (left out of the result). */
  stop?: string;
}

/**
 * Generates `length` characters (one stream of {@linkcode generate}).
 *
 * @param model Any character model.
 * @param vocab Its vocabulary.
 * @param options Length, randomness, prime and picking.
 * @returns The generated text (without the prime).
 * @throws {RangeError} when the prime has a character outside the vocabulary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * import { VanillaRnn } from "../model/vanilla_rnn.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("hello world");
 * const model = new VanillaRnn(new Rng(1), { vocabSize: vocab.chars.length, hiddenSize: 8 });
 * const a = sample(model, vocab, { length: 20, rng: new Rng(42), prime: "he" });
 * const b = sample(model, vocab, { length: 20, rng: new Rng(42), prime: "he" });
 * assert.equal([...a].length, 20);
 * assert.equal(a, b);
 * ```
 */
export function sample(model: CharModel, vocab: Vocab, options: SampleOptions): string {
  return generate(model, vocab, { ...options, rngs: [options.rng] })[0]!.text;
}

/** Passes on the part of `text` after `shown` that can no longer be the start of the stop. */
function emit(
  onText: (stream: number, text: string) => void,
  stream: number,
  text: string,
  shown: number,
  holdBack: number,
): number {
  let end = Math.max(shown, text.length - Math.max(0, holdBack - 1));
  const unit = text.charCodeAt(end - 1);
  if (end < text.length && unit >= 0xd800 && unit < 0xdc00) end--; // never split a pair
  if (end > shown) onText(stream, text.slice(shown, end));
  return end;
}
