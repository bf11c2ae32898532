/**
 * One recurrent layer over a `(T, B)` chunk, minus its cell: the input and
 * hidden projections with their gradients, the state carried in and out, and
 * caches allocated once per `(T, B)` shape. A cell (tanh RNN, LSTM, GRU) adds
 * only its elementwise gate math, in `cellForward` / `cellBackward`.
 *
 * A cell has G gate blocks of H rows each (block k is rows `k*H .. (k+1)*H`),
 * all computed from the two projections
 *
 *   ax_t = Wx x_t + b      x_t one-hot (layer 0: a column of Wx) or dense
 *   ah_t = Wh h_{t-1}
 *
 * Legend: B = batch size, T = sequence length, H = hidden size, G = gate blocks,
 * I = input size (V for the one-hot first layer, H above it), R = G*H rows.
 *
 * @module
 */
import type { Rng } from "../core/rng.ts";
import { gaussian, type Params, zeros, zerosLike } from "../core/tensor.ts";

/** A layer's input: `(T, B)` one-hot indices (first layer) or `(T, B, I)` dense vectors. */
export type LayerInput = Int32Array | Float64Array;

/** What one forward over T steps keeps for its backward (explicit, reused per `(T, B)`). */
export interface LayerCache {
  /** Sequence length T. */
  T: number;
  /** Batch size B. */
  B: number;
  /** The forward's input, `(T, B)` or `(T, B, I)`; referenced, not copied. */
  input: LayerInput;
  /** Per state tensor (h first, then c for an LSTM): `(T+1, B, H)`, index 0 the initial state. */
  seqs: Float64Array[];
  /** Per state tensor: `(B, H)` gradient flowing into it at the current step. */
  dStates: Float64Array[];
  /** `(B, R)` scratch: `Wx x_t + b`. */
  ax: Float64Array;
  /** `(B, R)` scratch: `Wh h_{t-1}`. */
  ah: Float64Array;
  /** `(B, R)` gradient of `ax`. */
  dax: Float64Array;
  /** `(B, R)` gradient of `ah`: the same array as `dax` unless the cell splits them (GRU). */
  dah: Float64Array;
}

/** Options of {@linkcode RecurrentLayer}. */
export interface RecurrentLayerOptions {
  /** Input size I: V for the first layer (one-hot indices), H above it (dense). */
  inputSize: number;
  /** Hidden size H. */
  hiddenSize: number;
  /** Standard deviation of the Gaussian initial weights; default `1 / sqrt(H)`. */
  initScale?: number;
}

/**
 * The cell-independent part of a recurrent layer. Parameters `Wx (R, I)`,
 * `Wh (R, H)`, `b (R)` plus the cell's own; `backward` adds into `grads`.
 * Subclasses: {@linkcode RnnLayer}, {@linkcode LstmLayer}, {@linkcode GruLayer}.
 */
export abstract class RecurrentLayer<C extends LayerCache = LayerCache> {
  /** Input size I. */
  readonly inputSize: number;
  /** Hidden size H. */
  readonly hiddenSize: number;
  /** Gate blocks G (rows of `Wx`, `Wh`, `b` are `G * H`). */
  readonly gates: number;
  /** State tensor names, h first (e.g. `["h", "c"]`). */
  readonly stateNames: readonly string[];
  /** `{ Wx, Wh, b, ...cell's own }`. */
  readonly params: Params;
  /** Gradients, same names and shapes. */
  readonly grads: Params;
  #splitHidden: boolean;
  #run: C | null = null; // the last forward, for backward
  #stepRun: C | null = null; // step()'s scratch, T = 1

  /**
   * Creates the shared parameters with Gaussian weights and zero biases.
   *
   * @param rng Source of the initial weights (`Wx` drawn first, then `Wh`).
   * @param options Sizes, the cell's gate count, state names and extra parameters.
   */
  constructor(
    rng: Rng,
    options: RecurrentLayerOptions & {
      gates: number;
      stateNames: readonly string[];
      extra?: Params;
      splitHidden?: boolean;
    },
  ) {
    const { inputSize: I, hiddenSize: H, gates: G } = options;
    for (const [name, v] of [["inputSize", I], ["hiddenSize", H]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Invalid ${name} ${v}: expected a positive integer`);
      }
    }
    const scale = options.initScale ?? 1 / Math.sqrt(H);
    this.inputSize = I;
    this.hiddenSize = H;
    this.gates = G;
    this.stateNames = options.stateNames;
    this.#splitHidden = options.splitHidden ?? false;
    this.params = {
      Wx: gaussian([G * H, I], { scale, rng }), // input to gates
      Wh: gaussian([G * H, H], { scale, rng }), // hidden to gates
      b: zeros([G * H]), // gate biases
      ...options.extra,
    };
    this.grads = zerosLike(this.params);
  }

  /**
   * Runs T steps from `state` and keeps what `backward` needs.
   *
   * @param input `(T, B)` indices or `(T, B, I)` vectors; kept by reference until backward.
   * @param state One `(B, H)` array per state name, read as the initial state, overwritten
   *   with the state after step T.
   * @returns The outputs `h_1 .. h_T`, `(T, B, H)` (a view of the cache).
   */
  forward(input: LayerInput, state: Float64Array[]): Float64Array {
    const H = this.hiddenSize;
    const B = state[0]!.length / H;
    const T = input instanceof Int32Array ? input.length / B : input.length / (B * this.inputSize);
    const c = this.#run = this.#cacheFor(this.#run, T, B);
    this.#runSteps(c, input, state);
    return c.seqs[0]!.subarray(B * H, (T + 1) * B * H);
  }

  /**
   * Backpropagation through time of the last forward.
   *
   * @param dOut `(T, B, H)` gradient of the loss w.r.t. the outputs (from above, not through time).
   * @param options `dInput`: `(T, B, I)` written with the gradient w.r.t. a dense input;
   *   `dState`: per state name, `(B, H)` accumulators for the initial state's gradient.
   */
  backward(
    dOut: Float64Array,
    options: { dInput?: Float64Array; dState?: (Float64Array | undefined)[] } = {},
  ): void {
    const c = this.#run;
    if (!c) throw new Error("Cannot run backward: call forward first");
    const BH = c.B * this.hiddenSize;
    for (const d of c.dStates) d.fill(0);
    const dh = c.dStates[0]!; // (B, H) gradient into h_t
    for (let t = c.T - 1; t >= 0; t--) {
      for (let n = 0; n < BH; n++) dh[n] = dh[n]! + dOut[t * BH + n]!; // + the loss above h_t
      this.cellBackward(c, t);
      this.#projectBackward(c, t, options.dInput);
    }
    options.dState?.forEach((acc, k) => {
      const d = c.dStates[k]!;
      if (acc) { for (let n = 0; n < BH; n++) acc[n] = acc[n]! + d[n]!; }
    });
  }

  /**
   * One step for B streams, without touching the cache of the last forward.
   *
   * @param input `(B)` indices or `(B, I)` vectors.
   * @param state One `(B, H)` array per state name, advanced in place.
   * @returns The new `h`, which is `state[0]`.
   */
  step(input: LayerInput, state: Float64Array[]): Float64Array {
    const B = state[0]!.length / this.hiddenSize;
    const c = this.#stepRun = this.#cacheFor(this.#stepRun, 1, B);
    this.#runSteps(c, input, state);
    return state[0]!;
  }

  /**
   * Allocates the cell's cache: {@linkcode RecurrentLayer.baseCache} plus its own buffers.
   *
   * @param T Sequence length.
   * @param B Batch size.
   * @returns A fresh cache.
   */
  protected abstract createCache(T: number, B: number): C;

  /**
   * Step t of the cell: from `c.ax`, `c.ah` and the states at t, writes the states at t+1.
   *
   * @param c The cache.
   * @param t Time step.
   */
  protected abstract cellForward(c: C, t: number): void;

  /**
   * Backward of step t. On entry `c.dStates[k]` is the gradient w.r.t. state k at t+1;
   * writes `c.dax` (and `c.dah` if split) and leaves in `c.dStates[k]` the gradient w.r.t.
   * state k at t except the `Wh^T dah` term, which the layer adds.
   *
   * @param c The cache.
   * @param t Time step.
   */
  protected abstract cellBackward(c: C, t: number): void;

  /**
   * The buffers every cell needs.
   *
   * @param T Sequence length.
   * @param B Batch size.
   * @returns A cache without cell-specific buffers.
   */
  protected baseCache(T: number, B: number): LayerCache {
    const H = this.hiddenSize, R = this.gates * H;
    const dax = new Float64Array(B * R);
    return {
      T,
      B,
      input: new Int32Array(0),
      seqs: this.stateNames.map(() => new Float64Array((T + 1) * B * H)),
      dStates: this.stateNames.map(() => new Float64Array(B * H)),
      ax: new Float64Array(B * R),
      ah: new Float64Array(B * R),
      dax,
      dah: this.#splitHidden ? new Float64Array(B * R) : dax,
    };
  }

  #cacheFor(old: C | null, T: number, B: number): C {
    if (!Number.isInteger(T) || !Number.isInteger(B) || T < 1 || B < 1) {
      throw new RangeError(`Invalid layer input: cannot split it into (T, B) with B = ${B}`);
    }
    return old && old.T === T && old.B === B ? old : this.createCache(T, B);
  }

  #runSteps(c: C, input: LayerInput, state: Float64Array[]): void {
    const BH = c.B * this.hiddenSize;
    c.input = input;
    c.seqs.forEach((seq, k) => seq.set(state[k]!, 0));
    for (let t = 0; t < c.T; t++) {
      this.#project(c, t);
      this.cellForward(c, t);
    }
    c.seqs.forEach((seq, k) => state[k]!.set(seq.subarray(c.T * BH, (c.T + 1) * BH)));
  }

  // ax = Wx x_t + b, ah = Wh h_{t-1}, both (B, R)
  #project(c: C, t: number): void {
    const { B, input, ax, ah } = c;
    const H = this.hiddenSize, I = this.inputSize, R = this.gates * H;
    const Wx = this.params.Wx!.data, Wh = this.params.Wh!.data, bias = this.params.b!.data;
    const hs = c.seqs[0]!, hOff = t * B * H; // h_{t-1}
    if (input instanceof Int32Array) {
      for (let b = 0; b < B; b++) {
        const x = input[t * B + b]!;
        for (let r = 0; r < R; r++) ax[b * R + r] = bias[r]! + Wx[r * I + x]!; // a column of Wx
      }
    } else {
      const xOff = t * B * I;
      for (let r = 0; r < R; r++) {
        for (let b = 0; b < B; b++) {
          let s = bias[r]!;
          for (let j = 0; j < I; j++) s += Wx[r * I + j]! * input[xOff + b * I + j]!;
          ax[b * R + r] = s;
        }
      }
    }
    for (let r = 0; r < R; r++) {
      for (let b = 0; b < B; b++) {
        let s = 0;
        for (let j = 0; j < H; j++) s += Wh[r * H + j]! * hs[hOff + b * H + j]!;
        ah[b * R + r] = s;
      }
    }
  }

  #projectBackward(c: C, t: number, dInput: Float64Array | undefined): void {
    const { B, input, dax, dah } = c;
    const H = this.hiddenSize, I = this.inputSize, R = this.gates * H;
    const Wx = this.params.Wx!.data, Wh = this.params.Wh!.data;
    const dWx = this.grads.Wx!.data, dWh = this.grads.Wh!.data, db = this.grads.b!.data;
    const hs = c.seqs[0]!, hOff = t * B * H; // h_{t-1}
    const dh = c.dStates[0]!; // (B, H) becomes the gradient into h_{t-1}
    for (let b = 0; b < B; b++) {
      for (let r = 0; r < R; r++) db[r] = db[r]! + dax[b * R + r]!; // db += dax
    }
    if (input instanceof Int32Array) {
      for (let b = 0; b < B; b++) {
        const x = input[t * B + b]!;
        for (let r = 0; r < R; r++) dWx[r * I + x] = dWx[r * I + x]! + dax[b * R + r]!; // one-hot
      }
    } else {
      const xOff = t * B * I;
      if (dInput) dInput.fill(0, xOff, xOff + B * I);
      for (let r = 0; r < R; r++) {
        for (let b = 0; b < B; b++) {
          const d = dax[b * R + r]!;
          if (d === 0) continue;
          for (let j = 0; j < I; j++) {
            dWx[r * I + j] = dWx[r * I + j]! + d * input[xOff + b * I + j]!; // dWx += dax x_t^T
          }
          if (!dInput) continue;
          for (let j = 0; j < I; j++) {
            dInput[xOff + b * I + j] = dInput[xOff + b * I + j]! + Wx[r * I + j]! * d; // Wx^T dax
          }
        }
      }
    }
    for (let r = 0; r < R; r++) {
      const w = r * H; // row r of Wh
      for (let b = 0; b < B; b++) {
        const d = dah[b * R + r]!;
        if (d === 0) continue;
        const h = hOff + b * H, g = b * H;
        for (let j = 0; j < H; j++) dWh[w + j] = dWh[w + j]! + d * hs[h + j]!; // dWh += dah h^T
        for (let j = 0; j < H; j++) dh[g + j] = dh[g + j]! + Wh[w + j]! * d; // dh += Wh^T dah
      }
    }
  }
}

/**
 * The logistic sigmoid `1 / (1 + e^-x)`, stable for large |x|.
 *
 * @param x Input.
 * @returns A value in `[0, 1]`.
 * @example
 * ```ts
 * import { assertClose } from "../../tests/assert.ts";
 * assertClose(sigmoid(0), 0.5);
 * ```
 */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
