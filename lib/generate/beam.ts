/**
 * Beam search: the W most likely continuations of a prime are kept at every step (as W streams
 * of one batch), each extended by every character, and the W best of those W*V candidates
 * survive. A hypothesis that generates the stop text is finished; the result is the finished
 * or surviving hypothesis with the highest length-normalised log-probability (mean nats per
 * character). Width 1 is greedy decoding (always the argmax).
 *
 *   score(c_1..c_n) = sum_t log p(c_t | prime, c_<t),  ranked by score / n
 *
 * @module
 */
import { logSumExp } from "../core/softmax.ts";
import type { CharModel } from "../model/char_model.ts";
import type { Vocab } from "../text/vocab.ts";
import { broadcastState, gatherStateRows, primeModel, type PrimeOptions } from "./stream_state.ts";

/** Options of {@linkcode beamSearch}. */
export interface BeamOptions extends PrimeOptions {
  /** Beam width W (hypotheses kept per step), >= 1. */
  width: number;
  /** Characters to generate at most. */
  length: number;
  /** A hypothesis that generates this text is finished (the text is left out of the result). */
  stop?: string;
}

/** The best hypothesis. */
export interface BeamResult {
  /** Its text (without the prime and the stop text). */
  text: string;
  /** Its log-probability (nats), the stop text included. */
  logProb: number;
  /** `logProb` per character: the score it won with. */
  meanLogProb: number;
  /** Whether it ended at the stop text. */
  stopped: boolean;
}

/** A live hypothesis of the beam. */
interface Hypothesis {
  text: string;
  logProb: number;
  chars: number;
}

/**
 * Finds a likely continuation of the prime by beam search.
 *
 * @param model Any character model.
 * @param vocab Its vocabulary.
 * @param options Width, length, prime, stop text.
 * @returns The best hypothesis found.
 * @throws {RangeError} for a width below 1, a negative length or a prime outside the vocabulary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * import { sample } from "./sample.ts";
 * const vocab = buildVocab("abc");
 * const model = createModel({ cell: "gru", vocabSize: 3, hiddenSize: 6 }, new Rng(3), {
 *   backend: createBackend({ kind: "f64" }),
 * });
 * const greedy = sample(model, vocab, { length: 8, rng: new Rng(1), temperature: 0 });
 * assert.equal(beamSearch(model, vocab, { width: 1, length: 8 }).text, greedy);
 * const wide = beamSearch(model, vocab, { width: 9, length: 8 });
 * assert.ok(wide.logProb >= beamSearch(model, vocab, { width: 1, length: 8 }).logProb - 1e-12);
 * ```
 */
export function beamSearch(model: CharModel, vocab: Vocab, options: BeamOptions): BeamResult {
  const { width: W, length, stop = "" } = options;
  if (!Number.isInteger(W) || W < 1) {
    throw new RangeError(`Invalid beam width ${W}: expected an integer >= 1`);
  }
  if (!Number.isInteger(length) || length < 0) {
    throw new RangeError(`Invalid length ${length}: expected a non-negative integer`);
  }
  const V = vocab.chars.length;
  const primed = primeModel(model, vocab, options);
  let state = broadcastState(model, primed.state, W), spare = model.initialState(W);
  const logits = new Float64Array(W * V), logp = new Float64Array(W * V); // (W, V)
  for (let b = 0; b < W; b++) logits.set(primed.logits, b * V);
  const x = new Int32Array(W), parents = new Int32Array(W);
  let beams: Hypothesis[] = [{ text: "", logProb: 0, chars: 0 }];
  const finished: Hypothesis[] = [];
  for (let n = 0; n < length && beams.length > 0 && finished.length < W; n++) {
    beams.forEach((_, b) => logSoftmaxRow(logits, logp, b, V));
    const best = topCandidates(beams, logp, V, W); // indices b * V + v, best first
    const next: Hypothesis[] = [];
    for (const c of best) {
      const b = Math.floor(c / V), v = c - b * V, parent = beams[b]!;
      const h = {
        text: parent.text + vocab.chars[v]!,
        logProb: parent.logProb + logp[c]!,
        chars: parent.chars + 1,
      };
      if (stop && h.text.endsWith(stop)) {
        finished.push({ ...h, text: h.text.slice(0, -stop.length) });
        continue;
      }
      parents[next.length] = b;
      x[next.length] = v;
      next.push(h);
    }
    beams = next;
    if (beams.length === 0 || n + 1 === length) break;
    for (let j = beams.length; j < W; j++) (parents[j] = 0, x[j] = x[0]!); // idle rows
    gatherStateRows(spare, state, parents);
    [state, spare] = [spare, state];
    model.step(x, state, logits);
  }
  const all = [
    ...finished.map((h) => ({ h, stopped: true })),
    ...beams.map((h) => ({ h, stopped: false })),
  ];
  const mean = (h: Hypothesis) => (h.chars > 0 ? h.logProb / h.chars : 0);
  let win = all[0] ?? { h: beams[0] ?? { text: "", logProb: 0, chars: 0 }, stopped: false };
  for (const c of all) if (mean(c.h) > mean(win.h)) win = c;
  return {
    text: win.h.text,
    logProb: win.h.logProb,
    meanLogProb: mean(win.h),
    stopped: win.stopped,
  };
}

/** `logp` row b = log softmax of `logits` row b. */
function logSoftmaxRow(logits: Float64Array, logp: Float64Array, b: number, V: number): void {
  const o = b * V, lse = logSumExp(logits, { offset: o, n: V });
  for (let v = 0; v < V; v++) logp[o + v] = logits[o + v]! - lse;
}

/** The (up to) W best extensions `b * V + v` of the live beams by total log-probability. */
function topCandidates(beams: Hypothesis[], logp: Float64Array, V: number, W: number): number[] {
  const scores = new Float64Array(beams.length * V);
  beams.forEach((h, b) => {
    for (let v = 0; v < V; v++) scores[b * V + v] = h.logProb + logp[b * V + v]!;
  });
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, c) => scores[c]! - scores[a]! || a - c); // ties: the earlier beam and character
  return order.slice(0, W);
}
