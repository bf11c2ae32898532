/**
 * The tanh RNN cell's step (Elman 1990; the seed's vanilla RNN), forward and backward; the
 * records and the hidden side are `cell.ts`'s.
 *
 *   h_t = tanh(AX_t + h_{t-1} Wh^T)             (R = H pre-activations)
 *   zoneout: h_t = m h_{t-1} + (1 - m) h~_t
 *
 * Legend: B = batch size, H = hidden size.
 *
 * @module
 */
import { type Cell, hiddenSideBackward, hiddenSideForward } from "./cell.ts";
import { zoneoutBackward, zoneoutMix } from "./zoneout.ts";

/**
 * The tanh RNN cell (see the module doc and {@linkcode Cell}). Without zoneout, `cache.gates`
 * is h_t's memory; `dGates.x` is always dL/dh_t's, which backward turns into dL/da_t.
 */
export const RNN_CELL: Cell = {
  forward(next, cache, prev, w) {
    const a = cache.gates; // (B, H)
    hiddenSideForward(a, cache, prev.h, w, true); // a_t = AX_t + h_{t-1} Wh^T
    w.backend.tanh(a); // h~_t = tanh(a_t)
    if (cache.zh === undefined) return; // a is h_t
    next.h.set(a);
    zoneoutMix(next.h, prev.h, cache.zh); // h_t = m h_{t-1} + (1 - m) h~_t
  },

  backward(dPrev, dGates, dNext, cache, _prev, w) {
    zoneoutBackward(dNext.h, dPrev.h, cache.zh); // dh~_t = (1 - m) dh_t;  dh_{t-1} += m dh_t
    w.backend.tanhBackward(dNext.h, cache.gates); // da_t = (1 - h~_t^2) dh~_t, in place
    hiddenSideBackward(dPrev.h, dGates.x, dGates, cache, w); // dh_{t-1} += da_t Wh
  },
};
