/**
 * The GRU cell (Cho et al. 2014) in the PyTorch / cuDNN variant, where the reset
 * gate multiplies the hidden projection *after* it (`r * (Wh_n h + bhn)`, not
 * `Wh_n (r * h)` as in the original paper). Gate blocks in the order r, z, n:
 *
 *   r = sigmoid(Wx_r x_t + b_r + Wh_r h_{t-1})
 *   z = sigmoid(Wx_z x_t + b_z + Wh_z h_{t-1})
 *   n = tanh(Wx_n x_t + b_n + r * (Wh_n h_{t-1} + bhn))
 *   h_t = (1 - z) * n + z * h_{t-1}
 *
 * Parameters `Wx (3H, I)`, `Wh (3H, H)`, `b (3H)` (input side) and `bhn (H)` (the
 * hidden-side bias of n, inside the reset); state `h (B, H)`.
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
import { zeros } from "../core/tensor.ts";

/** What the GRU backward needs besides the base cache. */
export interface GruCache extends LayerCache {
  /** `(T, B, 3H)` gate activations r, z, n. */
  acts: Float64Array;
  /** `(T, B, H)` the reset's operand `Wh_n h_{t-1} + bhn`. */
  hn: Float64Array;
}

/** A GRU layer: three gate blocks, state `h`. */
export class GruLayer extends RecurrentLayer<GruCache> {
  /**
   * Creates the layer with Gaussian weights and zero biases.
   *
   * @param rng Source of the initial weights.
   * @param options Input size, hidden size and init scale.
   * @example
   * ```ts
   * import { assertEquals } from "../../tests/assert.ts";
   * import { Rng } from "../core/rng.ts";
   * const layer = new GruLayer(new Rng(1), { inputSize: 5, hiddenSize: 3 });
   * assertEquals([layer.params.Wh!.shape, layer.params.bhn!.shape], [[9, 3], [3]]);
   * ```
   */
  constructor(rng: Rng, options: RecurrentLayerOptions) {
    super(rng, {
      ...options,
      gates: 3,
      stateNames: ["h"],
      extra: { bhn: zeros([options.hiddenSize]) }, // hidden-side bias of n
      splitHidden: true, // n sees ax and r * ah differently
    });
  }

  /**
   * Base buffers plus gate activations and the reset's operand.
   *
   * @param T Sequence length.
   * @param B Batch size.
   * @returns The cache.
   */
  protected createCache(T: number, B: number): GruCache {
    const H = this.hiddenSize;
    return {
      ...this.baseCache(T, B),
      acts: new Float64Array(T * B * 3 * H),
      hn: new Float64Array(T * B * H),
    };
  }

  /**
   * Gates r, z, n, then `h_t`.
   *
   * @param c The cache.
   * @param t Time step.
   */
  protected cellForward(c: GruCache, t: number): void {
    const { B, ax, ah, acts, hn } = c;
    const H = this.hiddenSize, R = 3 * H, BH = B * H;
    const hs = c.seqs[0]!, bhn = this.params.bhn!.data;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const a = b * R + j; // gate r, unit j of stream b; z, n follow at +H, +2H
        const n = b * H + j;
        const r = sigmoid(ax[a]! + ah[a]!);
        const z = sigmoid(ax[a + H]! + ah[a + H]!);
        const hnv = ah[a + 2 * H]! + bhn[j]!; // Wh_n h_{t-1} + bhn
        const nv = Math.tanh(ax[a + 2 * H]! + r * hnv);
        const k = t * B * R + a;
        acts[k] = r;
        acts[k + H] = z;
        acts[k + 2 * H] = nv;
        hn[t * BH + n] = hnv;
        hs[(t + 1) * BH + n] = (1 - z) * nv + z * hs[t * BH + n]!; // h_t = (1 - z) n + z h_{t-1}
      }
    }
  }

  /**
   * Gradients of the input-side (`dax`) and hidden-side (`dah`) pre-activations; `z dh`
   * flows straight to `h_{t-1}`.
   *
   * @param c The cache.
   * @param t Time step.
   */
  protected cellBackward(c: GruCache, t: number): void {
    const { B, dax, dah, acts, hn } = c;
    const H = this.hiddenSize, R = 3 * H, BH = B * H;
    const hs = c.seqs[0]!, dh = c.dStates[0]!, dbhn = this.grads.bhn!.data;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const a = b * R + j, k = t * B * R + a, n = b * H + j;
        const r = acts[k]!, z = acts[k + H]!, nv = acts[k + 2 * H]!;
        const dhn = dh[n]!;
        const dan = dhn * (1 - z) * (1 - nv * nv); // dn = dh (1 - z), through tanh
        const daz = dhn * (hs[t * BH + n]! - nv) * z * (1 - z); // dz = dh (h_{t-1} - n), sigmoid
        const dar = dan * hn[t * BH + n]! * r * (1 - r); // dr = dan (Wh_n h + bhn), sigmoid
        dax[a] = dar;
        dax[a + H] = daz;
        dax[a + 2 * H] = dan;
        dah[a] = dar;
        dah[a + H] = daz;
        dah[a + 2 * H] = dan * r; // d(Wh_n h_{t-1} + bhn) = dan r
        dbhn[j] = dbhn[j]! + dan * r; // dbhn += dan r
        dh[n] = dhn * z; // dh_{t-1} = z dh_t, plus Wh^T dah (added by the layer)
      }
    }
  }
}
