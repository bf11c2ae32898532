/**
 * The vanilla RNN as one layer of a stack (the seed's cell):
 *
 *   h_t = tanh(Wx x_t + Wh h_{t-1} + b)
 *
 * Parameters `Wx (H, I)`, `Wh (H, H)`, `b (H)`; state `h (B, H)`. The single-layer
 * model without dropout is {@linkcode VanillaRnn} (the seed's names `Wxh`, `Whh`, `bh`).
 * Legend: B = batch size, T = sequence length, H = hidden size, I = input size.
 *
 * @module
 */
import { type LayerCache, RecurrentLayer, type RecurrentLayerOptions } from "./layer_f64.ts";
import type { Rng } from "../core/rng.ts";

/** A tanh RNN layer: one gate block, state `h`. */
export class RnnLayer extends RecurrentLayer {
  /**
   * Creates the layer with Gaussian weights and a zero bias.
   *
   * @param rng Source of the initial weights.
   * @param options Input size, hidden size and init scale.
   * @example
   * ```ts
   * import { assertEquals } from "../../tests/assert.ts";
   * import { Rng } from "../core/rng.ts";
   * const layer = new RnnLayer(new Rng(1), { inputSize: 5, hiddenSize: 3 });
   * const h = new Float64Array(3); // (B = 1, H)
   * layer.step(Int32Array.from([2]), [h]);
   * assertEquals(layer.params.Wx!.shape, [3, 5]);
   * ```
   */
  constructor(rng: Rng, options: RecurrentLayerOptions) {
    super(rng, { ...options, gates: 1, stateNames: ["h"] });
  }

  /**
   * The base buffers only: the backward needs just `h_t`.
   *
   * @param T Sequence length.
   * @param B Batch size.
   * @returns The cache.
   */
  protected createCache(T: number, B: number): LayerCache {
    return this.baseCache(T, B);
  }

  /**
   * `h_t = tanh(ax + ah)`.
   *
   * @param c The cache.
   * @param t Time step.
   */
  protected cellForward(c: LayerCache, t: number): void {
    const BH = c.B * this.hiddenSize;
    const hs = c.seqs[0]!, ax = c.ax, ah = c.ah;
    for (let n = 0; n < BH; n++) hs[(t + 1) * BH + n] = Math.tanh(ax[n]! + ah[n]!);
  }

  /**
   * `da = (1 - h_t^2) dh`; nothing reaches `h_{t-1}` except through `Wh`.
   *
   * @param c The cache.
   * @param t Time step.
   */
  protected cellBackward(c: LayerCache, t: number): void {
    const BH = c.B * this.hiddenSize;
    const hs = c.seqs[0]!, dh = c.dStates[0]!, da = c.dax;
    for (let n = 0; n < BH; n++) {
      const h = hs[(t + 1) * BH + n]!;
      da[n] = (1 - h * h) * dh[n]!; // backprop through tanh
      dh[n] = 0; // h_{t-1} is reached only through Wh^T da (added by the layer)
    }
  }
}
