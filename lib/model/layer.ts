/**
 * One recurrent layer (tanh RNN, LSTM or GRU) of {@linkcode StackedRnn}, written once against
 * the {@linkcode Backend} interface, computed the way a minibatched BLAS program does it:
 *
 *   AX = X Wx^T + b          one product over all N positions (one-hot X: a gather of Wx)
 *   a_t = AX_t + h_{t-1} Wh^T   one (B,H) x (H,R) product per step, then the cell's gates:
 *     rnn   h_t = tanh(a_t)
 *     lstm  i, f, o, g = sigma, sigma, sigma, tanh of a_t;  c_t = f c_{t-1} + i g;
 *           h_t = o tanh(c_t)
 *     gru   r, z = sigma(AX_t + Wh h_{t-1});  n = tanh(AX_n + r (Wh_n h_{t-1} + bhn));
 *           h_t = (1 - z) n + z h_{t-1}
 *   (the gate math is the backend's: `backend/cells_ts.ts` and `backend/wasm/kernels.as`)
 *
 * Backward runs the cells step by step (`dh_{t-1} += dA_t Wh`, a (B,R) x (R,H) product), then
 * gets `dWh`, `dWx`, `db` and the input gradient as single products over all positions.
 * With a DropConnect mask M (training only) the chunk runs on `Wh' = M * Wh`, and
 * `dWh += M * dWh'`.
 *
 * With layer norm (`norm: "layer"`; Ba et al. 2016), each side of the pre-activations is
 * normalised per gate block of H (`backend/norm_ts.ts`), with gains `gx`, `gh` (R) and the input
 * side's bias b:
 *   AX = LN(X Wx^T; gx, b),  a_t = AX_t + LN(h_{t-1} Wh^T; gh)    (rnn, lstm)
 *   gru: the hidden side Wh h_{t-1} is LN(h_{t-1} Wh^T; gh) above (bhn is added after it)
 * With zoneout rate z (Krueger et al. 2016; `zoneout.ts`), each state tensor then keeps its
 * previous value per unit: `h_t = m_t h_{t-1} + (1 - m_t) h~_t` (and `c_t` alike), m_t a
 * Bernoulli(z) mask per position in training, z itself otherwise.
 * Buffers are allocated once per chunk shape from the model's backend.
 *
 * Legend: B = batch size, T = sequence length, N = T*B positions (time-major: n = t*B + b),
 * H = hidden size, I = input size (V for the one-hot first layer), G = gate blocks, R = G*H.
 *
 * @module
 */
import type { GemmKernel } from "../backend/gemm.ts";
import type { Backend } from "../backend/types.ts";
import type { Rng } from "../core/rng.ts";
import { backendTensor, type FloatArray, type Params, type Tensor } from "../core/tensor.ts";
import type { CellKind, ModelNorm } from "./model_config.ts";
import { zoneoutBackward, zoneoutMix } from "./zoneout.ts";

/** Gate blocks G per cell: rnn 1, lstm 4 (i, f, o, g), gru 3 (r, z, n). */
export const CELL_GATES: Readonly<Record<CellKind, number>> = { rnn: 1, lstm: 4, gru: 3 };

/** The zoneout views of a layer without zoneout (shared: step() runs once per character). */
const NO_ZONEOUT: readonly (FloatArray | number)[][] = Object.freeze([]);

/** Buffers and planned products of one chunk shape `(T, B)`. */
interface ChunkBuffers {
  T: number;
  B: number;
  input: Int32Array | FloatArray; // (N) indices or (N, I) vectors, kept for backward
  Wh: FloatArray; // (R, H) the recurrent weights the chunk ran on: Wh, or M * Wh
  WhMask: FloatArray | null; // (R, H) the DropConnect mask M, if any
  zoneAt: readonly (FloatArray | number)[][]; // zoneout: per state, (T) views (B, H) of m, or z
  hs: FloatArray; // (T+1, B, H) h; hs[0] the initial state
  hsAt: FloatArray[];
  csAt: FloatArray[]; // LSTM: (T+1) views (B, H) of c
  gates: FloatArray; // (N, R) pre-activations, then activations (rnn, no zoneout: h_1..h_T)
  gatesAt: FloatArray[];
  tanhCAt: FloatArray[]; // LSTM: (T) views of tanh(c_t)
  hnAt: FloatArray[]; // GRU: (T) views of Wh_n h_{t-1} + bhn
  ah: FloatArray; // GRU, layer norm: (B, R) hidden side Wh h_{t-1} of one step
  xhatX: FloatArray; // layer norm: (N, R) the normalised input side
  rstdX: FloatArray; // layer norm: (N G) its 1 / sqrt(var + eps) per gate block
  xhatHAt: FloatArray[]; // layer norm: (T) views (B, R) of the normalised hidden side
  rstdHAt: FloatArray[]; // layer norm: (T) views (B G) of its 1 / sqrt(var + eps)
  dOut: FloatArray; // (N, H) dL/dh_t from above, then accumulated through time
  dOutAt: FloatArray[];
  dGates: FloatArray; // (N, R) gradient of the input-side pre-activations (rnn: dOut)
  dGatesAt: FloatArray[];
  dAh: FloatArray; // (N, R) gradient of the hidden-side products (= dGates except GRU, norm)
  dAhAt: FloatArray[];
  dc: FloatArray; // LSTM: (B, H) dL/dc carried back through time
  dcPrev: FloatArray; // LSTM, zoneout: (B, H) the part of dL/dc_{t-1} that skips the cell
  dh0: FloatArray; // (B, H) gradient w.r.t. the initial h
  owned: (FloatArray | Int32Array)[]; // what to free on a shape change
  recur: GemmKernel; // a_t (+)= h_{t-1} Wh^T            (B,H) x (R,H)^T
  recurBack: GemmKernel; // dh_{t-1} += dA_t Wh          (B,R) x (R,H)
  recurGradW: GemmKernel; // dWh += dAh^T H_prev         (N,R)^T x (N,H)
  inProj: GemmKernel; // AX += X Wx^T                    (N,I) x (R,I)^T
  inGradW: GemmKernel; // dWx += dGates^T X              (N,R)^T x (N,I)
  inGradX: GemmKernel; // dX = dGates Wx                 (N,R) x (R,I)
}

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
    const r = this.#chunk = this.#buffersFor(this.#chunk, input, state);
    const Wh = data(this.params.Wh), recurrentMask = masks.recurrent;
    r.WhMask = recurrentMask ?? null;
    r.zoneAt = this.#zoneViews(r, masks.zoneout);
    r.Wh = Wh;
    if (recurrentMask) {
      r.Wh = this.#WhDropped ??= this.#backend.alloc(Wh.length);
      this.#backend.multiply(r.Wh, Wh, recurrentMask); // Wh' = M * Wh
    }
    this.#forwardSteps(r, input, state, r.Wh);
    return r.hs.subarray(r.B * this.hiddenSize);
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
    const r = this.#chunk;
    if (!r) throw new Error("Cannot run backward: call forward first");
    const { T, B } = r, { dInput, dState } = options;
    const backend = this.#backend, H = this.hiddenSize, N = T * B;
    const Wh = r.Wh, dbhn = data(this.grads.bhn ?? this.grads.b);
    const gh = this.params.gh?.data, dgh = this.grads.gh?.data; // with layer norm
    if (this.cell === "lstm") r.dc.fill(0);
    r.dh0.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const dh = r.dOutAt[t]!; // dL/dh_t, complete: the step after added its part
      const dPrev = t > 0 ? r.dOutAt[t - 1]! : r.dh0; // dL/dh_{t-1}, being accumulated
      const zh = r.zoneAt[0]?.[t], zc = r.zoneAt[1]?.[t]; // zoneout masks (or rates) of h, c
      if (zh !== undefined) zoneoutBackward(dh, dPrev, zh); // dh~ = (1 - m) dh
      if (this.cell === "rnn") backend.tanhBackward(dh, r.gatesAt[t]!); // da = (1 - h~^2) dh
      else if (this.cell === "lstm") {
        if (zc !== undefined) zoneoutBackward(r.dc, r.dcPrev.fill(0), zc); // dc~ = (1 - m) dc
        backend.lstmBackward(r.gatesAt[t]!, r.csAt[t]!, r.tanhCAt[t]!, dh, r.dc, r.dGatesAt[t]!, H);
        if (zc !== undefined) addInto(r.dc, r.dcPrev); // dc_{t-1} = f dc~_t + m dc_t
      } else { // gru: dPrev also receives z dh
        backend.gruBackward(
          r.gatesAt[t]!,
          r.hnAt[t]!,
          r.hsAt[t]!,
          dh,
          r.dGatesAt[t]!,
          r.dAhAt[t]!,
          dbhn,
          dPrev,
        );
      }
      if (gh && dgh) { // through the hidden side's norm: dAh_t = LN'(dA_t)
        const dA = this.cell === "gru" ? r.dAhAt[t]! : r.dGatesAt[t]!;
        backend.layerNormBackward(dA, r.xhatHAt[t]!, r.rstdHAt[t]!, gh, dgh, null, r.dAhAt[t]!);
      }
      if (t > 0) r.recurBack(r.dAhAt[t]!, Wh, r.dOutAt[t - 1]!); // dh_{t-1} += dA_t Wh
      else if (dState) r.recurBack(r.dAhAt[0]!, Wh, r.dh0);
    }
    const hsPrev = r.hs.subarray(0, N * H);
    if (r.WhMask) { // dWh += M * dWh', dWh' = dAh^T H_prev
      const dWhDropped = this.#dWhDropped ??= backend.alloc(Wh.length);
      dWhDropped.fill(0);
      r.recurGradW(r.dAh, hsPrev, dWhDropped);
      backend.multiply(dWhDropped, dWhDropped, r.WhMask);
      addInto(data(this.grads.Wh), dWhDropped);
    } else r.recurGradW(r.dAh, hsPrev, data(this.grads.Wh)); // dWh += dAh^T H_prev
    if (this.norm === "layer") { // through the input side's norm, whose bias is b
      const gx = data(this.params.gx);
      const { gx: dgx, b: db } = this.grads;
      backend.layerNormBackward(r.dGates, r.xhatX, r.rstdX, gx, data(dgx), data(db), r.dGates);
    } else backend.addRowSums(data(this.grads.b), r.dGates); // db += sum of dA
    const dWx = data(this.grads.Wx);
    if (r.input instanceof Int32Array) {
      if (N <= this.inputSize) backend.scatterAddColumns(dWx, r.dGates, r.input); // dWx[:, x] += dA
      else { // row-wise in (V, R), then added transposed
        const dWxT = this.#dWxT ??= backend.alloc(dWx.length);
        dWxT.fill(0);
        backend.scatterAddRows(dWxT, r.dGates, r.input);
        backend.transpose(dWx, dWxT, this.inputSize, true);
      }
    } else {
      r.inGradW(r.dGates, r.input, dWx); // dWx += dA^T X
      if (dInput) r.inGradX(r.dGates, data(this.params.Wx), dInput); // dX = dA Wx
    }
    if (dState) {
      addInto(dState[0]!, r.dh0);
      if (this.cell === "lstm") addInto(dState[1]!, r.dc);
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
    const r = this.#stepChunk = this.#buffersFor(this.#stepChunk, input, state);
    r.zoneAt = this.#zoneViews(r);
    this.#forwardSteps(r, input, state, data(this.params.Wh));
    return r.hsAt[1]!;
  }

  #forwardSteps(
    r: ChunkBuffers,
    input: Int32Array | FloatArray,
    state: FloatArray[],
    Wh: FloatArray,
  ): void {
    const { T, B } = r, backend = this.#backend, H = this.hiddenSize, I = this.inputSize;
    const R = CELL_GATES[this.cell] * H, N = T * B;
    const p = this.params;
    const Wx = data(p.Wx), bias = data(p.b), ln = this.norm === "layer";
    const inBias = ln ? this.#zeros ??= backend.alloc(R) : bias; // with layer norm, b comes after
    r.input = input;
    r.hs.set(state[0]!, 0);
    if (this.cell === "lstm") r.csAt[0]!.set(state[1]!);
    if (input instanceof Int32Array) { // one-hot: AX = Wx[:, x] + b
      if (N <= I) backend.gatherColumns(r.gates, Wx, input, inBias); // strided reads
      else {
        const WxT = this.#WxT ??= backend.alloc(Wx.length);
        backend.transpose(WxT, Wx, R, false); // (V, R): contiguous rows for N > V positions
        backend.gatherRows(r.gates, WxT, input, inBias);
      }
    } else {
      for (let n = 0; n < N; n++) r.gates.set(inBias, n * R);
      r.inProj(input, Wx, r.gates); // AX = b + X Wx^T
    }
    if (ln) backend.layerNorm(r.gates, data(p.gx), bias, r.gates, r.xhatX, r.rstdX, false);
    for (let t = 0; t < T; t++) {
      const a = r.gatesAt[t]!, hPrev = r.hsAt[t]!, h = r.hsAt[t + 1]!;
      if (this.cell === "gru") {
        r.recur(hPrev, Wh, r.ah); // the hidden side stays apart: n needs r * (Wh_n h + bhn)
        if (ln) {
          backend.layerNorm(r.ah, data(p.gh), null, r.ah, r.xhatHAt[t]!, r.rstdHAt[t]!, false);
        }
        backend.gruForward(a, r.ah, data(p.bhn), hPrev, h, r.hnAt[t]!);
      } else {
        if (ln) { // a_t = LN(AX_t) + LN(h_{t-1} Wh^T)
          r.recur(hPrev, Wh, r.ah);
          backend.layerNorm(r.ah, data(p.gh), null, a, r.xhatHAt[t]!, r.rstdHAt[t]!, true);
        } else r.recur(hPrev, Wh, a); // a_t = AX_t + h_{t-1} Wh^T
        if (this.cell === "rnn") backend.tanh(a); // a is h_t's slot, without zoneout
        else backend.lstmForward(a, r.csAt[t]!, r.csAt[t + 1]!, r.tanhCAt[t]!, h, H);
      }
      const zh = r.zoneAt[0]?.[t], zc = r.zoneAt[1]?.[t]; // zoneout masks (or rates) of h, c
      if (zh !== undefined) { // h_t = m h_{t-1} + (1 - m) h~_t, and c_t alike
        if (this.cell === "rnn") h.set(a);
        zoneoutMix(h, hPrev, zh);
      }
      if (zc !== undefined) zoneoutMix(r.csAt[t + 1]!, r.csAt[t]!, zc);
    }
    state[0]!.set(r.hsAt[T]!);
    if (this.cell === "lstm") state[1]!.set(r.csAt[T]!);
  }

  // Per state name, the T masks of a training chunk, or the rate z at every step.
  #zoneViews(r: ChunkBuffers, masks?: FloatArray[]): readonly (FloatArray | number)[][] {
    if (this.zoneout === 0) return NO_ZONEOUT;
    const BH = r.B * this.hiddenSize, z = this.zoneout;
    const at = (m: FloatArray | undefined, t: number) => m?.subarray(t * BH, (t + 1) * BH) ?? z;
    return this.stateNames.map((_, s) => Array.from({ length: r.T }, (_, t) => at(masks?.[s], t)));
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
    return this.#allocBuffers(T, B);
  }

  #allocBuffers(T: number, B: number): ChunkBuffers {
    const backend = this.#backend, H = this.hiddenSize, I = this.inputSize, cell = this.cell;
    const G = CELL_GATES[cell], R = G * H, N = T * B, BH = B * H, ln = this.norm === "layer";
    const zone = this.zoneout > 0;
    const owned: FloatArray[] = [];
    const alloc = (n: number) => {
      const a = backend.alloc(n);
      owned.push(a);
      return a;
    };
    const views = (a: FloatArray, count: number, size: number) =>
      Array.from({ length: count }, (_, t) => a.subarray(t * size, (t + 1) * size));
    const none = new Float64Array(0);
    const hs = alloc((T + 1) * BH), dOut = alloc(N * H);
    const gates = cell === "rnn" && !zone ? hs.subarray(BH) : alloc(N * R);
    const dGates = cell === "rnn" ? dOut : alloc(N * R);
    const dAh = cell === "gru" || ln ? alloc(N * R) : dGates;
    return {
      T,
      B,
      input: new Int32Array(0),
      Wh: none,
      WhMask: null,
      zoneAt: [],
      hs,
      hsAt: views(hs, T + 1, BH),
      csAt: cell === "lstm" ? views(alloc((T + 1) * BH), T + 1, BH) : [],
      gates,
      gatesAt: views(gates, T, B * R),
      tanhCAt: cell === "lstm" ? views(alloc(N * H), T, BH) : [],
      hnAt: cell === "gru" ? views(alloc(N * H), T, BH) : [],
      ah: cell === "gru" || ln ? alloc(B * R) : none,
      xhatX: ln ? alloc(N * R) : none,
      rstdX: ln ? alloc(N * G) : none,
      xhatHAt: ln ? views(alloc(N * R), T, B * R) : [],
      rstdHAt: ln ? views(alloc(N * G), T, B * G) : [],
      dOut,
      dOutAt: views(dOut, T, BH),
      dGates,
      dGatesAt: views(dGates, T, B * R),
      dAh,
      dAhAt: views(dAh, T, B * R),
      dc: cell === "lstm" ? alloc(BH) : none,
      dcPrev: cell === "lstm" && zone ? alloc(BH) : none,
      dh0: alloc(BH),
      owned,
      recur: backend.gemm({ m: B, n: R, k: H, transB: true, beta: cell === "gru" || ln ? 0 : 1 }),
      recurBack: backend.gemm({ m: B, n: H, k: R, beta: 1 }),
      recurGradW: backend.gemm({ m: R, n: H, k: N, transA: true, beta: 1 }),
      inProj: backend.gemm({ m: N, n: R, k: I, transB: true, beta: 1 }),
      inGradW: backend.gemm({ m: R, n: I, k: N, transA: true, beta: 1 }),
      inGradX: backend.gemm({ m: N, n: I, k: R }),
    };
  }
}

function addInto(acc: FloatArray, d: FloatArray): void {
  for (let k = 0; k < acc.length; k++) acc[k] = acc[k]! + d[k]!;
}

/** A tensor's data (the layer's tensors always exist; the record type allows undefined). */
function data(t: Tensor | undefined): FloatArray {
  return t!.data;
}
