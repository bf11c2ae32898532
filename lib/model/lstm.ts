/**
 * The LSTM cell (Hochreiter & Schmidhuber 1997, with a forget gate), as one layer of a stack.
 * Gate blocks in the order i, f, o, g (rows `0..H`, `H..2H`, `2H..3H`, `3H..4H`):
 *
 *   a_t = Wx x_t + Wh h_{t-1} + b                    (4H)
 *   i = sigmoid(a_i)   f = sigmoid(a_f)   o = sigmoid(a_o)   g = tanh(a_g)
 *   c_t = f * c_{t-1} + i * g
 *   h_t = o * tanh(c_t)
 *
 * Parameters `Wx (4H, I)`, `Wh (4H, H)`, `b (4H)` with the forget-gate bias
 * initialised to 1 (remember by default); state `h (B, H)` and `c (B, H)`.
 * Legend: B = batch size, T = sequence length, H = hidden size, I = input size.
 *
 * @module
 */
import {
  type LayerCache,
  RecurrentLayer,
  type RecurrentLayerOptions,
  sigmoid,
} from "./layer_f64.ts";
import type { Rng } from "../core/rng.ts";

/** What the LSTM backward needs besides the base cache. */
export interface LstmCache extends LayerCache {
  /** `(T, B, 4H)` gate activations i, f, o, g. */
  acts: Float64Array;
  /** `(T, B, H)` tanh(c_t). */
  tanhC: Float64Array;
}

/** An LSTM layer: four gate blocks, states `h` and `c`. */
export class LstmLayer extends RecurrentLayer<LstmCache> {
  /**
   * Creates the layer: Gaussian weights, zero biases except the forget gate's (1).
   *
   * @param rng Source of the initial weights.
   * @param options Input size, hidden size and init scale.
   * @example
   * ```ts
   * import { assertEquals } from "../../tests/assert.ts";
   * import { Rng } from "../core/rng.ts";
   * const layer = new LstmLayer(new Rng(1), { inputSize: 5, hiddenSize: 3 });
   * assertEquals(layer.params.Wx!.shape, [12, 5]);
   * assertEquals(Array.from(layer.params.b!.data.subarray(3, 6)), [1, 1, 1]); // forget gate
   * ```
   */
  constructor(rng: Rng, options: RecurrentLayerOptions) {
    super(rng, { ...options, gates: 4, stateNames: ["h", "c"] });
    const H = this.hiddenSize;
    this.params.b!.data.fill(1, H, 2 * H); // forget-gate bias 1
  }

  /**
   * Base buffers plus gate activations and tanh(c).
   *
   * @param T Sequence length.
   * @param B Batch size.
   * @returns The cache.
   */
  protected createCache(T: number, B: number): LstmCache {
    const H = this.hiddenSize;
    return {
      ...this.baseCache(T, B),
      acts: new Float64Array(T * B * 4 * H),
      tanhC: new Float64Array(T * B * H),
    };
  }

  /**
   * Gates, then `c_t` and `h_t`.
   *
   * @param c The cache.
   * @param t Time step.
   */
  protected cellForward(c: LstmCache, t: number): void {
    const { B, ax, ah, acts, tanhC } = c;
    const H = this.hiddenSize, R = 4 * H, BH = B * H;
    const hs = c.seqs[0]!, cs = c.seqs[1]!;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const a = b * R + j; // gate i, unit j of stream b; f, o, g follow at +H, +2H, +3H
        const i = sigmoid(ax[a]! + ah[a]!);
        const f = sigmoid(ax[a + H]! + ah[a + H]!);
        const o = sigmoid(ax[a + 2 * H]! + ah[a + 2 * H]!);
        const g = Math.tanh(ax[a + 3 * H]! + ah[a + 3 * H]!);
        const k = t * B * R + a;
        acts[k] = i;
        acts[k + H] = f;
        acts[k + 2 * H] = o;
        acts[k + 3 * H] = g;
        const n = b * H + j;
        const cNew = f * cs[t * BH + n]! + i * g; // c_t = f c_{t-1} + i g
        const tc = Math.tanh(cNew);
        cs[(t + 1) * BH + n] = cNew;
        tanhC[t * BH + n] = tc;
        hs[(t + 1) * BH + n] = o * tc; // h_t = o tanh(c_t)
      }
    }
  }

  /**
   * Gradients of the four gate pre-activations; `dc` flows to `c_{t-1}` through `f`.
   *
   * @param c The cache.
   * @param t Time step.
   */
  protected cellBackward(c: LstmCache, t: number): void {
    const { B, dax: da, acts, tanhC } = c;
    const H = this.hiddenSize, R = 4 * H, BH = B * H;
    const cs = c.seqs[1]!, dh = c.dStates[0]!, dc = c.dStates[1]!;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const a = b * R + j, k = t * B * R + a, n = b * H + j;
        const i = acts[k]!, f = acts[k + H]!, o = acts[k + 2 * H]!, g = acts[k + 3 * H]!;
        const tc = tanhC[t * BH + n]!;
        const dhn = dh[n]!;
        const dcn = dc[n]! + dhn * o * (1 - tc * tc); // dc_t += dh_t o (1 - tanh^2 c_t)
        da[a] = dcn * g * i * (1 - i); // di = dc g, through sigmoid
        da[a + H] = dcn * cs[t * BH + n]! * f * (1 - f); // df = dc c_{t-1}, through sigmoid
        da[a + 2 * H] = dhn * tc * o * (1 - o); // do = dh tanh(c_t), through sigmoid
        da[a + 3 * H] = dcn * i * (1 - g * g); // dg = dc i, through tanh
        dc[n] = dcn * f; // dc_{t-1} = dc_t f
        dh[n] = 0; // h_{t-1} is reached only through Wh^T da (added by the layer)
      }
    }
  }
}
