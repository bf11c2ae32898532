/**
 * The seed's vanilla RNN in float32 on the fast engine: the same model, parameters and
 * gradients as {@linkcode VanillaRnn}, computed the way a minibatched BLAS program does it.
 *
 *   h_t = tanh(Wxh[:, x_t] + bh + Whh h_{t-1})    one matrix product per step (all B streams)
 *   Y   = H_all Why^T + by                        one product over all T*B positions
 *   p   = softmax(Y), loss = mean of -log p[target]
 *
 * Backward: `dY = (p - onehot) / (T*B)`; `dWhy`, `dH = dY Why` and `dWhh` are single products
 * over all positions; only `dh_{t-1} = Whh^T dr_t` runs step by step. Every buffer is
 * allocated once per chunk shape, from the engine's workspace, so training allocates nothing.
 *
 * Legend: V = vocabulary size, H = hidden size, B = batch size, T = sequence length,
 * N = T*B positions (time-major: position n = t*B + b).
 *
 * @module
 */
import { createEngine, type Engine, type GemmKernel, type Workspace } from "../backend/create.ts";
import { workspaceTensor } from "./layer.ts";
import type { CharModel, ForwardOptions, ModelConfig, State } from "./char_model.ts";
import type { Rng } from "../core/rng.ts";
import type { RnnOptions } from "./vanilla_rnn.ts";
import { type Params, type Tensor, zeros } from "../core/tensor.ts";

/** Buffers and planned products for one chunk shape `(T, B)`. */
interface Chunk {
  T: number;
  B: number;
  xs: Int32Array; // (N) inputs
  ys: Int32Array; // (N) targets
  hs: Float32Array; // (T+1, B, H) hidden states; hs[0] is the initial state
  hsAt: Float32Array[]; // (T+1) views (B, H) of hs
  logits: Float32Array; // (N, V) logits, then probabilities, then dY
  stats: Float32Array; // (N, 2) softmax sums and picked logits
  dhs: Float32Array; // (N, H) dL/dh_t, turned into dL/d(pre-activation) in place
  dhsAt: Float32Array[]; // (T) views (B, H) of dhs
  dh0: Float32Array; // (B, H) gradient w.r.t. the initial state
  recur: GemmKernel; // h_t += h_{t-1} Whh^T         (B,H) x (H,H)^T
  recurBack: GemmKernel; // dh_{t-1} += dr_t Whh       (B,H) x (H,H), beta 1
  recurBack0: GemmKernel; // dh0 = dr_0 Whh            beta 0
  output: GemmKernel; // Y = H_all Why^T               (N,H) x (V,H)^T
  outputBackW: GemmKernel; // dWhy += dY^T H_all        (N,V)^T x (N,H)
  outputBackH: GemmKernel; // dH = dY Why               (N,V) x (V,H)
  recurGradW: GemmKernel; // dWhh += dR^T H_prev        (N,H)^T x (N,H)
}

/** Options of {@linkcode FastRnn}: the model's sizes plus the engine to run on. */
export interface FastRnnOptions extends RnnOptions {
  /** The engine; default `createEngine()` (auto). */
  engine?: Engine;
}

/** The vanilla RNN on float32 buffers and the fast engine: see the module doc. */
export class FastRnn implements CharModel {
  /** Shapes and kind. */
  readonly config: ModelConfig;
  /** `{ Wxh (H,V), Whh (H,H), Why (V,H), bh (H), by (V) }`, float32. */
  readonly params: Params;
  /** Gradients of the mean loss, same shapes as `params`. */
  readonly grads: Params;
  /** The engine this model runs on. */
  readonly engine: Engine;
  #ws: Workspace;
  #chunk: Chunk | null = null;
  #WxhT: Float32Array; // (V, H) Wxh transposed, refreshed by every forward and step
  #dWxhT: Float32Array; // (V, H) dWxh accumulated row-wise, added into dWxh transposed
  #steps = new Map<
    number,
    { h: Float32Array; y: Float32Array; recur: GemmKernel; out: GemmKernel }
  >();

  /**
   * Creates a model with the same Gaussian initial weights as {@linkcode VanillaRnn} for
   * the same `rng` (rounded to float32) and zero biases.
   *
   * @param rng Source of the initial weights.
   * @param options Sizes, init scale and engine.
   * @example
   * ```ts
   * import { assertEquals } from "../../tests/assert.ts";
   * import { createEngine } from "../backend/create.ts";
   * import { Rng } from "../core/rng.ts";
   * const m = new FastRnn(new Rng(1), { vocabSize: 5, hiddenSize: 8, engine: createEngine({ kind: "wasm" }) });
   * assertEquals(m.params.Wxh!.data instanceof Float32Array, true);
   * const ids = Int32Array.from([0, 1, 2, 3]);
   * const loss = m.forward(ids, ids, m.initialState(1));
   * assertEquals(Math.abs(loss - Math.log(5)) < 0.5, true);
   * ```
   */
  constructor(rng: Rng, options: FastRnnOptions) {
    const { vocabSize: V, hiddenSize: H } = options;
    for (const [name, v] of [["vocabSize", V], ["hiddenSize", H]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Invalid ${name} ${v}: expected a positive integer`);
      }
    }
    const scale = options.initScale ?? 1 / Math.sqrt(H);
    this.engine = options.engine ?? createEngine();
    const ws = this.#ws = this.engine.createWorkspace();
    const tensor = (shape: number[]) => workspaceTensor(ws, shape);
    const gaussian = (shape: number[]) => workspaceTensor(ws, shape, { scale, rng });
    this.config = { kind: "rnn", vocabSize: V, hiddenSize: H };
    this.params = {
      Wxh: gaussian([H, V]), // input to hidden
      Whh: gaussian([H, H]), // hidden to hidden
      Why: gaussian([V, H]), // hidden to output
      bh: tensor([H]), // hidden bias
      by: tensor([V]), // output bias
    };
    this.grads = {};
    for (const [name, p] of Object.entries(this.params)) this.grads[name] = tensor([...p.shape]);
    this.#WxhT = ws.alloc(V * H);
    this.#dWxhT = ws.alloc(V * H);
  }

  /**
   * A zero hidden state `{ h: (B, H) }` (float64, like every model's state; any float
   * array of that size is accepted).
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
   * @param _options Accepted for the interface; this model has no dropout.
   * @returns Mean loss per character (nats).
   */
  forward(
    inputs: Int32Array,
    targets: Int32Array,
    state: State,
    _options?: ForwardOptions,
  ): number {
    const { hiddenSize: H } = this.config;
    const h0 = stateH(state, H);
    const B = h0.length / H;
    const T = inputs.length / B;
    if (!Number.isInteger(T) || T < 1 || targets.length !== inputs.length) {
      throw new RangeError(
        `Invalid chunk: ${inputs.length} inputs and ${targets.length} targets for ${B} streams; ` +
          `expected equal (T, B) arrays`,
      );
    }
    const V = this.config.vocabSize;
    for (let n = 0; n < T * B; n++) {
      const x = inputs[n]!, y = targets[n]!;
      if (!(x >= 0 && x < V && y >= 0 && y < V)) {
        throw new RangeError(`Invalid token index at position ${n}: expected 0 <= index < ${V}`);
      }
    }
    const c = this.#ensureChunk(T, B);
    const ws = this.#ws, p = this.params, xs = c.xs, ys = c.ys;
    xs.set(inputs);
    ys.set(targets);
    c.hs.set(h0, 0);
    const hAll = c.hs.subarray(B * H); // (N, H) = h_1 .. h_T
    const Wxh = p.Wxh!.data as Float32Array, bh = p.bh!.data as Float32Array;
    if (T * B <= V) ws.gatherColumns(hAll, Wxh, xs, bh); // Wxh[:, x] + bh, strided reads
    else {
      ws.transpose(this.#WxhT, Wxh, H, false); // (V, H): contiguous rows for N > V positions
      ws.gatherRows(hAll, this.#WxhT, xs, bh);
    }
    const Whh = p.Whh!.data as Float32Array;
    for (let t = 0; t < T; t++) {
      const h = c.hsAt[t + 1]!;
      c.recur(c.hsAt[t]!, Whh, h); // += Whh h_{t-1}
      ws.tanh(h);
    }
    c.output(hAll, p.Why!.data as Float32Array, c.logits); // Y = H Why^T
    ws.softmaxRows(c.logits, p.by!.data as Float32Array, ys, c.stats);
    let loss = 0;
    const stats = c.stats;
    for (let n = 0; n < T * B; n++) loss += Math.log(stats[2 * n]!) - stats[2 * n + 1]!;
    h0.set(c.hsAt[T]!); // carry h_T
    return loss / (T * B);
  }

  /**
   * Backpropagation through time of the last forward; see {@linkcode CharModel.backward}.
   *
   * @param dState Optional `{ h: (B, H) }` accumulator for the gradient w.r.t. the initial state.
   */
  backward(dState?: State): void {
    const c = this.#chunk;
    if (!c) throw new Error("Cannot run backward: call forward first");
    const { T, B } = c;
    const H = this.config.hiddenSize;
    const ws = this.#ws, p = this.params, g = this.grads;
    const f32 = (t: Tensor) => t.data as Float32Array;
    const hAll = c.hs.subarray(B * H), hPrev = c.hs.subarray(0, T * B * H);
    ws.softmaxBackward(c.logits, c.ys, f32(g.by!), 1 / (T * B)); // dY = (p - onehot) / N
    c.outputBackW(c.logits, hAll, f32(g.Why!)); // dWhy += dY^T H
    c.outputBackH(c.logits, f32(p.Why!), c.dhs); // dH = dY Why
    const Whh = f32(p.Whh!);
    for (let t = T - 1; t >= 0; t--) {
      const dr = c.dhsAt[t]!;
      if (t < T - 1) c.recurBack(c.dhsAt[t + 1]!, Whh, dr); // dh_t += Whh^T dr_{t+1}
      ws.tanhBackward(dr, c.hsAt[t + 1]!); // dr_t = (1 - h_t^2) dh_t
    }
    c.recurGradW(c.dhs, hPrev, f32(g.Whh!)); // dWhh += dR^T H_prev
    ws.addRowSums(f32(g.bh!), c.dhs); // dbh += sum of dr
    const V = this.config.vocabSize;
    if (T * B <= V) ws.scatterAddColumns(f32(g.Wxh!), c.dhs, c.xs); // dWxh[:, x] += dr
    else { // row-wise in (V, H), then added transposed
      const dWxhT = this.#dWxhT;
      dWxhT.fill(0);
      ws.scatterAddRows(dWxhT, c.dhs, c.xs);
      ws.transpose(f32(g.Wxh!), dWxhT, V, true);
    }
    if (dState) {
      const dh0 = stateH(dState, H);
      c.recurBack0(c.dhsAt[0]!, Whh, c.dh0); // Whh^T dr_0
      for (let k = 0; k < dh0.length; k++) dh0[k] = dh0[k]! + c.dh0[k]!;
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
    let s = this.#steps.get(B);
    if (!s) {
      const ws = this.#ws;
      s = {
        h: ws.alloc(2 * B * H), // (2, B, H): h_{t-1}, h_t
        y: ws.alloc(B * V),
        recur: ws.gemm({ m: B, n: H, k: H, transB: true, beta: 1 }),
        out: ws.gemm({ m: B, n: V, k: H, transB: true }),
      };
      this.#steps.set(B, s);
    }
    const p = this.params, Wxh = p.Wxh!.data, bh = p.bh!.data, by = p.by!.data;
    const prev = s.h.subarray(0, B * H), next = s.h.subarray(B * H);
    prev.set(h);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < H; i++) next[b * H + i] = Wxh[i * V + x[b]!]! + bh[i]!;
    }
    s.recur(prev, p.Whh!.data as Float32Array, next);
    this.#ws.tanh(next);
    s.out(next, p.Why!.data as Float32Array, s.y);
    for (let k = 0; k < B * V; k++) logits[k] = s.y[k]! + by[k % V]!;
    h.set(next);
  }

  #ensureChunk(T: number, B: number): Chunk {
    const old = this.#chunk;
    if (old && old.T === T && old.B === B) return old;
    const { vocabSize: V, hiddenSize: H } = this.config;
    const ws = this.#ws, N = T * B;
    if (old) {
      for (const a of [old.xs, old.ys, old.hs, old.logits, old.stats, old.dhs, old.dh0]) ws.free(a);
    }
    const hs = ws.alloc((T + 1) * B * H), dhs = ws.alloc(N * H);
    const view = (a: Float32Array, t: number) => a.subarray(t * B * H, (t + 1) * B * H);
    return this.#chunk = {
      T,
      B,
      xs: ws.allocInt32(N),
      ys: ws.allocInt32(N),
      hs,
      hsAt: Array.from({ length: T + 1 }, (_, t) => view(hs, t)),
      logits: ws.alloc(N * V),
      stats: ws.alloc(2 * N),
      dhs,
      dhsAt: Array.from({ length: T }, (_, t) => view(dhs, t)),
      dh0: ws.alloc(B * H),
      recur: ws.gemm({ m: B, n: H, k: H, transB: true, beta: 1 }),
      recurBack: ws.gemm({ m: B, n: H, k: H, beta: 1 }),
      recurBack0: ws.gemm({ m: B, n: H, k: H }),
      output: ws.gemm({ m: N, n: V, k: H, transB: true }),
      outputBackW: ws.gemm({ m: V, n: H, k: N, transA: true, beta: 1 }),
      outputBackH: ws.gemm({ m: N, n: H, k: V }),
      recurGradW: ws.gemm({ m: H, n: H, k: N, transA: true, beta: 1 }),
    };
  }
}

function stateH(state: State, H: number): Float32Array | Float64Array {
  const h = state.h?.data;
  if (
    !(h instanceof Float64Array || h instanceof Float32Array) || h.length % H !== 0 ||
    h.length === 0
  ) {
    throw new TypeError(`Invalid RNN state: expected { h: float array of shape (B, ${H}) }`);
  }
  return h;
}
