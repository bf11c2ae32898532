/**
 * The GRU cell's step (Cho et al. 2014, in PyTorch's variant: the reset gate scales the
 * hidden side of n, bias included), forward and backward; the records and the hidden side
 * are `cell.ts`'s, the elementwise gate math the backend's (`backend/cells_ts.ts`).
 *
 *   ah = h_{t-1} Wh^T                            (R = 3H: blocks r, z, n)
 *   r = sigma(AX_r + ah_r),  z = sigma(AX_z + ah_z)
 *   n = tanh(AX_n + r (ah_n + bhn))
 *   h_t = (1 - z) n + z h_{t-1}
 *   zoneout: h_t = m h_{t-1} + (1 - m) h~_t
 *
 * Legend: B = batch size, H = hidden size, R = 3H.
 *
 * @module
 */
import { type Cell, hiddenSideBackward, hiddenSideForward } from "./cell.ts";
import { zoneoutBackward, zoneoutMix } from "./zoneout.ts";

/**
 * The GRU cell (see the module doc and {@linkcode Cell}). The hidden side stays apart in
 * `cache.ah`, and its gradient in `dGates.h`: n needs `r (ah_n + bhn)`.
 */
export const GRU_CELL: Cell = {
  forward(next, cache, prev, w) {
    hiddenSideForward(cache.ah, cache, prev.h, w, false); // ah = h_{t-1} Wh^T
    // r, z = sigma(AX + ah);  n = tanh(AX_n + r (ah_n + bhn));  h_t = (1 - z) n + z h_{t-1}
    w.backend.gruForward(cache.gates, cache.ah, w.bhn, prev.h, next.h, cache.hn);
    zoneoutMix(next.h, prev.h, cache.zh); // h_t = m h_{t-1} + (1 - m) h~_t
  },

  backward(dPrev, dGates, dNext, cache, prev, w) {
    const dh = dNext.h;
    zoneoutBackward(dh, dPrev.h, cache.zh); // dh~_t = (1 - m) dh_t;  dh_{t-1} += m dh_t
    // dAX and dah through the gates;  dbhn += r dan;  dh_{t-1} += z dh~_t
    w.backend.gruBackward(cache.gates, cache.hn, prev.h, dh, dGates.x, dGates.h, w.dbhn, dPrev.h);
    hiddenSideBackward(dPrev.h, dGates.h, dGates, cache, w); // dh_{t-1} += dah Wh
  },
};
