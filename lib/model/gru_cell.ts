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
import {
  type CellState,
  type CellWeights,
  type GateGrads,
  hiddenSideBackward,
  hiddenSideForward,
  type StepCache,
} from "./cell.ts";
import { zoneoutBackward, zoneoutMix } from "./zoneout.ts";

/**
 * One GRU step forward (see the module doc).
 *
 * @param next `(B, H)` h_t, written.
 * @param cache `gates` holds AX_t on entry, the activations r, z, n after.
 * @param prev `(B, H)` h_{t-1}.
 * @param w The chunk's weights.
 */
export function gruStepForward(
  next: CellState,
  cache: StepCache,
  prev: CellState,
  w: CellWeights,
): void {
  hiddenSideForward(cache.ah, cache, prev.h, w, false); // ah = h_{t-1} Wh^T, kept apart
  // r, z = sigma(AX + ah);  n = tanh(AX_n + r (ah_n + bhn));  h_t = (1 - z) n + z h_{t-1}
  w.backend.gruForward(cache.gates, cache.ah, w.bhn, prev.h, next.h, cache.hn);
  zoneoutMix(next.h, prev.h, cache.zh); // h_t = m h_{t-1} + (1 - m) h~_t
}

/**
 * One GRU step backward. `dNext.h` must hold the whole dL/dh_t.
 *
 * @param dPrev `(B, H)` dL/dh_{t-1}, added to.
 * @param dGates `(B, 3H)` gradients of the input side (`x`) and hidden side (`h`), written.
 * @param dNext `(B, H)` dL/dh_t (used as scratch).
 * @param cache The forward's cache.
 * @param prev `(B, H)` h_{t-1}.
 * @param w The chunk's weights; `dbhn` is added to.
 */
export function gruStepBackward(
  dPrev: CellState,
  dGates: GateGrads,
  dNext: CellState,
  cache: StepCache,
  prev: CellState,
  w: CellWeights,
): void {
  zoneoutBackward(dNext.h, dPrev.h, cache.zh); // dh~_t = (1 - m) dh_t;  dh_{t-1} += m dh_t
  // dAX_t and dah through the gates;  dbhn += r dan;  dh_{t-1} += z dh~_t
  w.backend.gruBackward(
    cache.gates,
    cache.hn,
    prev.h,
    dNext.h,
    dGates.x,
    dGates.h,
    w.dbhn,
    dPrev.h,
  );
  hiddenSideBackward(dPrev.h, dGates.h, dGates, cache, w); // dh_{t-1} += dah Wh
}
