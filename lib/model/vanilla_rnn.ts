/**
 * The seed notebook's vanilla RNN, batched over B parallel streams:
 *
 *   h_t = tanh(Wxh x_t + Whh h_{t-1} + bh)      x_t one-hot, so Wxh x_t is a column of Wxh
 *   y_t = Why h_t + by
 *   p_t = softmax(y_t),  loss = mean over t, b of -log p_t[target]
 *
 * Plain float64 TypeScript with the seed's names, kept small and independent as an oracle:
 * the notebook shows it, and the model that trains ({@linkcode StackedRnn} with one `rnn`
 * layer) is tested against it through {@linkcode VANILLA_TO_STACKED}.
 * Legend: V = vocabulary size, H = hidden size, B = batch size, T = sequence length.
 *
 * @module
 */
import { createBackend } from "../backend/create.ts";
import type { Backend } from "../backend/types.ts";
import type { CharModel, State } from "./char_model.ts";
import type { ModelConfig } from "./model_config.ts";
import type { Rng } from "../core/rng.ts";
import { softmaxCrossEntropy } from "../core/softmax.ts";
import { gaussian, type Params, zeros, zerosLike } from "../core/tensor.ts";

/**
 * The names of the seed's parameters in a one-layer `rnn` {@linkcode StackedRnn} (and in its
 * checkpoints): the same tensors, shapes and initial draws.
 */
export const VANILLA_TO_STACKED: Readonly<Record<string, string>> = Object.freeze({
  Wxh: "l0.Wx",
  Whh: "l0.Wh",
  Why: "Why",
  bh: "l0.b",
  by: "by",
});

/** Options of {@linkcode VanillaRnn}. */
export interface RnnOptions {
  /** Vocabulary size V. */
  vocabSize: number;
  /** Hidden size H. */
  hiddenSize: number;
  /** Standard deviation of the initial weights; default `1 / sqrt(H)` (the seed used 0.01). */
  initScale?: number;
}

/** The vanilla RNN: parameters `Wxh (H,V)`, `Whh (H,H)`, `Why (V,H)`, `bh (H)`, `by (V)`. */
export class VanillaRnn implements CharModel {
  /** Cell and shapes. */
  readonly config: ModelConfig;
  /** `{ Wxh, Whh, Why, bh, by }`. */
  readonly params: Params;
  /** Gradients of the mean loss, same shapes as `params`. */
  readonly grads: Params;
  /** The float64 reference backend, for optimizers and clipping (the math here is its own). */
  readonly backend: Backend = createBackend({ kind: "f64" });
  // Cache of the last forward, reused while T*B stays the same.
  #T = 0;
  #B = 0;
  #xs = new Int32Array(0); // (T, B) inputs
  #ys = new Int32Array(0); // (T, B) targets
  #hs = new Float64Array(0); // (T+1, B, H) hidden states; hs[0] is the initial state
  #ps = new Float64Array(0); // (T, B, V) probabilities
  #dh = new Float64Array(0); // (B, H) gradient flowing into h_t
  #dhraw = new Float64Array(0); // (H) scratch: gradient before tanh
  #next = new Float64Array(0); // (B, H) scratch of step()

  /**
   * Creates a model with Gaussian weights and zero biases.
   *
   * @param rng Source of the initial weights.
   * @param options Sizes and init scale.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "../core/rng.ts";
   * const m = new VanillaRnn(new Rng(1), { vocabSize: 5, hiddenSize: 8 });
   * assert.deepEqual(m.params.Wxh!.shape, [8, 5]);
   * ```
   */
  constructor(rng: Rng, options: RnnOptions) {
    const { vocabSize: V, hiddenSize: H } = options;
    for (const [name, v] of [["vocabSize", V], ["hiddenSize", H]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Invalid ${name} ${v}: expected a positive integer`);
      }
    }
    const scale = options.initScale ?? 1 / Math.sqrt(H);
    this.config = { cell: "rnn", vocabSize: V, hiddenSize: H };
    this.params = {
      Wxh: gaussian([H, V], { scale, rng }), // input to hidden
      Whh: gaussian([H, H], { scale, rng }), // hidden to hidden
      Why: gaussian([V, H], { scale, rng }), // hidden to output
      bh: zeros([H]), // hidden bias
      by: zeros([V]), // output bias
    };
    this.grads = zerosLike(this.params);
  }

  /**
   * A zero hidden state `{ h: (B, H) }`.
   *
   * @param batchSize B.
   * @returns The state.
   */
  initialState(batchSize: number): State {
    return { h: zeros([batchSize, this.config.hiddenSize]) };
  }

  /**
   * Forward over a `(T, B)` chunk; see {@linkcode CharModel.forward}.
   *
   * @param inputs `(T, B)` input indices.
   * @param targets `(T, B)` target indices.
   * @param state `{ h: (B, H) }`, advanced in place.
   * @returns Mean loss per character (nats).
   */
  forward(inputs: Int32Array, targets: Int32Array, state: State): number {
    const { vocabSize: V, hiddenSize: H } = this.config;
    const h0 = stateH(state, H);
    const B = h0.length / H;
    const T = inputs.length / B;
    this.#ensureCache(T, B);
    this.#xs.set(inputs);
    this.#ys.set(targets);
    const Wxh = this.params.Wxh!.data, Whh = this.params.Whh!.data, Why = this.params.Why!.data;
    const bh = this.params.bh!.data, by = this.params.by!.data;
    const hs = this.#hs, ps = this.#ps;
    hs.set(h0, 0);
    let loss = 0;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const x = inputs[t * B + b]!;
        const prev = (t * B + b) * H; // h_{t-1}
        const cur = ((t + 1) * B + b) * H; // h_t
        for (let i = 0; i < H; i++) {
          let a = bh[i]! + Wxh[i * V + x]!; // Wxh x_t + bh
          const row = i * H;
          for (let j = 0; j < H; j++) a += Whh[row + j]! * hs[prev + j]!; // + Whh h_{t-1}
          hs[cur + i] = Math.tanh(a);
        }
        const out = (t * B + b) * V;
        for (let v = 0; v < V; v++) {
          let y = by[v]!; // y_t = Why h_t + by
          const row = v * H;
          for (let i = 0; i < H; i++) y += Why[row + i]! * hs[cur + i]!;
          ps[out + v] = y;
        }
        loss += softmaxCrossEntropy(ps, ps, { offset: out, n: V, target: targets[t * B + b]! });
      }
    }
    h0.set(hs.subarray(T * B * H, (T + 1) * B * H)); // carry h_T
    return loss / (T * B);
  }

  /**
   * Backpropagation through time of the last forward; see {@linkcode CharModel.backward}.
   *
   * @param dState Optional `{ h: (B, H) }` accumulator for the gradient w.r.t. the initial state.
   */
  backward(dState?: State): void {
    const { vocabSize: V, hiddenSize: H } = this.config;
    const T = this.#T, B = this.#B;
    const Whh = this.params.Whh!.data, Why = this.params.Why!.data;
    const dWxh = this.grads.Wxh!.data, dWhh = this.grads.Whh!.data, dWhy = this.grads.Why!.data;
    const dbh = this.grads.bh!.data, dby = this.grads.by!.data;
    const hs = this.#hs, ps = this.#ps, xs = this.#xs, ys = this.#ys;
    const dh = this.#dh, dhraw = this.#dhraw;
    const scale = 1 / (T * B); // d(mean loss) / d(per-character loss)
    dh.fill(0); // dh_next: gradient from step t+1 into h_t
    for (let t = T - 1; t >= 0; t--) {
      for (let b = 0; b < B; b++) {
        const out = (t * B + b) * V;
        const cur = ((t + 1) * B + b) * H;
        const prev = (t * B + b) * H;
        const target = ys[t * B + b]!;
        const dhb = b * H;
        for (let v = 0; v < V; v++) {
          const dy = (ps[out + v]! - (v === target ? 1 : 0)) * scale; // dL/dy = p - onehot
          if (dy === 0) continue;
          dby[v] = dby[v]! + dy;
          const row = v * H;
          for (let i = 0; i < H; i++) {
            dWhy[row + i] = dWhy[row + i]! + dy * hs[cur + i]!; // dWhy += dy h_t^T
            dh[dhb + i] = dh[dhb + i]! + Why[row + i]! * dy; // dh += Why^T dy
          }
        }
        const x = xs[t * B + b]!;
        for (let i = 0; i < H; i++) {
          const h = hs[cur + i]!;
          const g = (1 - h * h) * dh[dhb + i]!; // backprop through tanh
          dhraw[i] = g;
          dbh[i] = dbh[i]! + g;
          dWxh[i * V + x] = dWxh[i * V + x]! + g; // dWxh += dhraw x_t^T (one-hot column)
          const row = i * H;
          for (let j = 0; j < H; j++) dWhh[row + j] = dWhh[row + j]! + g * hs[prev + j]!;
        }
        for (let j = 0; j < H; j++) dh[dhb + j] = 0; // dh_next = Whh^T dhraw
        for (let i = 0; i < H; i++) {
          const g = dhraw[i]!;
          const row = i * H;
          for (let j = 0; j < H; j++) dh[dhb + j] = dh[dhb + j]! + Whh[row + j]! * g;
        }
      }
    }
    if (dState) {
      const dh0 = stateH(dState, H);
      for (let k = 0; k < dh0.length; k++) dh0[k] = dh0[k]! + dh[k]!;
    }
  }

  /**
   * One step for sampling; see {@linkcode CharModel.step}.
   *
   * @param x `(B)` input indices.
   * @param state `{ h: (B, H) }`, advanced in place.
   * @param logits `(B, V)` output.
   */
  step(x: Int32Array, state: State, logits: Float64Array): void {
    const { vocabSize: V, hiddenSize: H } = this.config;
    const h = stateH(state, H);
    const B = h.length / H;
    const Wxh = this.params.Wxh!.data, Whh = this.params.Whh!.data, Why = this.params.Why!.data;
    const bh = this.params.bh!.data, by = this.params.by!.data;
    if (this.#next.length < B * H) this.#next = new Float64Array(B * H);
    const next = this.#next; // (B, H) scratch
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < H; i++) {
        let a = bh[i]! + Wxh[i * V + x[b]!]!;
        for (let j = 0; j < H; j++) a += Whh[i * H + j]! * h[b * H + j]!;
        next[b * H + i] = Math.tanh(a);
      }
      for (let v = 0; v < V; v++) {
        let y = by[v]!;
        for (let i = 0; i < H; i++) y += Why[v * H + i]! * next[b * H + i]!;
        logits[b * V + v] = y;
      }
    }
    h.set(next.subarray(0, B * H));
  }

  #ensureCache(T: number, B: number): void {
    const { vocabSize: V, hiddenSize: H } = this.config;
    if (T * B > this.#xs.length) {
      this.#xs = new Int32Array(T * B);
      this.#ys = new Int32Array(T * B);
      this.#ps = new Float64Array(T * B * V);
    }
    if ((T + 1) * B * H > this.#hs.length) this.#hs = new Float64Array((T + 1) * B * H);
    if (B * H > this.#dh.length) this.#dh = new Float64Array(B * H);
    if (H > this.#dhraw.length) this.#dhraw = new Float64Array(H);
    this.#T = T;
    this.#B = B;
  }
}

function stateH(state: State, H: number): Float64Array {
  const h = state.h?.data;
  if (!(h instanceof Float64Array) || h.length % H !== 0) {
    throw new TypeError(`Invalid RNN state: expected { h: Float64Array of shape (B, ${H}) }`);
  }
  return h;
}
