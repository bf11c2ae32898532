/**
 * The LSTM cell's step (Hochreiter and Schmidhuber 1997; gates i, f, o, g as PyTorch orders
 * them), forward and backward; the records and the hidden side are `cell.ts`'s, the
 * elementwise gate math the backend's (`backend/cells_ts.ts`).
 *
 *   a_t = AX_t + h_{t-1} Wh^T                    (R = 4H pre-activations)
 *   i, f, o, g = sigma, sigma, sigma, tanh of a_t
 *   c_t = f c_{t-1} + i g,   h_t = o tanh(c_t)
 *   zoneout: h_t = m h_{t-1} + (1 - m) h~_t, and c_t alike
 *
 * Legend: B = batch size, H = hidden size, R = 4H.
 *
 * @module
 */
import { addInto } from "../core/tensor.ts";
import { type Cell, hiddenSideBackward, hiddenSideForward } from "./cell.ts";
import { zoneoutBackward, zoneoutMix } from "./zoneout.ts";

/** The LSTM cell (see the module doc and {@linkcode Cell}). */
export const LSTM_CELL: Cell = {
  forward(next, cache, prev, w) {
    const a = cache.gates; // (B, 4H)
    hiddenSideForward(a, cache, prev.h, w, true); // a_t = AX_t + h_{t-1} Wh^T
    // i, f, o, g = sigma, sigma, sigma, tanh(a_t);  c_t = f c_{t-1} + i g;  h_t = o tanh(c_t)
    w.backend.lstmForward(a, prev.c, next.c, cache.tanhC, next.h, w.hiddenSize);
    zoneoutMix(next.h, prev.h, cache.zh); // h_t = m h_{t-1} + (1 - m) h~_t
    zoneoutMix(next.c, prev.c, cache.zc); // c_t = m c_{t-1} + (1 - m) c~_t
  },

  backward(dPrev, dGates, dNext, cache, prev, w) {
    const { zc } = cache, dc = dNext.c, H = w.hiddenSize; // dc is dPrev.c too
    zoneoutBackward(dNext.h, dPrev.h, cache.zh); // dh~_t = (1 - m) dh_t;  dh_{t-1} += m dh_t
    if (zc !== undefined) zoneoutBackward(dc, w.dcSkip.fill(0), zc); // dc~_t; m dc_t apart
    // da_t through the gates from dh~_t and dc~_t;  dc = f dc~_t
    w.backend.lstmBackward(cache.gates, prev.c, cache.tanhC, dNext.h, dc, dGates.x, H);
    if (zc !== undefined) addInto(dc, w.dcSkip); // dc_{t-1} = f dc~_t + m dc_t
    hiddenSideBackward(dPrev.h, dGates.x, dGates, cache, w); // dh_{t-1} += da_t Wh
  },
};
