/**
 * The stacked RNN / LSTM / GRU of {@linkcode StackedRnn} in float32 on the fast engine: the
 * same parameters (names, shapes, gate order, initial values for the same seed), equations,
 * dropout masks (drawn from `dropoutRng` in the same order) and state names, so results agree
 * within float32 rounding and checkpoints move freely between the two.
 *
 *   h^l_t = cell_l(d^{l-1}_t, state^l_{t-1})    layers: see {@linkcode FastLayer}
 *   d^l = m^l * h^l                             inverted dropout, training only
 *   Y = D^{L-1} Why^T + by                      one product over all N positions
 *   loss = mean of -log softmax(Y)[target]
 *
 * Legend: V = vocabulary size, H = hidden size, B = batch size, T = sequence length,
 * N = T*B positions (time-major: n = t*B + b), L = layers.
 *
 * @module
 */
import { createEngine, type Engine, type GemmKernel, type Workspace } from "../backend/create.ts";
import { sampleDropoutMask } from "./dropout.ts";
import { FastLayer, type StateArray } from "./layer.ts";
import {
  type CharModel,
  checkIndices,
  chunkLength,
  type ForwardOptions,
  type ModelConfig,
  resolveModelConfig,
  type State,
} from "./char_model.ts";
import { Rng } from "../core/rng.ts";
import type { StackedRnnOptions } from "./stacked_f64.ts";
import { type Params, type Tensor, zeros } from "../core/tensor.ts";

/** Buffers and planned products of the output layer for one chunk shape `(T, B)`. */
interface Chunk {
  T: number;
  B: number;
  xs: Int32Array; // (N) inputs
  ys: Int32Array; // (N) targets
  logits: Float32Array; // (N, V) logits, then probabilities, then dY
  stats: Float32Array; // (N, 2) softmax sums and picked logits
  masks: Float32Array[]; // per layer (N, H) dropout masks (allocated on the first training pass)
  masked: Float32Array[]; // per layer (N, H) masked outputs d^l
  top: Float32Array; // (N, H) input of the output layer (a view)
  output: GemmKernel; // Y = D Why^T                   (N,H) x (V,H)^T
  outputBackW: GemmKernel; // dWhy += dY^T D            (N,V)^T x (N,H)
  outputBackH: GemmKernel; // dD = dY Why               (N,V) x (V,H)
}

/** Options of {@linkcode FastStackedRnn}: a model config, the init scale and the engine. */
export interface FastStackedRnnOptions extends StackedRnnOptions {
  /** The engine; default `createEngine()` (auto). */
  engine?: Engine;
}

/** L stacked recurrent layers and an output layer on the fast engine; see the module doc. */
export class FastStackedRnn implements CharModel {
  /** Kind, sizes, layers and dropout (all fields filled in). */
  readonly config: Required<ModelConfig>;
  /** `{ "l0.Wx", "l0.Wh", "l0.b", ..., Why, by }`, float32, shared with `layers[k].params`. */
  readonly params: Params;
  /** Gradients of the mean loss, same names and shapes. */
  readonly grads: Params;
  /** The layers, bottom first. */
  readonly layers: readonly FastLayer[];
  /** Source of the dropout masks (seeded from the constructor's `rng`, as in StackedRnn). */
  readonly dropoutRng: Rng;
  /** The engine this model runs on. */
  readonly engine: Engine;
  /** When true, training forwards reuse the last masks (same `(T, B)` only). */
  freezeDropoutMask = false;
  #ws: Workspace;
  #stateNames: string[][]; // per layer, e.g. ["h.0", "c.0"]
  #chunk: Chunk | null = null;
  #dropped = false; // whether the last forward applied dropout
  #masksDrawn = false; // whether #chunk.masks hold a mask for its shape
  #steps = new Map<number, { xs: Int32Array; y: Float32Array; out: GemmKernel }>();

  /**
   * Creates the layers and the output layer with the initial values of
   * {@linkcode StackedRnn} for the same `rng` (rounded to float32).
   *
   * @param rng Source of the initial weights, then of the dropout generator's seed.
   * @param options Kind, sizes, `numLayers`, `dropout`, init scale, engine.
   * @example
   * ```ts
   * import { assertClose, assertEquals } from "../../tests/assert.ts";
   * import { createEngine } from "../backend/create.ts";
   * import { Rng } from "../core/rng.ts";
   * const engine = createEngine({ kind: "wasm" });
   * const m = new FastStackedRnn(new Rng(1), { kind: "lstm", vocabSize: 4, hiddenSize: 3, numLayers: 2, engine });
   * assertEquals(Object.keys(m.initialState(1)), ["h.0", "c.0", "h.1", "c.1"]);
   * assertEquals(m.params["l1.Wx"]!.shape, [12, 3]);
   * const ids = Int32Array.from([0, 1, 2, 3]); // (T = 4, B = 1)
   * assertClose(m.forward(ids, ids, m.initialState(1)), Math.log(4), 0.5);
   * ```
   */
  constructor(rng: Rng, options: FastStackedRnnOptions) {
    const config = resolveModelConfig(options);
    const { kind, vocabSize: V, hiddenSize: H, numLayers: L } = config;
    this.config = config;
    this.engine = options.engine ?? createEngine();
    const ws = this.#ws = this.engine.createWorkspace();
    const layers: FastLayer[] = [];
    for (let k = 0; k < L; k++) {
      const inputSize = k === 0 ? V : H;
      layers.push(
        new FastLayer(ws, rng, { kind, inputSize, hiddenSize: H, initScale: options.initScale }),
      );
    }
    this.layers = layers;
    this.params = {};
    this.grads = {};
    layers.forEach((layer, k) => {
      for (const [name, p] of Object.entries(layer.params)) this.params[`l${k}.${name}`] = p;
      for (const [name, g] of Object.entries(layer.grads)) this.grads[`l${k}.${name}`] = g;
    });
    const scale = options.initScale ?? 1 / Math.sqrt(H);
    const tensor = (shape: number[]): Tensor => ({
      shape,
      data: ws.alloc(shape[0]! * (shape[1] ?? 1)),
    });
    const Why = tensor([V, H]); // top layer to output
    for (let k = 0; k < Why.data.length; k++) Why.data[k] = rng.normal() * scale;
    this.params.Why = Why;
    this.params.by = tensor([V]); // output bias
    this.grads.Why = tensor([V, H]);
    this.grads.by = tensor([V]);
    this.dropoutRng = new Rng(rng.nextU32());
    this.#stateNames = layers.map((layer, k) => layer.stateNames.map((s) => `${s}.${k}`));
  }

  /**
   * A zero state: `h.<k>` (and `c.<k>` for an LSTM) of shape `(B, H)` per layer k, float64
   * like {@linkcode StackedRnn}'s (float32 arrays are accepted too).
   *
   * @param batchSize B.
   * @returns The state, layer by layer, bottom first.
   */
  initialState(batchSize: number): State {
    const state: State = {};
    for (const names of this.#stateNames) {
      for (const name of names) state[name] = zeros([batchSize, this.config.hiddenSize]);
    }
    return state;
  }

  /**
   * Forward over a `(T, B)` chunk; see {@linkcode CharModel.forward}.
   *
   * @param inputs `(T, B)` input indices.
   * @param targets `(T, B)` target indices.
   * @param state The carried state, advanced in place.
   * @param options `train: true` applies dropout (when `config.dropout > 0`).
   * @returns Mean loss per character (nats).
   */
  forward(
    inputs: Int32Array,
    targets: Int32Array,
    state: State,
    options: ForwardOptions = {},
  ): number {
    const { vocabSize: V, hiddenSize: H, dropout } = this.config;
    const views = this.#stateViews(state, "state");
    const B = views[0]![0]!.length / H;
    const T = chunkLength(inputs, targets, { B, V });
    const c = this.#ensureChunk(T, B), ws = this.#ws;
    c.xs.set(inputs);
    c.ys.set(targets);
    this.#dropped = (options.train ?? false) && dropout > 0;
    if (this.#dropped) this.#prepareMasks(c);
    let input: Int32Array | Float32Array = c.xs;
    for (let k = 0; k < this.layers.length; k++) {
      const out = this.layers[k]!.forward(input, views[k]!); // h^k, (N, H)
      input = out;
      if (this.#dropped) ws.multiply(input = c.masked[k]!, out, c.masks[k]!); // d^k = m^k * h^k
    }
    const top = c.top = input as Float32Array;
    const f32 = (t: Tensor | undefined) => t!.data as Float32Array;
    c.output(top, f32(this.params.Why), c.logits); // Y = D Why^T
    ws.softmaxRows(c.logits, f32(this.params.by), c.ys, c.stats);
    let loss = 0;
    const stats = c.stats;
    for (let n = 0; n < T * B; n++) loss += Math.log(stats[2 * n]!) - stats[2 * n + 1]!;
    return loss / (T * B);
  }

  /**
   * Backpropagation through time and through the stack; see {@linkcode CharModel.backward}.
   *
   * @param dState Optional accumulator (same names as the state) for the initial state's gradient.
   */
  backward(dState?: State): void {
    const c = this.#chunk;
    if (!c) throw new Error("Cannot run backward: call forward first");
    const dViews = dState ? this.#stateViews(dState, "dState") : undefined;
    const ws = this.#ws,
      L = this.layers.length,
      f32 = (t: Tensor | undefined) => t!.data as Float32Array;
    ws.softmaxBackward(c.logits, c.ys, f32(this.grads.by), 1 / (c.T * c.B)); // dY = (p - onehot) / N
    c.outputBackW(c.logits, c.top, f32(this.grads.Why)); // dWhy += dY^T D
    c.outputBackH(c.logits, f32(this.params.Why), this.layers[L - 1]!.gradOutput()); // dD = dY Why
    for (let k = L - 1; k >= 0; k--) {
      const layer = this.layers[k]!, dOut = layer.gradOutput();
      if (this.#dropped) ws.multiply(dOut, dOut, c.masks[k]!); // dh = m * dd
      layer.backward({
        dInput: k > 0 ? this.layers[k - 1]!.gradOutput() : undefined, // dL/d(d^{k-1})
        dState: dViews?.[k],
      });
    }
  }

  /**
   * One step for sampling, no dropout; see {@linkcode CharModel.step}.
   *
   * @param x `(B)` input indices.
   * @param state The carried state, advanced in place.
   * @param logits `(B, V)` output.
   */
  step(x: Int32Array, state: State, logits: Float64Array): void {
    const { vocabSize: V, hiddenSize: H } = this.config;
    const views = this.#stateViews(state, "state");
    checkIndices(x, V);
    const B = x.length, ws = this.#ws;
    let s = this.#steps.get(B);
    if (!s) {
      s = {
        xs: ws.allocInt32(B),
        y: ws.alloc(B * V),
        out: ws.gemm({ m: B, n: V, k: H, transB: true }),
      };
      this.#steps.set(B, s);
    }
    s.xs.set(x);
    let input: Int32Array | Float32Array = s.xs;
    for (let k = 0; k < this.layers.length; k++) input = this.layers[k]!.step(input, views[k]!);
    s.out(input as Float32Array, this.params.Why!.data as Float32Array, s.y);
    const by = this.params.by!.data;
    for (let k = 0; k < B * V; k++) logits[k] = s.y[k]! + by[k % V]!;
  }

  // The arrays of a state record, per layer, checked for names, type and a common (B, H).
  #stateViews(state: State, what: string): StateArray[][] {
    const H = this.config.hiddenSize;
    let size = -1;
    return this.#stateNames.map((names) =>
      names.map((name) => {
        const data = state[name]?.data;
        if (
          !(data instanceof Float64Array || data instanceof Float32Array) || data.length === 0 ||
          data.length % H !== 0 || (size >= 0 && data.length !== size)
        ) {
          throw new TypeError(
            `Invalid ${this.config.kind.toUpperCase()} ${what}: expected float tensors ` +
              `${this.#stateNames.flat().join(", ")} of one shape (B, ${H}); ` +
              `"${name}" is missing or differs; create it with model.initialState(B)`,
          );
        }
        size = data.length;
        return data;
      })
    );
  }

  #prepareMasks(c: Chunk): void {
    if (this.freezeDropoutMask) {
      if (!this.#masksDrawn) {
        throw new Error(
          `Cannot reuse the dropout mask: none was drawn for (T, B) = (${c.T}, ${c.B}); ` +
            `run a training forward of this shape first`,
        );
      }
      return;
    }
    const { hiddenSize: H, dropout: rate } = this.config, N = c.T * c.B;
    if (c.masks.length === 0) {
      for (let k = 0; k < this.layers.length; k++) {
        c.masks.push(this.#ws.alloc(N * H));
        c.masked.push(this.#ws.alloc(N * H));
      }
    }
    for (const mask of c.masks) sampleDropoutMask(mask, { rate, rng: this.dropoutRng });
    this.#masksDrawn = true;
  }

  #ensureChunk(T: number, B: number): Chunk {
    const old = this.#chunk;
    if (old && old.T === T && old.B === B) return old;
    const { vocabSize: V, hiddenSize: H } = this.config;
    const ws = this.#ws, N = T * B;
    if (old) {
      for (const a of [old.xs, old.ys, old.logits, old.stats, ...old.masks, ...old.masked]) {
        ws.free(a);
      }
    }
    this.#masksDrawn = false;
    return this.#chunk = {
      T,
      B,
      xs: ws.allocInt32(N),
      ys: ws.allocInt32(N),
      logits: ws.alloc(N * V),
      stats: ws.alloc(2 * N),
      masks: [],
      masked: [],
      top: new Float32Array(0),
      output: ws.gemm({ m: N, n: V, k: H, transB: true }),
      outputBackW: ws.gemm({ m: V, n: H, k: N, transA: true, beta: 1 }),
      outputBackH: ws.gemm({ m: N, n: H, k: V }),
    };
  }
}
