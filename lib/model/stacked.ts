/**
 * The model: L stacked recurrent layers of one cell (tanh RNN, LSTM or GRU) under the
 * output head, batched over B streams, with optional dropout on each layer's output (between
 * layers and before the head; Zaremba et al. 2014, as in char-rnn; drawn per position or, as
 * variational dropout, once per stream and chunk). Written once against the
 * {@linkcode Backend} interface: the same code trains in float32 on OpenBLAS, WebAssembly or
 * TypeScript and runs the gradient checks in float64.
 *
 *   d^{-1}_t = x_t                                 one-hot input
 *   h^l_t = cell_l(d^{l-1}_t, state^l_{t-1})       l = 0 .. L-1, see {@linkcode RecurrentLayer}
 *   d^l = m^l * h^l      m ~ Bernoulli(1 - p) / (1 - p) when training, else m = 1
 *                        (dropoutMask "sequence": m^l_t = m^l_0 for every t of the chunk)
 *   weightDrop w: each chunk of training runs layer l on M^l * Wh^l,
 *                        M^l (R, H) ~ Bernoulli(1 - w) / (1 - w), one per chunk (DropConnect)
 *   zoneout z: each state unit keeps its previous value with probability z per step (a fresh
 *                        Bernoulli(z) mask per position in training, the mean z otherwise)
 *   loss = mean of -log softmax(D^{L-1} Why^T + by)[target]   see {@linkcode OutputHead}
 *
 * Parameters: `l<k>.Wx (R, I)`, `l<k>.Wh (R, H)`, `l<k>.b (R)` (and `l<k>.bhn (H)` for a GRU;
 * `l<k>.gx (R)`, `l<k>.gh (R)` with layer norm) per layer k, then `Why (V, H)` and `by (V)`.
 * State: `h.<k>` (and `c.<k>` for an LSTM), each `(B, H)`. A one-layer `rnn` is the seed's
 * vanilla RNN: `l0.Wx` = `Wxh`, `l0.Wh` = `Whh`, `l0.b` = `bh` (see {@linkcode VanillaRnn}).
 * Legend: V = vocabulary size, H = hidden size, B = batch size, T = sequence length,
 * N = T*B positions (time-major: n = t*B + b), L = layers, R = G*H gate rows, I = input size.
 *
 * @module
 */
import type { Backend } from "../backend/types.ts";
import { Rng } from "../core/rng.ts";
import type { FloatArray, Params } from "../core/tensor.ts";
import {
  type CharModel,
  checkIndices,
  chunkLength,
  type ForwardOptions,
  type State,
} from "./char_model.ts";
import { type ModelConfig, resolveModelConfig } from "./model_config.ts";
import { sampleDropoutMask, sampleSequenceMask } from "./dropout.ts";
import { OutputHead } from "./head.ts";
import { type LayerMasks, RecurrentLayer } from "./layer.ts";
import { sampleZoneoutMask } from "./zoneout.ts";

/** Options of {@linkcode StackedRnn}: a model config, the init scale and the backend. */
export interface StackedRnnOptions extends ModelConfig {
  /** Standard deviation of the Gaussian initial weights; default `1 / sqrt(H)`. */
  initScale?: number;
  /**
   * The backend (`createModel` defaults it to `createBackend()`, the fastest here). Given, not
   * chosen here, so the model and everything it imports also run in a browser.
   */
  backend: Backend;
}

/** Dropout buffers of one chunk shape. */
interface Masks {
  T: number;
  B: number;
  masks: FloatArray[]; // per layer (N, H) dropout masks
  masked: FloatArray[]; // per layer (N, H) masked outputs d^l
}

/** L stacked recurrent layers and the output head on a backend; see the module doc. */
export class StackedRnn implements CharModel {
  /** Cell, sizes, layers and dropout (all fields filled in). */
  readonly config: Required<ModelConfig>;
  /** `{ "l0.Wx", "l0.Wh", "l0.b", ..., Why, by }`, shared with the layers' and head's. */
  readonly params: Params;
  /** Gradients of the mean loss, same names and shapes. */
  readonly grads: Params;
  /** The layers, bottom first. */
  readonly layers: readonly RecurrentLayer[];
  /** The output head. */
  readonly head: OutputHead;
  /** Source of the dropout masks (seeded from the constructor's `rng`). */
  readonly dropoutRng: Rng;
  /** The backend this model, its optimizer and its clipping run on. */
  readonly backend: Backend;
  /**
   * When true, training forwards reuse the last random masks (dropout, DropConnect and zoneout)
   * instead of drawing new ones (same `(T, B)` only), so a gradient check sees one fixed
   * function.
   */
  freezeMasks = false;
  #stateNames: string[][]; // per layer, e.g. ["h.0", "c.0"]
  #xs: Int32Array | null = null; // (N) inputs of the last forward
  #masks: Masks | null = null;
  #dropped = false; // whether the last forward applied dropout
  #masksDrawn = false; // whether #masks hold a mask for its shape
  #weightMasks: FloatArray[] | null = null; // per layer (R, H) DropConnect masks of Wh
  #zoneMasks: { N: number; masks: FloatArray[][] } | null = null; // per layer, state: (N, H)
  #stepXs = new Map<number, Int32Array>(); // per B, step()'s input buffer
  #lastViews: { state: State; views: FloatArray[][] } | null = null; // see #stateViews

  /**
   * Creates the layers (bottom first: Gaussian `Wx` then `Wh` each), then `Why`, from `rng`,
   * then seeds the dropout generator from it.
   *
   * @param rng Source of the initial weights, then of the dropout generator's seed; `null`
   *   leaves every weight zero, for a model whose weights are loaded next.
   * @param options Cell, sizes, `numLayers`, `dropout`, init scale, backend.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { createBackend } from "../backend/create.ts";
   * import { Rng } from "../core/rng.ts";
   * const backend = createBackend({ kind: "f64" });
   * const m = new StackedRnn(new Rng(1), { cell: "lstm", vocabSize: 4, hiddenSize: 3, numLayers: 2, backend });
   * assert.deepEqual(Object.keys(m.initialState(1)), ["h.0", "c.0", "h.1", "c.1"]);
   * assert.deepEqual(m.params["l1.Wx"]!.shape, [12, 3]);
   * const ids = Int32Array.from([0, 1, 2, 3]); // (T = 4, B = 1)
   * assert.ok(Math.abs(m.forward(ids, ids, m.initialState(1)) - Math.log(4)) < 0.5);
   * ```
   */
  constructor(rng: Rng | null, options: StackedRnnOptions) {
    const config = resolveModelConfig(options);
    const { cell, vocabSize: V, hiddenSize: H, numLayers: L, norm, zoneout } = config;
    const { initScale } = options;
    this.config = config;
    const backend = this.backend = options.backend;
    const layers: RecurrentLayer[] = [];
    for (let k = 0; k < L; k++) {
      const inputSize = k === 0 ? V : H;
      const layer = { cell, inputSize, hiddenSize: H, initScale, norm, zoneout };
      layers.push(new RecurrentLayer(backend, rng, layer));
    }
    this.layers = layers;
    this.head = new OutputHead(backend, rng, { vocabSize: V, hiddenSize: H, initScale });
    this.params = {};
    this.grads = {};
    layers.forEach((layer, k) => {
      for (const [name, p] of Object.entries(layer.params)) this.params[`l${k}.${name}`] = p;
      for (const [name, g] of Object.entries(layer.grads)) this.grads[`l${k}.${name}`] = g;
    });
    Object.assign(this.params, this.head.params);
    Object.assign(this.grads, this.head.grads);
    this.dropoutRng = new Rng(rng ? rng.nextU32() : 0);
    this.#stateNames = layers.map((layer, k) => layer.stateNames.map((s) => `${s}.${k}`));
  }

  /**
   * A zero state: `h.<k>` (and `c.<k>` for an LSTM) of shape `(B, H)` per layer k, in the
   * backend's float type (any float arrays of that shape are accepted).
   *
   * @param batchSize B.
   * @returns The state, layer by layer, bottom first.
   */
  initialState(batchSize: number): State {
    const H = this.config.hiddenSize;
    const array = this.backend.float === "f64" ? Float64Array : Float32Array;
    const state: State = {};
    for (const name of this.#stateNames.flat()) {
      state[name] = { shape: [batchSize, H], data: new array(batchSize * H) };
    }
    return state;
  }

  /**
   * Forward over a `(T, B)` chunk; see {@linkcode CharModel.forward}.
   *
   * @param inputs `(T, B)` input indices.
   * @param targets `(T, B)` target indices.
   * @param state The carried state, advanced in place.
   * @param options `train: true` applies dropout and weight drop (when the config has them).
   * @returns Mean loss per character (nats).
   */
  forward(
    inputs: Int32Array,
    targets: Int32Array,
    state: State,
    options: ForwardOptions = {},
  ): number {
    const { vocabSize: V, hiddenSize: H, dropout, weightDrop, zoneout } = this.config;
    const views = this.#stateViews(state, "state");
    const B = views[0]![0]!.length / H;
    const T = chunkLength(inputs, targets, { B, V });
    if (this.#xs?.length !== T * B) {
      if (this.#xs) this.backend.free(this.#xs);
      this.#xs = this.backend.allocInt32(T * B);
    }
    this.#xs.set(inputs);
    const train = options.train ?? false;
    this.#dropped = train && dropout > 0;
    const m = this.#dropped ? this.#prepareMasks(T, B) : null;
    const M = train && weightDrop > 0 ? this.#prepareWeightMasks() : null;
    const Z = train && zoneout > 0 ? this.#prepareZoneoutMasks(T * B) : null;
    let input: Int32Array | FloatArray = this.#xs;
    for (let k = 0; k < this.layers.length; k++) {
      const masks: LayerMasks = { recurrent: M?.[k], zoneout: Z?.[k] };
      const out = this.layers[k]!.forward(input, views[k]!, masks); // h^k, (N, H)
      input = out;
      if (m) this.backend.multiply(input = m.masked[k]!, out, m.masks[k]!); // d^k = m^k * h^k
    }
    return this.head.forward(input as FloatArray, targets);
  }

  /**
   * Backpropagation through time and through the stack; see {@linkcode CharModel.backward}.
   *
   * @param dState Optional accumulator (same names as the state) for the initial state's gradient.
   */
  backward(dState?: State): void {
    if (!this.#xs) throw new Error("Cannot run backward: call forward first");
    const dViews = dState ? this.#stateViews(dState, "dState") : undefined;
    const L = this.layers.length, masks = this.#dropped ? this.#masks : null;
    this.head.backward(this.layers[L - 1]!.gradOutput()); // dD^{L-1}
    for (let k = L - 1; k >= 0; k--) {
      const layer = this.layers[k]!, dOut = layer.gradOutput();
      if (masks) this.backend.multiply(dOut, dOut, masks.masks[k]!); // dh = m * dd
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
    const views = this.#stateViews(state, "state");
    checkIndices(x, this.config.vocabSize);
    let xs = this.#stepXs.get(x.length);
    if (!xs) this.#stepXs.set(x.length, xs = this.backend.allocInt32(x.length));
    xs.set(x);
    let input: Int32Array | FloatArray = xs;
    for (let k = 0; k < this.layers.length; k++) input = this.layers[k]!.step(input, views[k]!);
    this.head.step(input as FloatArray, logits);
  }

  // The arrays of a state record, per layer, checked for names, type and a common (B, H).
  // The views of the last record are kept: stepping one state allocates nothing.
  #stateViews(state: State, what: string): FloatArray[][] {
    if (this.#lastViews?.state === state && this.#sameArrays(state)) return this.#lastViews.views;
    const H = this.config.hiddenSize;
    let size = -1;
    const views = this.#stateNames.map((names) =>
      names.map((name) => {
        const data = state[name]?.data;
        if (
          !(data instanceof Float64Array || data instanceof Float32Array) || data.length === 0 ||
          data.length % H !== 0 || (size >= 0 && data.length !== size)
        ) {
          throw new TypeError(
            `Invalid ${this.config.cell.toUpperCase()} ${what}: expected float tensors ` +
              `${this.#stateNames.flat().join(", ")} of one shape (B, ${H}); ` +
              `"${name}" is missing or differs; create it with model.initialState(B)`,
          );
        }
        size = data.length;
        return data;
      })
    );
    if (what === "state") this.#lastViews = { state, views };
    return views;
  }

  // Whether `state` still holds the arrays of the kept views.
  #sameArrays(state: State): boolean {
    const views = this.#lastViews!.views;
    for (let k = 0; k < views.length; k++) {
      const names = this.#stateNames[k]!;
      for (let s = 0; s < names.length; s++) {
        if (state[names[s]!]?.data !== views[k]![s]) return false;
      }
    }
    return true;
  }

  #prepareMasks(T: number, B: number): Masks {
    let m = this.#masks;
    if (this.freezeMasks) {
      if (!m || !this.#masksDrawn || m.T !== T || m.B !== B) {
        throw new Error(
          `Cannot reuse the dropout mask: none was drawn for (T, B) = (${T}, ${B}); ` +
            `run a training forward of this shape first`,
        );
      }
      return m;
    }
    if (!m || m.T !== T || m.B !== B) {
      if (m) { for (const a of [...m.masks, ...m.masked]) this.backend.free(a); }
      const N = T * B * this.config.hiddenSize, L = this.layers.length;
      const alloc = () => Array.from({ length: L }, () => this.backend.alloc(N));
      m = this.#masks = { T, B, masks: alloc(), masked: alloc() };
    }
    const { dropout: rate, dropoutMask, hiddenSize: H } = this.config, rng = this.dropoutRng;
    for (const mask of m.masks) {
      if (dropoutMask === "sequence") sampleSequenceMask(mask, { rowLength: B * H, rate, rng });
      else sampleDropoutMask(mask, { rate, rng });
    }
    this.#masksDrawn = true;
    return m;
  }

  #prepareWeightMasks(): FloatArray[] {
    if (this.freezeMasks && this.#weightMasks) return this.#weightMasks;
    if (this.freezeMasks) {
      throw new Error("Cannot reuse the weight-drop masks: run a training forward first");
    }
    const masks = this.#weightMasks ??= this.layers.map((layer) =>
      this.backend.alloc(layer.params.Wh!.data.length)
    );
    const rate = this.config.weightDrop, rng = this.dropoutRng;
    for (const mask of masks) sampleDropoutMask(mask, { rate, rng });
    return masks;
  }

  #prepareZoneoutMasks(N: number): FloatArray[][] {
    let z = this.#zoneMasks;
    if (this.freezeMasks) {
      if (z?.N !== N) {
        throw new Error(
          "Cannot reuse the zoneout masks: run a training forward of this shape first",
        );
      }
      return z.masks;
    }
    if (z?.N !== N) {
      if (z) { for (const a of z.masks.flat()) this.backend.free(a); }
      const size = N * this.config.hiddenSize;
      const masks = this.layers.map((layer) =>
        layer.stateNames.map(() => this.backend.alloc(size))
      );
      z = this.#zoneMasks = { N, masks };
    }
    const rate = this.config.zoneout, rng = this.dropoutRng;
    for (const mask of z.masks.flat()) sampleZoneoutMask(mask, { rate, rng });
    return z.masks;
  }
}
