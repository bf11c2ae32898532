/**
 * The starting point of generation and the state moves it needs: a prime text run through a
 * model (one stream), then copied to B streams; rows of a B-stream state gathered by index
 * (beam search). Models hold their state as named `(B, H)` float tensors.
 *
 * @module
 */
import type { CharModel, State } from "../model/char_model.ts";
import { describeChar, symbolsOf, type Vocab } from "../text/vocab.ts";

/** Where generation starts. */
export interface PrimeOptions {
  /**
   * Text to run through the model first (any length), split into the vocabulary's symbols; it
   * is not part of the result.
   */
  prime?: string;
  /**
   * State to start from, `B = 1`, advanced in place (through the prime, and through the
   * generated text when there is one stream). Default: a zero state.
   */
  state?: State;
  /** Index of the character fed first when there is no prime; default newline, space or 0. */
  startIndex?: number;
}

/**
 * Runs the prime (or the start character) through one stream.
 *
 * @param model The model.
 * @param vocab Its vocabulary.
 * @param options Prime, start state, start index.
 * @returns The state after the prime, `(1, H)` per tensor, and the logits of the next
 *   character, `(V)`.
 * @throws {RangeError} when the prime has a character outside the vocabulary.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("ab\n");
 * const model = createModel({ cell: "rnn", vocabSize: 3, hiddenSize: 4 }, new Rng(1), {
 *   backend: createBackend({ kind: "f64" }),
 * });
 * const { logits } = primeModel(model, vocab, { prime: "ab" });
 * assert.equal(logits.length, 3);
 * assert.throws(() => primeModel(model, vocab, { prime: "z" }), /not in the model's vocabulary/);
 * ```
 */
export function primeModel(
  model: CharModel,
  vocab: Vocab,
  options: PrimeOptions = {},
): { state: State; logits: Float64Array } {
  const ids = encodePrime(vocab, options.prime ?? "");
  if (ids.length === 0) ids.push(options.startIndex ?? defaultStartIndex(vocab));
  const state = options.state ?? model.initialState(1);
  const x = new Int32Array(1), logits = new Float64Array(vocab.chars.length);
  for (const id of ids) {
    x[0] = id;
    model.step(x, state, logits);
  }
  return { state, logits };
}

/**
 * A B-stream state whose every row is row `row` of `state` (default 0).
 *
 * @param model The model (for the state's names and type).
 * @param state A state of any batch size.
 * @param B Streams of the result.
 * @returns The new state.
 */
export function broadcastState(model: CharModel, state: State, B: number): State {
  const out = model.initialState(B);
  for (const [name, t] of Object.entries(out)) {
    const H = t.shape[1]!, row = state[name]!.data.subarray(0, H);
    for (let b = 0; b < B; b++) t.data.set(row, b * H);
  }
  return out;
}

/**
 * Copies rows between states: row b of `dst` becomes row `rows[b]` of `src`.
 *
 * @param dst Destination state, `(B, H)` per tensor.
 * @param src Source state (same names and shapes; must not be `dst`).
 * @param rows Source row per destination row, `(B)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const t = (v: number[]) => ({ h: { shape: [v.length, 1], data: Float64Array.from(v) } });
 * const dst = t([0, 0, 0]);
 * gatherStateRows(dst, t([10, 20, 30]), Int32Array.of(2, 2, 0));
 * assert.deepEqual(Array.from(dst.h.data), [30, 30, 10]);
 * ```
 */
export function gatherStateRows(dst: State, src: State, rows: Int32Array): void {
  for (const [name, t] of Object.entries(dst)) {
    const H = t.shape[1]!, from = src[name]!.data;
    for (let b = 0; b < rows.length; b++) {
      const r = rows[b]! * H;
      t.data.set(from.subarray(r, r + H), b * H);
    }
  }
}

function encodePrime(vocab: Vocab, prime: string): number[] {
  const ids: number[] = [];
  for (const ch of symbolsOf(vocab, prime)) {
    const id = vocab.charToIndex.get(ch);
    if (id === undefined) {
      throw new RangeError(
        `Prime text contains ${describeChar(ch)}, which is not in the model's vocabulary; ` +
          `use only characters from the training text`,
      );
    }
    ids.push(id);
  }
  return ids;
}

function defaultStartIndex(vocab: Vocab): number {
  return vocab.charToIndex.get("\n") ?? vocab.charToIndex.get(" ") ?? 0;
}
