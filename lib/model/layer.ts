/**
 * One recurrent layer (tanh RNN, LSTM or GRU) on the fast float32 engine: the layer of
 * {@linkcode FastStackedRnn}, with the parameters, equations and gate order of
 * {@linkcode RnnLayer}, {@linkcode LstmLayer} and {@linkcode GruLayer}, computed the way a
 * minibatched BLAS program does it:
 *
 *   AX = X Wx^T + b          one product over all N positions (one-hot X: a gather of Wx)
 *   a_t = AX_t + h_{t-1} Wh^T   one (B,H) x (H,R) product per step, then the cell's gates
 *
 * Backward runs the cells step by step (`dh_{t-1} += dA_t Wh`, a (B,R) x (R,H) product), then
 * gets `dWh`, `dWx`, `db` and the input gradient as single products over all positions.
 * Buffers are allocated once per chunk shape from the model's workspace.
 *
 * Legend: B = batch size, T = sequence length, N = T*B positions (time-major: n = t*B + b),
 * H = hidden size, I = input size (V for the one-hot first layer), G = gate blocks, R = G*H.
 *
 * @module
 */
import type { GemmKernel, Workspace } from "../backend/create.ts";
import type { ModelKind } from "./char_model.ts";
import type { Rng } from "../core/rng.ts";
import type { Params, Tensor } from "../core/tensor.ts";

/** Gate blocks G per cell kind: rnn 1, lstm 4 (i, f, o, g), gru 3 (r, z, n). */
export const CELL_GATES: Readonly<Record<ModelKind, number>> = { rnn: 1, lstm: 4, gru: 3 };

/** A state tensor's data as the model receives it (float64 from `initialState`, or float32). */
export type StateArray = Float32Array | Float64Array;

/** Buffers and planned products of one chunk shape `(T, B)`. */
interface Run {
  T: number;
  B: number;
  input: Int32Array | Float32Array; // (N) indices or (N, I) vectors, kept for backward
  hs: Float32Array; // (T+1, B, H) h; hs[0] the initial state
  hsAt: Float32Array[];
  csAt: Float32Array[]; // LSTM: (T+1) views (B, H) of c
  gates: Float32Array; // (N, R) pre-activations, then activations (rnn: h_1..h_T)
  gatesAt: Float32Array[];
  tanhCAt: Float32Array[]; // LSTM: (T) views of tanh(c_t)
  hnAt: Float32Array[]; // GRU: (T) views of Wh_n h_{t-1} + bhn
  ah: Float32Array; // GRU: (B, R) hidden side of one step
  dOut: Float32Array; // (N, H) dL/dh_t from above, then accumulated through time
  dOutAt: Float32Array[];
  dGates: Float32Array; // (N, R) gradient of the input-side pre-activations (rnn: dOut)
  dGatesAt: Float32Array[];
  dAh: Float32Array; // (N, R) gradient of the hidden-side products (= dGates except GRU)
  dAhAt: Float32Array[];
  dc: Float32Array; // LSTM: (B, H) dL/dc carried back through time
  dh0: Float32Array; // (B, H) gradient w.r.t. the initial h
  owned: (Float32Array | Int32Array)[]; // what to free on a shape change
  recur: GemmKernel; // a_t (+)= h_{t-1} Wh^T            (B,H) x (R,H)^T
  recurBack: GemmKernel; // dh_{t-1} += dA_t Wh          (B,R) x (R,H)
  recurGradW: GemmKernel; // dWh += dAh^T H_prev         (N,R)^T x (N,H)
  inProj: GemmKernel; // AX += X Wx^T                    (N,I) x (R,I)^T
  inGradW: GemmKernel; // dWx += dGates^T X              (N,R)^T x (N,I)
  inGradX: GemmKernel; // dX = dGates Wx                 (N,R) x (R,I)
}

/** Options of {@linkcode FastLayer}. */
export interface FastLayerOptions {
  /** The cell. */
  kind: ModelKind;
  /** Input size I: V for the first layer (one-hot indices), H above it. */
  inputSize: number;
  /** Hidden size H. */
  hiddenSize: number;
  /** Standard deviation of the Gaussian initial weights; default `1 / sqrt(H)`. */
  initScale?: number;
}

/** A recurrent layer on float32 workspace buffers; see the module doc. */
export class FastLayer {
  /** The cell. */
  readonly kind: ModelKind;
  /** Input size I. */
  readonly inputSize: number;
  /** Hidden size H. */
  readonly hiddenSize: number;
  /** State tensor names, h first: `["h"]`, or `["h", "c"]` for an LSTM. */
  readonly stateNames: readonly string[];
  /** `{ Wx (R, I), Wh (R, H), b (R) }` plus `bhn (H)` for a GRU. */
  readonly params: Params;
  /** Gradients, same names and shapes; `backward` adds into them. */
  readonly grads: Params;
  #ws: Workspace;
  #run: Run | null = null; // the last forward, for backward
  #stepRun: Run | null = null; // step()'s buffers, T = 1
  #WxT: Float32Array | null = null; // (V, R) Wx transposed, for one-hot chunks longer than V
  #dWxT: Float32Array | null = null; // (V, R) its gradient

  /**
   * Creates the parameters with the initial values of the float64 layers for the same `rng`
   * (Gaussian `Wx` then `Wh`, zero biases; an LSTM's forget-gate bias 1), rounded to float32.
   *
   * @param ws The model's workspace.
   * @param rng Source of the initial weights.
   * @param options Cell kind, sizes and init scale.
   * @example
   * ```ts
   * import { assertEquals } from "../../tests/assert.ts";
   * import { createEngine } from "../backend/create.ts";
   * import { Rng } from "../core/rng.ts";
   * const ws = createEngine({ kind: "ts" }).createWorkspace();
   * const layer = new FastLayer(ws, new Rng(1), { kind: "gru", inputSize: 5, hiddenSize: 3 });
   * assertEquals([layer.params.Wx!.shape, layer.params.bhn!.shape], [[9, 5], [3]]);
   * const h = new Float64Array(3); // (B = 1, H)
   * layer.step(ws.allocInt32(1), [h]);
   * ```
   */
  constructor(ws: Workspace, rng: Rng, options: FastLayerOptions) {
    const { kind, inputSize: I, hiddenSize: H } = options;
    for (const [name, v] of [["inputSize", I], ["hiddenSize", H]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Invalid ${name} ${v}: expected a positive integer`);
      }
    }
    const R = CELL_GATES[kind] * H, scale = options.initScale ?? 1 / Math.sqrt(H);
    this.#ws = ws;
    this.kind = kind;
    this.inputSize = I;
    this.hiddenSize = H;
    this.stateNames = kind === "lstm" ? ["h", "c"] : ["h"];
    const tensor = (shape: number[]) => workspaceTensor(ws, shape);
    const gaussian = (shape: number[]) => workspaceTensor(ws, shape, { scale, rng });
    this.params = { Wx: gaussian([R, I]), Wh: gaussian([R, H]), b: tensor([R]) };
    if (kind === "lstm") this.params.b!.data.fill(1, H, 2 * H); // forget-gate bias 1
    if (kind === "gru") this.params.bhn = tensor([H]); // hidden-side bias of n
    this.grads = {};
    for (const [name, p] of Object.entries(this.params)) this.grads[name] = tensor([...p.shape]);
  }

  /**
   * Runs T steps from `state`, keeping what `backward` needs.
   *
   * @param input `(N)` indices (first layer) or `(N, I)` vectors, from the workspace; kept by
   *   reference until backward.
   * @param state One `(B, H)` array per state name, read as the initial state and overwritten
   *   with the state after step T.
   * @returns `h_1 .. h_T`, `(N, H)`: a view of the layer's buffers.
   */
  forward(input: Int32Array | Float32Array, state: StateArray[]): Float32Array {
    const r = this.#run = this.#runFor(this.#run, input, state);
    this.#runSteps(r, input, state);
    return r.hs.subarray(r.B * this.hiddenSize);
  }

  /**
   * The `(N, H)` buffer for dL/d(outputs) of the last forward: the caller fills it before
   * {@linkcode FastLayer.backward}, which then uses it as scratch.
   *
   * @returns The buffer.
   */
  gradOutput(): Float32Array {
    if (!this.#run) throw new Error("Cannot run backward: call forward first");
    return this.#run.dOut;
  }

  /**
   * Backpropagation through time of the last forward, from {@linkcode FastLayer.gradOutput}.
   *
   * @param options `dInput`: `(N, I)` written with the gradient w.r.t. a dense input;
   *   `dState`: per state name, `(B, H)` accumulators for the initial state's gradient.
   */
  backward(options: { dInput?: Float32Array; dState?: StateArray[] } = {}): void {
    const r = this.#run;
    if (!r) throw new Error("Cannot run backward: call forward first");
    const { T, B } = r, { dInput, dState } = options;
    const ws = this.#ws, H = this.hiddenSize, N = T * B;
    const f32 = (t: Tensor | undefined) => t!.data as Float32Array;
    const Wh = f32(this.params.Wh), dbhn = f32(this.grads.bhn ?? this.grads.b);
    if (this.kind === "lstm") r.dc.fill(0);
    r.dh0.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const dh = r.dOutAt[t]!; // dL/dh_t, complete: the step after added its part
      if (this.kind === "rnn") ws.tanhBackward(dh, r.hsAt[t + 1]!); // da = (1 - h^2) dh
      else if (this.kind === "lstm") {
        ws.lstmBackward(r.gatesAt[t]!, r.csAt[t]!, r.tanhCAt[t]!, dh, r.dc, r.dGatesAt[t]!, H);
      } else {
        const dPrev = t > 0 ? r.dOutAt[t - 1]! : r.dh0; // receives z dh
        ws.gruBackward(
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
      if (t > 0) r.recurBack(r.dAhAt[t]!, Wh, r.dOutAt[t - 1]!); // dh_{t-1} += dA_t Wh
      else if (dState) r.recurBack(r.dAhAt[0]!, Wh, r.dh0);
    }
    r.recurGradW(r.dAh, r.hs.subarray(0, N * H), f32(this.grads.Wh)); // dWh += dAh^T H_prev
    ws.addRowSums(f32(this.grads.b), r.dGates); // db += sum of dA
    const dWx = f32(this.grads.Wx);
    if (r.input instanceof Int32Array) {
      if (N <= this.inputSize) ws.scatterAddColumns(dWx, r.dGates, r.input); // dWx[:, x] += dA
      else { // row-wise in (V, R), then added transposed
        const dWxT = this.#dWxT ??= ws.alloc(dWx.length);
        dWxT.fill(0);
        ws.scatterAddRows(dWxT, r.dGates, r.input);
        ws.transpose(dWx, dWxT, this.inputSize, true);
      }
    } else {
      r.inGradW(r.dGates, r.input, dWx); // dWx += dA^T X
      if (dInput) r.inGradX(r.dGates, f32(this.params.Wx), dInput); // dX = dA Wx
    }
    if (dState) {
      addInto(dState[0]!, r.dh0);
      if (this.kind === "lstm") addInto(dState[1]!, r.dc);
    }
  }

  /**
   * One step for B streams, without touching the buffers of the last forward.
   *
   * @param input `(B)` indices or `(B, I)` vectors, from the workspace.
   * @param state One `(B, H)` array per state name, advanced in place.
   * @returns The new `h`, `(B, H)`: a view of the layer's step buffers.
   */
  step(input: Int32Array | Float32Array, state: StateArray[]): Float32Array {
    const r = this.#stepRun = this.#runFor(this.#stepRun, input, state);
    this.#runSteps(r, input, state);
    return r.hsAt[1]!;
  }

  #runSteps(r: Run, input: Int32Array | Float32Array, state: StateArray[]): void {
    const { T, B } = r, ws = this.#ws, H = this.hiddenSize, I = this.inputSize;
    const R = CELL_GATES[this.kind] * H, N = T * B;
    const p = this.params, f32 = (t: Tensor | undefined) => t!.data as Float32Array;
    const Wx = f32(p.Wx), Wh = f32(p.Wh), bias = f32(p.b);
    r.input = input;
    r.hs.set(state[0]!, 0);
    if (this.kind === "lstm") r.csAt[0]!.set(state[1]!);
    if (input instanceof Int32Array) { // one-hot: AX = Wx[:, x] + b
      if (N <= I) ws.gatherColumns(r.gates, Wx, input, bias); // strided reads
      else {
        const WxT = this.#WxT ??= ws.alloc(Wx.length);
        ws.transpose(WxT, Wx, R, false); // (V, R): contiguous rows for N > V positions
        ws.gatherRows(r.gates, WxT, input, bias);
      }
    } else {
      for (let n = 0; n < N; n++) r.gates.set(bias, n * R);
      r.inProj(input, Wx, r.gates); // AX = b + X Wx^T
    }
    for (let t = 0; t < T; t++) {
      const a = r.gatesAt[t]!, hPrev = r.hsAt[t]!, h = r.hsAt[t + 1]!;
      if (this.kind === "rnn") {
        r.recur(hPrev, Wh, a); // a_t = AX_t + h_{t-1} Wh^T; a is h_t's slot
        ws.tanh(a);
      } else if (this.kind === "lstm") {
        r.recur(hPrev, Wh, a);
        ws.lstmForward(a, r.csAt[t]!, r.csAt[t + 1]!, r.tanhCAt[t]!, h, H);
      } else {
        r.recur(hPrev, Wh, r.ah); // the hidden side stays apart: n needs r * (Wh_n h + bhn)
        ws.gruForward(a, r.ah, f32(p.bhn), hPrev, h, r.hnAt[t]!);
      }
    }
    state[0]!.set(r.hsAt[T]!);
    if (this.kind === "lstm") state[1]!.set(r.csAt[T]!);
  }

  #runFor(old: Run | null, input: Int32Array | Float32Array, state: StateArray[]): Run {
    const H = this.hiddenSize, I = this.inputSize;
    const B = state[0]!.length / H;
    const N = input instanceof Int32Array ? input.length : input.length / I;
    const T = N / B;
    if (!Number.isInteger(B) || !Number.isInteger(T) || B < 1 || T < 1) {
      throw new RangeError(`Invalid layer input: cannot split it into (T, B) with B = ${B}`);
    }
    if (old && old.T === T && old.B === B) return old;
    if (old) { for (const a of old.owned) this.#ws.free(a); }
    return this.#createRun(T, B);
  }

  #createRun(T: number, B: number): Run {
    const ws = this.#ws, H = this.hiddenSize, I = this.inputSize, kind = this.kind;
    const R = CELL_GATES[kind] * H, N = T * B, BH = B * H;
    const owned: Float32Array[] = [];
    const alloc = (n: number) => {
      const a = ws.alloc(n);
      owned.push(a);
      return a;
    };
    const views = (a: Float32Array, count: number, size: number) =>
      Array.from({ length: count }, (_, t) => a.subarray(t * size, (t + 1) * size));
    const none = new Float32Array(0);
    const hs = alloc((T + 1) * BH), dOut = alloc(N * H);
    const gates = kind === "rnn" ? hs.subarray(BH) : alloc(N * R);
    const dGates = kind === "rnn" ? dOut : alloc(N * R);
    const dAh = kind === "gru" ? alloc(N * R) : dGates;
    return {
      T,
      B,
      input: new Int32Array(0),
      hs,
      hsAt: views(hs, T + 1, BH),
      csAt: kind === "lstm" ? views(alloc((T + 1) * BH), T + 1, BH) : [],
      gates,
      gatesAt: views(gates, T, B * R),
      tanhCAt: kind === "lstm" ? views(alloc(N * H), T, BH) : [],
      hnAt: kind === "gru" ? views(alloc(N * H), T, BH) : [],
      ah: kind === "gru" ? alloc(B * R) : none,
      dOut,
      dOutAt: views(dOut, T, BH),
      dGates,
      dGatesAt: views(dGates, T, B * R),
      dAh,
      dAhAt: views(dAh, T, B * R),
      dc: kind === "lstm" ? alloc(BH) : none,
      dh0: alloc(BH),
      owned,
      recur: ws.gemm({ m: B, n: R, k: H, transB: true, beta: kind === "gru" ? 0 : 1 }),
      recurBack: ws.gemm({ m: B, n: H, k: R, beta: 1 }),
      recurGradW: ws.gemm({ m: R, n: H, k: N, transA: true, beta: 1 }),
      inProj: ws.gemm({ m: N, n: R, k: I, transB: true, beta: 1 }),
      inGradW: ws.gemm({ m: R, n: I, k: N, transA: true, beta: 1 }),
      inGradX: ws.gemm({ m: N, n: I, k: R }),
    };
  }
}

function addInto(acc: StateArray, d: Float32Array): void {
  for (let k = 0; k < acc.length; k++) acc[k] = acc[k]! + d[k]!;
}

/**
 * A tensor whose storage lives in an engine workspace: zeros, or Gaussian
 * values `N(0, scale^2)` drawn from `rng` in row-major order.
 *
 * @param ws The workspace that owns the storage.
 * @param shape Dimensions (one or two).
 * @param random Optional `scale` and `rng` for Gaussian values.
 * @returns The tensor.
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/assert.ts";
 * import { createEngine } from "../backend/create.ts";
 * const t = workspaceTensor(createEngine({ kind: "ts" }).createWorkspace(), [2, 3]);
 * assertEquals([t.shape, t.data.length], [[2, 3], 6]);
 * ```
 */
export function workspaceTensor(
  ws: Workspace,
  shape: number[],
  random?: { scale: number; rng: Rng },
): Tensor {
  const t: Tensor = { shape, data: ws.alloc(shape[0]! * (shape[1] ?? 1)) };
  if (random) {
    for (let k = 0; k < t.data.length; k++) t.data[k] = random.rng.normal() * random.scale;
  }
  return t;
}
