/**
 * A stack of L recurrent layers of one cell kind (tanh RNN, LSTM or GRU) under
 * a linear output layer, batched over B streams, with optional dropout on the
 * non-recurrent connections (Zaremba et al. 2014, as in char-rnn): on each
 * layer's output, i.e. between layers and before the output projection.
 *
 *   d^{-1}_t = x_t                                        one-hot input
 *   h^l_t = cell_l(d^{l-1}_t, state^l_{t-1})              l = 0 .. L-1
 *   d^l_t = m^l_t * h^l_t     m ~ Bernoulli(1 - p) / (1 - p) when training, else m = 1
 *   y_t = Why d^{L-1}_t + by,  loss = mean over t, b of -log softmax(y_t)[target]
 *
 * Parameters: `l<k>.Wx`, `l<k>.Wh`, `l<k>.b` (and `l<k>.bhn` for a GRU) per layer k
 * (see {@linkcode RnnLayer}, {@linkcode LstmLayer}, {@linkcode GruLayer}), then
 * `Why (V, H)` and `by (V)`. State: `h.<k>` (and `c.<k>` for an LSTM), each `(B, H)`.
 * Legend: V = vocabulary size, H = hidden size, B = batch size, T = sequence length,
 * L = layers.
 *
 * @module
 */
import { sampleDropoutMask } from "./dropout.ts";
import { GruLayer } from "./gru.ts";
import type { LayerInput, RecurrentLayer, RecurrentLayerOptions } from "./layer_f64.ts";
import { LstmLayer } from "./lstm.ts";
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
import { RnnLayer } from "./rnn_layer.ts";
import { softmaxCrossEntropy } from "../core/softmax.ts";
import { gaussian, type Params, zeros, zerosLike } from "../core/tensor.ts";

/** Options of {@linkcode StackedRnn}: a model config plus the init scale. */
export interface StackedRnnOptions extends ModelConfig {
  /** Standard deviation of the Gaussian initial weights; default `1 / sqrt(H)`. */
  initScale?: number;
}

/** L stacked recurrent layers and an output layer; see the module docs for the equations. */
export class StackedRnn implements CharModel {
  /** Kind, sizes, layers and dropout (all fields filled in). */
  readonly config: Required<ModelConfig>;
  /** `{ "l0.Wx", "l0.Wh", "l0.b", ..., Why, by }`, sharing storage with `layers[k].params`. */
  readonly params: Params;
  /** Gradients of the mean loss, same names and shapes. */
  readonly grads: Params;
  /** The layers, bottom first. */
  readonly layers: readonly RecurrentLayer[];
  /** Source of the dropout masks (seeded from the constructor's `rng`). */
  readonly dropoutRng: Rng;
  /**
   * When true, training forwards reuse the last masks instead of drawing new ones
   * (same `(T, B)` only), so a gradient check sees one fixed function.
   */
  freezeDropoutMask = false;
  #stateNames: string[][]; // per layer, e.g. ["h.0", "c.0"]
  #views: Float64Array[][]; // per layer, scratch views of a state record's arrays
  #T = 0;
  #B = 0;
  #xs = new Int32Array(0); // (T, B) inputs
  #ys = new Int32Array(0); // (T, B) targets
  #ps = new Float64Array(0); // (T, B, V) probabilities
  #masks: Float64Array[] = []; // per layer (T, B, H) dropout masks, for (#maskT, #maskB)
  #masked: Float64Array[] = []; // per layer (T, B, H) masked outputs d^k
  #dTop: Float64Array[] = []; // two (T, B, H) buffers: gradient w.r.t. a layer's output
  #top: Float64Array<ArrayBufferLike> = new Float64Array(0); // (T, B, H) input of the output layer
  #dropped = false; // whether the last forward applied dropout
  #maskT = 0; // (T, B) the masks were allocated and drawn for
  #maskB = 0;

  /**
   * Creates the layers (bottom first) and the output layer.
   *
   * @param rng Source of the initial weights, then of the dropout generator's seed.
   * @param options Kind, sizes, `numLayers`, `dropout`, init scale.
   * @example
   * ```ts
   * import { assertClose, assertEquals } from "../../tests/assert.ts";
   * import { Rng } from "../core/rng.ts";
   * const m = new StackedRnn(new Rng(1), { kind: "lstm", vocabSize: 4, hiddenSize: 3, numLayers: 2 });
   * assertEquals(Object.keys(m.initialState(1)), ["h.0", "c.0", "h.1", "c.1"]);
   * assertEquals(m.params["l1.Wx"]!.shape, [12, 3]);
   * const ids = Int32Array.from([0, 1, 2, 3]); // (T = 4, B = 1)
   * const loss = m.forward(ids, ids, m.initialState(1));
   * assertClose(loss, Math.log(4), 0.5);
   * ```
   */
  constructor(rng: Rng, options: StackedRnnOptions) {
    const config = resolveModelConfig(options);
    const { kind, vocabSize: V, hiddenSize: H, numLayers: L } = config;
    this.config = config;
    const layers: RecurrentLayer[] = [];
    for (let k = 0; k < L; k++) {
      const opts: RecurrentLayerOptions = {
        inputSize: k === 0 ? V : H,
        hiddenSize: H,
        initScale: options.initScale,
      };
      layers.push(
        kind === "lstm"
          ? new LstmLayer(rng, opts)
          : kind === "gru"
          ? new GruLayer(rng, opts)
          : new RnnLayer(rng, opts),
      );
    }
    this.layers = layers;
    const scale = options.initScale ?? 1 / Math.sqrt(H);
    this.params = {};
    this.grads = {};
    layers.forEach((layer, k) => {
      for (const [name, p] of Object.entries(layer.params)) this.params[`l${k}.${name}`] = p;
      for (const [name, g] of Object.entries(layer.grads)) this.grads[`l${k}.${name}`] = g;
    });
    this.params.Why = gaussian([V, H], { scale, rng }); // top layer to output
    this.params.by = zeros([V]); // output bias
    Object.assign(this.grads, zerosLike({ Why: this.params.Why, by: this.params.by }));
    this.dropoutRng = new Rng(rng.nextU32());
    this.#stateNames = layers.map((layer, k) => layer.stateNames.map((s) => `${s}.${k}`));
    this.#views = layers.map((layer) => layer.stateNames.map(() => new Float64Array(0)));
  }

  /**
   * A zero state: `h.<k>` (and `c.<k>` for an LSTM) of shape `(B, H)` per layer k.
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
    this.#ensureCache(T, B);
    this.#xs.set(inputs);
    this.#ys.set(targets);
    this.#dropped = (options.train ?? false) && dropout > 0;
    if (this.#dropped) this.#prepareMasks(T, B);
    let input: LayerInput = this.#xs;
    for (let k = 0; k < this.layers.length; k++) {
      const out = this.layers[k]!.forward(input, views[k]!); // h^k, (T, B, H)
      input = out;
      if (!this.#dropped) continue;
      const mask = this.#masks[k]!, d = this.#masked[k]!;
      for (let n = 0; n < T * B * H; n++) d[n] = out[n]! * mask[n]!; // d^k = m^k * h^k
      input = d;
    }
    const top = this.#top = input as Float64Array; // (T, B, H)
    const Why = this.params.Why!.data, by = this.params.by!.data, ps = this.#ps;
    let loss = 0;
    for (let n = 0; n < T * B; n++) {
      for (let v = 0; v < V; v++) {
        let y = by[v]!; // y = Why d + by
        for (let i = 0; i < H; i++) y += Why[v * H + i]! * top[n * H + i]!;
        ps[n * V + v] = y;
      }
      loss += softmaxCrossEntropy(ps, ps, { offset: n * V, n: V, target: targets[n]! });
    }
    return loss / (T * B);
  }

  /**
   * Backpropagation through time and through the stack; see {@linkcode CharModel.backward}.
   *
   * @param dState Optional accumulator (same names as the state) for the initial state's gradient.
   */
  backward(dState?: State): void {
    const { vocabSize: V, hiddenSize: H } = this.config;
    const T = this.#T, B = this.#B, L = this.layers.length;
    if (T === 0) throw new Error("Cannot run backward: call forward first");
    const dViews = dState ? this.#stateViews(dState, "dState") : undefined;
    const Why = this.params.Why!.data, dWhy = this.grads.Why!.data, dby = this.grads.by!.data;
    const ps = this.#ps, ys = this.#ys, top = this.#top;
    let dTop = this.#dTop[0]!, dBelow = this.#dTop[1]!; // (T, B, H)
    dTop.fill(0);
    const scale = 1 / (T * B); // d(mean loss) / d(per-character loss)
    for (let n = 0; n < T * B; n++) {
      const target = ys[n]!;
      for (let v = 0; v < V; v++) {
        const dy = (ps[n * V + v]! - (v === target ? 1 : 0)) * scale; // dL/dy = p - onehot
        dby[v] = dby[v]! + dy;
        for (let i = 0; i < H; i++) {
          dWhy[v * H + i] = dWhy[v * H + i]! + dy * top[n * H + i]!; // dWhy += dy d^T
          dTop[n * H + i] = dTop[n * H + i]! + Why[v * H + i]! * dy; // dd += Why^T dy
        }
      }
    }
    for (let k = L - 1; k >= 0; k--) {
      if (this.#dropped) {
        const mask = this.#masks[k]!;
        for (let n = 0; n < T * B * H; n++) dTop[n] = dTop[n]! * mask[n]!; // dh = m * dd
      }
      this.layers[k]!.backward(dTop, {
        dInput: k > 0 ? dBelow : undefined, // gradient w.r.t. d^{k-1}, the output of layer k-1
        dState: dViews?.[k],
      });
      [dTop, dBelow] = [dBelow, dTop];
    }
  }

  /**
   * One step for sampling, no dropout and no cache; see {@linkcode CharModel.step}.
   *
   * @param x `(B)` input indices.
   * @param state The carried state, advanced in place.
   * @param logits `(B, V)` output.
   */
  step(x: Int32Array, state: State, logits: Float64Array): void {
    const { vocabSize: V, hiddenSize: H } = this.config;
    const views = this.#stateViews(state, "state");
    checkIndices(x, V);
    let input: LayerInput = x;
    for (let k = 0; k < this.layers.length; k++) input = this.layers[k]!.step(input, views[k]!);
    const top = input, B = top.length / H;
    const Why = this.params.Why!.data, by = this.params.by!.data;
    for (let b = 0; b < B; b++) {
      for (let v = 0; v < V; v++) {
        let y = by[v]!;
        for (let i = 0; i < H; i++) y += Why[v * H + i]! * top[b * H + i]!;
        logits[b * V + v] = y;
      }
    }
  }

  // The arrays of a state record, per layer, checked for names, type and a common (B, H).
  #stateViews(state: State, what: string): Float64Array[][] {
    const H = this.config.hiddenSize;
    let size = -1;
    this.#stateNames.forEach((names, k) => {
      names.forEach((name, s) => {
        const data = state[name]?.data;
        if (
          !(data instanceof Float64Array) || data.length === 0 || data.length % H !== 0 ||
          (size >= 0 && data.length !== size)
        ) {
          throw new TypeError(
            `Invalid ${this.config.kind.toUpperCase()} ${what}: expected Float64Array tensors ` +
              `${this.#stateNames.flat().join(", ")} of one shape (B, ${H}); ` +
              `"${name}" is missing or differs; create it with model.initialState(B)`,
          );
        }
        size = data.length;
        this.#views[k]![s] = data;
      });
    });
    return this.#views;
  }

  #prepareMasks(T: number, B: number): void {
    if (this.freezeDropoutMask) {
      if (this.#maskT !== T || this.#maskB !== B) {
        throw new Error(
          `Cannot reuse the dropout mask: it was drawn for (T, B) = (${this.#maskT}, ` +
            `${this.#maskB}), not (${T}, ${B}); run a training forward of this shape first`,
        );
      }
      return;
    }
    const { hiddenSize: H, numLayers: L } = this.config;
    if (T !== this.#maskT || B !== this.#maskB) {
      this.#masks = Array.from({ length: L }, () => new Float64Array(T * B * H));
      this.#masked = Array.from({ length: L }, () => new Float64Array(T * B * H));
      [this.#maskT, this.#maskB] = [T, B];
    }
    for (const mask of this.#masks) {
      sampleDropoutMask(mask, { rate: this.config.dropout, rng: this.dropoutRng });
    }
  }

  #ensureCache(T: number, B: number): void {
    if (T === this.#T && B === this.#B) return;
    const { vocabSize: V, hiddenSize: H } = this.config;
    this.#xs = new Int32Array(T * B);
    this.#ys = new Int32Array(T * B);
    this.#ps = new Float64Array(T * B * V);
    this.#dTop = [new Float64Array(T * B * H), new Float64Array(T * B * H)];
    this.#T = T;
    this.#B = B;
  }
}
