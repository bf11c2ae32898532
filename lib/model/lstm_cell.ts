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
 * One LSTM step forward (see the module doc).
 *
 * @param next `(B, H)` h_t and c_t, written.
 * @param cache `gates` holds AX_t on entry; the step's activations are kept for backward.
 * @param prev `(B, H)` h_{t-1} and c_{t-1}.
 * @param w The chunk's weights.
 */
export function lstmStepForward(
  next: CellState,
  cache: StepCache,
  prev: CellState,
  w: CellWeights,
): void {
  const a = cache.gates; // (B, 4H)
  hiddenSideForward(a, cache, prev.h, w, true); // a_t = AX_t + h_{t-1} Wh^T
  // i, f, o, g = sigma, sigma, sigma, tanh(a_t);  c_t = f c_{t-1} + i g;  h_t = o tanh(c_t)
  w.backend.lstmForward(a, prev.c, next.c, cache.tanhC, next.h, w.hiddenSize);
  zoneoutMix(next.h, prev.h, cache.zh); // h_t = m h_{t-1} + (1 - m) h~_t
  zoneoutMix(next.c, prev.c, cache.zc); // c_t = m c_{t-1} + (1 - m) c~_t
}

/**
 * One LSTM step backward. `dNext.h` must hold the whole dL/dh_t. The cell state's gradient
 * is carried in place: `dNext.c` and `dPrev.c` are one array, dL/dc_t on entry and
 * dL/dc_{t-1} on return.
 *
 * @param dPrev `(B, H)` dL/dh_{t-1}, added to; dL/dc_{t-1}, written.
 * @param dGates `(B, 4H)` gradients of the pre-activations, written.
 * @param dNext `(B, H)` dL/dh_t (used as scratch) and dL/dc_t.
 * @param cache The forward's cache.
 * @param prev `(B, H)` h_{t-1} and c_{t-1}.
 * @param w The chunk's weights.
 */
export function lstmStepBackward(
  dPrev: CellState,
  dGates: GateGrads,
  dNext: CellState,
  cache: StepCache,
  prev: CellState,
  w: CellWeights,
): void {
  const zc = cache.zc, dcSkip = w.dcSkip;
  zoneoutBackward(dNext.h, dPrev.h, cache.zh); // dh~_t = (1 - m) dh_t;  dh_{t-1} += m dh_t
  if (zc !== undefined) zoneoutBackward(dNext.c, dcSkip.fill(0), zc); // dc~_t; m dc_t apart
  // dA_t from dh~_t and dc~_t (through the gates);  dc_{t-1} = f dc~_t
  w.backend.lstmBackward(
    cache.gates,
    prev.c,
    cache.tanhC,
    dNext.h,
    dNext.c,
    dGates.x,
    w.hiddenSize,
  );
  if (zc !== undefined) addInto(dPrev.c, dcSkip); // dc_{t-1} += m dc_t
  hiddenSideBackward(dPrev.h, dGates.x, dGates, cache, w); // dh_{t-1} += dA_t Wh
}
