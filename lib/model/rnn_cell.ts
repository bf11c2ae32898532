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
 * One RNN step forward (see the module doc). Without zoneout, `cache.gates` is h_t's memory.
 *
 * @param next `(B, H)` h_t, written.
 * @param cache `gates` holds AX_t on entry, h~_t after.
 * @param prev `(B, H)` h_{t-1}.
 * @param w The chunk's weights.
 */
export function rnnStepForward(
  next: CellState,
  cache: StepCache,
  prev: CellState,
  w: CellWeights,
): void {
  const a = cache.gates; // (B, H)
  hiddenSideForward(a, cache, prev.h, w, true); // a_t = AX_t + h_{t-1} Wh^T
  w.backend.tanh(a); // h~_t = tanh(a_t)
  if (cache.zh === undefined) return; // a is h_t
  next.h.set(a);
  zoneoutMix(next.h, prev.h, cache.zh); // h_t = m h_{t-1} + (1 - m) h~_t
}

/**
 * One RNN step backward. `dNext.h` must hold the whole dL/dh_t; it is also the memory of
 * `dGates.x`, which it becomes.
 *
 * @param dPrev `(B, H)` dL/dh_{t-1}, added to.
 * @param dGates `(B, H)` gradient of the pre-activations, written.
 * @param dNext `(B, H)` dL/dh_t.
 * @param cache The forward's cache.
 * @param _prev Unused (the RNN's backward needs only its output).
 * @param w The chunk's weights.
 */
export function rnnStepBackward(
  dPrev: CellState,
  dGates: GateGrads,
  dNext: CellState,
  cache: StepCache,
  _prev: CellState,
  w: CellWeights,
): void {
  zoneoutBackward(dNext.h, dPrev.h, cache.zh); // dh~_t = (1 - m) dh_t;  dh_{t-1} += m dh_t
  w.backend.tanhBackward(dNext.h, cache.gates); // dA_t = (1 - h~_t^2) dh~_t, in place
  hiddenSideBackward(dPrev.h, dGates.x, dGates, cache, w); // dh_{t-1} += dA_t Wh
}
