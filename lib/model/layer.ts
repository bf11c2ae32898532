/**
 * One recurrent layer (tanh RNN, LSTM or GRU) of {@linkcode StackedRnn}, written once against
 * the {@linkcode Backend} interface, computed the way a minibatched BLAS program does it. This
 * file holds what spans a chunk of T steps; each step is its {@linkcode Cell}'s
 * (`rnn_cell.ts`, `lstm_cell.ts`, `gru_cell.ts`, sharing `cell.ts`):
 *
 *   AX = X Wx^T + b         one product over all N positions (one-hot X: a gather of Wx)
 *   t = 1 .. T:  cell.forward: a_t = AX_t + h_{t-1} Wh^T (a (B,H) x (H,R) product), the
 *                gates, h_t (and c_t)
 *   t = T .. 1:  cell.backward: dA_t through the gates, dh_{t-1} += dA_t Wh (a (B,R) x (R,H)
 *                product)
 *   dWh, dWx, db and the input gradient: single products over all positions
 *
 * Regularisers that span the chunk are here: with a DropConnect mask M (training only) the
 * chunk runs on `Wh' = M * Wh`, and `dWh += M * dWh'`; with layer norm (Ba et al. 2016) the
 * input side is normalised per gate block of H (`backend/norm_ts.ts`) with gain `gx` and the
 * bias b, `AX = LN(X Wx^T; gx, b)` (the hidden side's norm, gain `gh`, is the cell step's);
 * zoneout (Krueger et al. 2016; `zoneout.ts`) hands each step its masks, or its rate z.
 * Buffers are allocated once per chunk shape from the model's backend (`chunk_buffers.ts`).
 *
 * Legend: B = batch size, T = sequence length, N = T*B positions (time-major: n = t*B + b),
 * H = hidden size, I = input size (V for the one-hot first layer), G = gate blocks, R = G*H.
 *
 * @module
 */
import type { Backend } from "../backend/types.ts";
import type { Rng } from "../core/rng.ts";
import {
  addInto,
  backendTensor,
  type FloatArray,
  type Params,
  type Tensor,
} from "../core/tensor.ts";
import type { Cell, CellWeights } from "./cell.ts";
import type { CellKind, ModelNorm } from "./model_config.ts";
import { type ChunkBuffers, createChunkBuffers } from "./chunk_buffers.ts";
import { GRU_CELL } from "./gru_cell.ts";
import { LSTM_CELL } from "./lstm_cell.ts";
import { RNN_CELL } from "./rnn_cell.ts";

/** Gate blocks G per cell: rnn 1, lstm 4 (i, f, o, g), gru 3 (r, z, n). */
export const CELL_GATES: Readonly<Record<CellKind, number>> = { rnn: 1, lstm: 4, gru: 3 };

/** Each cell's step, forward and backward. */
const CELL_STEPS: Readonly<Record<CellKind, Cell>> = {
  rnn: RNN_CELL,
  lstm: LSTM_CELL,
  gru: GRU_CELL,
};

const EMPTY = new Float64Array(0);

/** Options of {@linkcode RecurrentLayer}. */
export interface RecurrentLayerOptions {
  /** The cell. */
  cell: CellKind;
  /** Input size I: V for the first layer (one-hot indices), H above it. */
  inputSize: number;
  /** Hidden size H. */
  hiddenSize: number;
  /** Standard deviation of the Gaussian initial weights; default `1 / sqrt(H)`. */
  initScale?: number;
  /**
   * `"layer"`: layer-normalise both sides of the gate pre-activations (see the module doc);
   * default `"none"`.
   */
  norm?: ModelNorm;
  /** Zoneout rate z in `[0, 1)` of every state tensor (see the module doc); default 0. */
  zoneout?: number;
}

/** What one training chunk of {@linkcode RecurrentLayer.forward} runs with besides its input. */
export interface LayerMasks {
  /** `(R, H)` DropConnect mask of `Wh`. */
  recurrent?: FloatArray;
  /** Per state name, `(N, H)` zoneout masks (without them, zoneout uses its rate z). */
  zoneout?: FloatArray[];
}

/** A recurrent layer on backend buffers; see the module doc. */
export class RecurrentLayer {
  /** The cell. */
  readonly cell: CellKind;
  /** Input size I. */
  readonly inputSize: number;
  /** Hidden size H. */
  readonly hiddenSize: number;
  /** State tensor names, h first: `["h"]`, or `["h", "c"]` for an LSTM. */
  readonly stateNames: readonly string[];
  /** `"layer"` when the gate pre-activations are layer-normalised, else `"none"`. */
  readonly norm: ModelNorm;
  /** Zoneout rate z of the state tensors (0: none). */
  readonly zoneout: number;
  /**
   * `{ Wx (R, I), Wh (R, H), b (R) }`, plus `bhn (H)` for a GRU, and `gx (R)`, `gh (R)` with
   * layer norm.
   */
  readonly params: Params;
  /** Gradients, same names and shapes; `backward` adds into them. */
  readonly grads: Params;
  #backend: Backend;
  #chunk: ChunkBuffers | null = null; // the last forward, for backward
  #stepChunk: ChunkBuffers | null = null; // step()'s buffers, T = 1
  #WxT: FloatArray | null = null; // (V, R) Wx transposed, for one-hot chunks longer than V
  #dWxT: FloatArray | null = null; // (V, R) its gradient
  #WhDropped: FloatArray | null = null; // (R, H) M * Wh
  #dWhDropped: FloatArray | null = null; // (R, H) its gradient
  #zeros: FloatArray | null = null; // (R) the input side's bias before layer norm adds b

  /**
   * Creates the parameters: Gaussian `Wx` then `Wh` drawn from `rng`, zero biases (an
   * LSTM's forget-gate bias 1), layer-norm gains 1, in the backend's float type.
   *
   * @param backend The model's backend.
   * @param rng Source of the initial weights; `null` leaves them zero (to be loaded).
   * @param options Cell, sizes, init scale, norm and zoneout.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { createBackend } from "../backend/create.ts";
   * import { Rng } from "../core/rng.ts";
   * const backend = createBackend({ kind: "f64" });
   * const layer = new RecurrentLayer(backend, new Rng(1), { cell: "gru", inputSize: 5, hiddenSize: 3 });
   * assert.deepEqual([layer.params.Wx!.shape, layer.params.bhn!.shape], [[9, 5], [3]]);
   * const h = new Float64Array(3); // (B = 1, H)
   * layer.step(backend.allocInt32(1), [h]);
   * ```
   */
  constructor(backend: Backend, rng: Rng | null, options: RecurrentLayerOptions) {
    const { cell, inputSize: I, hiddenSize: H } = options;
    for (const [name, v] of [["inputSize", I], ["hiddenSize", H]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Invalid ${name} ${v}: expected a positive integer`);
      }
    }
    const R = CELL_GATES[cell] * H, scale = options.initScale ?? 1 / Math.sqrt(H);
    this.#backend = backend;
    this.cell = cell;
    this.inputSize = I;
    this.hiddenSize = H;
    this.stateNames = cell === "lstm" ? ["h", "c"] : ["h"];
    this.norm = options.norm ?? "none";
    this.zoneout = options.zoneout ?? 0;
    const tensor = (shape: number[]) => backendTensor(backend, shape);
    const gaussian = (shape: number[]) =>
      backendTensor(backend, shape, rng ? { scale, rng } : undefined);
    this.params = { Wx: gaussian([R, I]), Wh: gaussian([R, H]), b: tensor([R]) };
    if (cell === "lstm") this.params.b!.data.fill(1, H, 2 * H); // forget-gate bias 1
    if (cell === "gru") this.params.bhn = tensor([H]); // hidden-side bias of n
    if (this.norm === "layer") {
      for (const name of ["gx", "gh"]) (this.params[name] = tensor([R])).data.fill(1);
    }
    this.grads = {};
    for (const [name, p] of Object.entries(this.params)) this.grads[name] = tensor([...p.shape]);
  }

  /**
   * Runs T steps from `state`, keeping what `backward` needs.
   *
   * @param input `(N)` indices (first layer) or `(N, I)` vectors, from the backend; kept by
   *   reference until backward.
   * @param state One `(B, H)` array per state name, read as the initial state and overwritten
   *   with the state after step T.
   * @param masks This chunk's DropConnect and zoneout masks (training); none by default.
   * @returns `h_1 .. h_T`, `(N, H)`: a view of the layer's buffers.
   */
  forward(
    input: Int32Array | FloatArray,
    state: FloatArray[],
    masks: LayerMasks = {},
  ): FloatArray {
    const c = this.#chunk = this.#buffersFor(this.#chunk, input, state);
    const Wh = data(this.params.Wh), M = masks.recurrent;
    c.WhMask = M ?? null;
    c.weights.Wh = Wh;
    if (M) { // Wh' = M * Wh
      c.weights.Wh = this.#WhDropped ??= this.#backend.alloc(Wh.length);
      this.#backend.multiply(c.weights.Wh, Wh, M);
    }
    this.#runSteps(c, input, state, masks.zoneout);
    return c.hs.subarray(c.B * this.hiddenSize);
  }

  /**
   * The `(N, H)` buffer for dL/d(outputs) of the last forward: the caller fills it before
   * {@linkcode RecurrentLayer.backward}, which then uses it as scratch.
   *
   * @returns The buffer.
   */
  gradOutput(): FloatArray {
    if (!this.#chunk) throw new Error("Cannot run backward: call forward first");
    return this.#chunk.dOut;
  }

  /**
   * Backpropagation through time of the last forward, from {@linkcode RecurrentLayer.gradOutput}.
   *
   * @param options `dInput`: `(N, I)` written with the gradient w.r.t. a dense input;
   *   `dState`: per state name, `(B, H)` accumulators for the initial state's gradient.
   */
  backward(options: { dInput?: FloatArray; dState?: FloatArray[] } = {}): void {
    const c = this.#chunk;
    if (!c) throw new Error("Cannot run backward: call forward first");
    const { dInput, dState } = options, cellStep = CELL_STEPS[this.cell], w = c.weights;
    this.#setWeights(w);
    const dh0 = c.dStates[0]!;
    w.unread = dState ? null : dh0.h; // h_0's gradient only when asked for
    dh0.h.fill(0);
    dh0.c.fill(0); // LSTM: dL/dc, carried back in place, is 0 at c_T (the loss does not read it)
    for (let t = c.T - 1; t >= 0; t--) { // dStates[t + 1] is complete: step t + 1 added its part
      const dNext = c.dStates[t + 1]!, dPrev = c.dStates[t]!;
      cellStep.backward(dPrev, c.dGatesAt[t]!, dNext, c.caches[t]!, c.states[t]!, w);
    }
    this.#recurrentWeightGrad(c);
    this.#inputSideBackward(c, dInput);
    if (dState) {
      addInto(dState[0]!, dh0.h);
      if (this.cell === "lstm") addInto(dState[1]!, dh0.c);
    }
  }

  /**
   * One step for B streams, without touching the buffers of the last forward.
   *
   * @param input `(B)` indices or `(B, I)` vectors, from the backend.
   * @param state One `(B, H)` array per state name, advanced in place.
   * @returns The new `h`, `(B, H)`: a view of the layer's step buffers.
   */
  step(input: Int32Array | FloatArray, state: FloatArray[]): FloatArray {
    const c = this.#stepChunk = this.#buffersFor(this.#stepChunk, input, state);
    c.weights.Wh = data(this.params.Wh);
    this.#runSteps(c, input, state);
    return c.states[1]!.h;
  }

  // The chunk forward: the input side for all positions, then the cell step by step.
  #runSteps(
    c: ChunkBuffers,
    input: Int32Array | FloatArray,
    state: FloatArray[],
    zoneoutMasks?: FloatArray[],
  ): void {
    const cellStep = CELL_STEPS[this.cell], w = c.weights, T = c.T;
    this.#setWeights(w);
    this.#setZoneout(c, zoneoutMasks);
    c.input = input;
    this.#inputSide(c, input); // AX = X Wx^T + b, or LN(X Wx^T; gx, b)
    c.states[0]!.h.set(state[0]!);
    if (this.cell === "lstm") c.states[0]!.c.set(state[1]!);
    for (let t = 0; t < T; t++) cellStep.forward(c.states[t + 1]!, c.caches[t]!, c.states[t]!, w);
    state[0]!.set(c.states[T]!.h);
    if (this.cell === "lstm") state[1]!.set(c.states[T]!.c);
  }

  // AX = X Wx^T + b (one-hot X: the columns of Wx); with layer norm LN(X Wx^T; gx, b).
  #inputSide(c: ChunkBuffers, input: Int32Array | FloatArray): void {
    const backend = this.#backend, R = CELL_GATES[this.cell] * this.hiddenSize;
    const Wx = data(this.params.Wx), bias = data(this.params.b), N = c.T * c.B;
    const inBias = this.norm === "layer" ? this.#zeros ??= backend.alloc(R) : bias; // LN adds b after
    if (input instanceof Int32Array) { // one-hot: AX = Wx[:, x] + b
      if (N <= this.inputSize) backend.gatherColumns(c.gates, Wx, input, inBias); // strided reads
      else {
        const WxT = this.#WxT ??= backend.alloc(Wx.length);
        backend.transpose(WxT, Wx, R, false); // (V, R): contiguous rows for N > V positions
        backend.gatherRows(c.gates, WxT, input, inBias);
      }
    } else {
      for (let n = 0; n < N; n++) c.gates.set(inBias, n * R);
      c.inProj(input, Wx, c.gates); // AX = b + X Wx^T
    }
    if (this.norm !== "layer") return;
    backend.layerNorm(c.gates, data(this.params.gx), bias, c.gates, c.xhatX, c.rstdX, false);
  }

  // dWh += dAh^T H_prev over the chunk; with DropConnect dWh += M * dWh'.
  #recurrentWeightGrad(c: ChunkBuffers): void {
    const hsPrev = c.hs.subarray(0, c.T * c.B * this.hiddenSize), dWh = data(this.grads.Wh);
    if (!c.WhMask) return c.recurGradW(c.dAh, hsPrev, dWh);
    const dWhDropped = this.#dWhDropped ??= this.#backend.alloc(dWh.length);
    dWhDropped.fill(0);
    c.recurGradW(c.dAh, hsPrev, dWhDropped); // dWh' = dAh^T H_prev
    this.#backend.multiply(dWhDropped, dWhDropped, c.WhMask);
    addInto(dWh, dWhDropped);
  }

  // db, dWx (and dgx) from the input side's gradient, and dX for a dense input.
  #inputSideBackward(c: ChunkBuffers, dInput?: FloatArray): void {
    const backend = this.#backend, dWx = data(this.grads.Wx), db = data(this.grads.b);
    if (this.norm === "layer") { // through the input side's norm, whose bias is b
      const gx = data(this.params.gx), dgx = data(this.grads.gx);
      backend.layerNormBackward(c.dGates, c.xhatX, c.rstdX, gx, dgx, db, c.dGates);
    } else backend.addRowSums(db, c.dGates); // db += sum of dA
    if (!(c.input instanceof Int32Array)) {
      c.inGradW(c.dGates, c.input, dWx); // dWx += dA^T X
      if (dInput) c.inGradX(c.dGates, data(this.params.Wx), dInput); // dX = dA Wx
    } else if (c.T * c.B <= this.inputSize) {
      backend.scatterAddColumns(dWx, c.dGates, c.input); // dWx[:, x] += dA
    } else { // row-wise in (V, R), then added transposed
      const dWxT = this.#dWxT ??= backend.alloc(dWx.length);
      dWxT.fill(0);
      backend.scatterAddRows(dWxT, c.dGates, c.input);
      backend.transpose(dWx, dWxT, this.inputSize, true);
    }
  }

  // The parameters every step reads (Wh is set by the pass).
  #setWeights(w: CellWeights): void {
    const { params, grads } = this;
    w.bhn = params.bhn?.data ?? EMPTY;
    w.dbhn = grads.bhn?.data ?? EMPTY;
    w.gh = params.gh?.data ?? null;
    w.dgh = grads.gh?.data ?? null;
  }

  // Per step, the zoneout masks of a training chunk, or the rate z.
  #setZoneout(c: ChunkBuffers, masks?: FloatArray[]): void {
    if (this.zoneout === 0) return;
    const BH = c.B * this.hiddenSize, z = this.zoneout, lstm = this.cell === "lstm";
    const at = (m: FloatArray | undefined, t: number) => m?.subarray(t * BH, (t + 1) * BH) ?? z;
    c.caches.forEach((cache, t) => {
      cache.zh = at(masks?.[0], t);
      cache.zc = lstm ? at(masks?.[1], t) : undefined;
    });
  }

  #buffersFor(
    old: ChunkBuffers | null,
    input: Int32Array | FloatArray,
    state: FloatArray[],
  ): ChunkBuffers {
    const H = this.hiddenSize, I = this.inputSize;
    const B = state[0]!.length / H;
    const N = input instanceof Int32Array ? input.length : input.length / I;
    const T = N / B;
    if (!Number.isInteger(B) || !Number.isInteger(T) || B < 1 || T < 1) {
      throw new RangeError(`Invalid layer input: cannot split it into (T, B) with B = ${B}`);
    }
    if (old && old.T === T && old.B === B) return old;
    if (old) { for (const a of old.owned) this.#backend.free(a); }
    return createChunkBuffers(this.#backend, {
      T,
      B,
      cell: this.cell,
      gates: CELL_GATES[this.cell],
      hiddenSize: H,
      inputSize: I,
      norm: this.norm,
      zoneout: this.zoneout > 0,
    });
  }
}

/** A tensor's data (the layer's tensors always exist; the record type allows undefined). */
function data(t: Tensor | undefined): FloatArray {
  return t!.data;
}
