/**
 * One time step of a recurrent cell for B streams: what {@linkcode RecurrentLayer} repeats at
 * every step. Each cell is a {@linkcode Cell}, a forward/backward pair in its own file
 * (`rnn_cell.ts`, `lstm_cell.ts`, `gru_cell.ts`), outputs first as llm.c writes them:
 *
 *   forward(next, cache, prev, weights)                      state_t from state_{t-1}
 *   backward(dPrev, dGates, dNext, cache, prev, weights)     their gradients, backwards
 *
 * This file holds the records they read and write and the half every cell shares, the hidden
 * side of the gate pre-activations:
 *
 *   a_t = AX_t + h_{t-1} Wh^T                        (AX_t: the layer's input side, per chunk)
 *   layer norm: a_t = AX_t + LN(h_{t-1} Wh^T; gh)    (Ba et al. 2016; `backend/norm_ts.ts`)
 *   backward: dAh_t = dA_t (through LN with layer norm), dh_{t-1} += dAh_t Wh
 *
 * The GRU keeps the hidden side apart (`ah`), since its n gate needs `r (Wh_n h_{t-1} + bhn)`.
 * The elementwise gate math is the backend's (`backend/cells_ts.ts`, `backend/wasm/kernels.as`).
 *
 * Legend: B = batch size, H = hidden size, G = gate blocks, R = G*H.
 *
 * @module
 */
import type { GemmKernel } from "../backend/gemm.ts";
import type { Backend } from "../backend/types.ts";
import type { FloatArray } from "../core/tensor.ts";
import type { Zoneout } from "./zoneout.ts";

/** A cell's state at one step: `(B, H)` views of h and, for an LSTM, c (else empty). */
export interface CellState {
  /** `(B, H)` h_t. */
  h: FloatArray;
  /** `(B, H)` c_t (LSTM). */
  c: FloatArray;
}

/** What step t keeps for its backward: views of the chunk's buffers. */
export interface StepCache {
  /** `(B, R)` the input side AX_t on entry, the gate activations after forward (rnn: h~_t). */
  gates: FloatArray;
  /** `(B, R)` GRU or layer norm: the hidden side `h_{t-1} Wh^T` (scratch shared by the steps). */
  ah: FloatArray;
  /** `(B, H)` LSTM: tanh(c_t). */
  tanhC: FloatArray;
  /** `(B, H)` GRU: the reset's operand `Wh_n h_{t-1} + bhn`. */
  hn: FloatArray;
  /** `(B, R)` layer norm: the normalised hidden side. */
  xhatH: FloatArray;
  /** `(B G)` layer norm: its `1 / sqrt(var + eps)` per gate block. */
  rstdH: FloatArray;
  /** Zoneout of h: a `(B, H)` mask, or the rate z; `undefined` without zoneout. */
  zh: Zoneout;
  /** Zoneout of c (LSTM), likewise. */
  zc: Zoneout;
}

/** The gradients of step t's two sides of the gate pre-activations. */
export interface GateGrads {
  /** `(B, R)` dL/d(AX_t), the input side (rnn: the memory of dL/dh_t, computed in place). */
  x: FloatArray;
  /** `(B, R)` dL/d(h_{t-1} Wh^T), the hidden side (the same array as `x` but for GRU, norm). */
  h: FloatArray;
}

/** What every step of a chunk shares: kernels, weights and parameter gradients. */
export interface CellWeights {
  /** The kernels. */
  backend: Backend;
  /** H. */
  hiddenSize: number;
  /** `(R, H)` the recurrent weights the chunk runs on: Wh, or M * Wh with DropConnect. */
  Wh: FloatArray;
  /** `a (+)= h_{t-1} Wh^T`, `(B,H) x (R,H)^T`: adds into AX_t for rnn and lstm without norm. */
  recur: GemmKernel;
  /** `dh_{t-1} += dAh_t Wh`, `(B,R) x (R,H)`. */
  recurBack: GemmKernel;
  /** `(H)` GRU: hidden-side bias of n (else empty). */
  bhn: FloatArray;
  /** `(H)` its gradient accumulator. */
  dbhn: FloatArray;
  /** `(R)` layer norm: gain of the hidden side; `null` without layer norm. */
  gh: FloatArray | null;
  /** `(R)` its gradient accumulator. */
  dgh: FloatArray | null;
  /** `(B, H)` LSTM with zoneout: scratch for the part of dL/dc_{t-1} that skips the cell. */
  dcSkip: FloatArray;
  /** A dh_{t-1} nobody reads (h_0's when its gradient is not asked for): its product is skipped. */
  unread: FloatArray | null;
}

/** A cell: one time step forward and backward for B streams (see the module doc). */
export interface Cell {
  /**
   * One step forward: the state after step t from the state before it.
   *
   * @param next `(B, H)` h_t (and c_t), written.
   * @param cache `gates` holds the input side AX_t on entry; what backward needs is kept.
   * @param prev `(B, H)` h_{t-1} (and c_{t-1}).
   * @param w The chunk's weights.
   */
  forward(next: CellState, cache: StepCache, prev: CellState, w: CellWeights): void;
  /**
   * One step backward. `dNext.h` must hold the whole dL/dh_t (the step after has added its
   * part); it is used as scratch. An LSTM carries dL/dc in place: `dNext.c` and `dPrev.c` are
   * one array, dL/dc_t on entry and dL/dc_{t-1} on return.
   *
   * @param dPrev `(B, H)` dL/dh_{t-1}, added to (and dL/dc_{t-1}).
   * @param dGates `(B, R)` gradients of the input and hidden sides, written.
   * @param dNext `(B, H)` dL/dh_t (and dL/dc_t).
   * @param cache The forward's cache.
   * @param prev `(B, H)` h_{t-1} (and c_{t-1}).
   * @param w The chunk's weights; parameter gradients (`dbhn`, `dgh`) are added to.
   */
  backward(
    dPrev: CellState,
    dGates: GateGrads,
    dNext: CellState,
    cache: StepCache,
    prev: CellState,
    w: CellWeights,
  ): void;
}

/**
 * The hidden side of step t into `dst`: `h_{t-1} Wh^T`, or `LN(h_{t-1} Wh^T; gh)` with layer
 * norm, added to `dst` or written over it (as `recur` is planned, and `accumulate` says).
 *
 * @param dst `(B, R)` AX_t (rnn, lstm: adds), or `ah` (GRU: writes).
 * @param cache The step's cache (`ah`, `xhatH`, `rstdH` with layer norm).
 * @param hPrev `(B, H)` h_{t-1}.
 * @param w The chunk's weights.
 * @param accumulate With layer norm: add into `dst`.
 */
export function hiddenSideForward(
  dst: FloatArray,
  cache: StepCache,
  hPrev: FloatArray,
  w: CellWeights,
  accumulate: boolean,
): void {
  if (!w.gh) return w.recur(hPrev, w.Wh, dst); // dst (+)= h_{t-1} Wh^T
  w.recur(hPrev, w.Wh, cache.ah); // ah = h_{t-1} Wh^T
  w.backend.layerNorm(cache.ah, w.gh, null, dst, cache.xhatH, cache.rstdH, accumulate);
}

/**
 * The backward of {@linkcode hiddenSideForward}: `dAh_t = LN'(dA)` with layer norm (else dA
 * is dAh_t already), then `dh_{t-1} += dAh_t Wh`.
 *
 * @param dhPrev `(B, H)` accumulator of dL/dh_{t-1}.
 * @param dA `(B, R)` gradient w.r.t. the hidden side's output (`dGates.x`, or `.h` for a GRU).
 * @param dGates The step's gate gradients: `h` receives dAh_t.
 * @param cache The step's cache.
 * @param w The chunk's weights.
 */
export function hiddenSideBackward(
  dhPrev: FloatArray,
  dA: FloatArray,
  dGates: GateGrads,
  cache: StepCache,
  w: CellWeights,
): void {
  if (w.gh) w.backend.layerNormBackward(dA, cache.xhatH, cache.rstdH, w.gh, w.dgh!, null, dGates.h);
  if (dhPrev !== w.unread) w.recurBack(dGates.h, w.Wh, dhPrev); // dh_{t-1} += dAh_t Wh
}
