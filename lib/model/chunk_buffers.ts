/**
 * The buffers of one chunk shape `(T, B)` of a {@linkcode RecurrentLayer}, allocated once
 * from the backend, with their per-step views for the cells (`cell.ts`) and the planned
 * matrix products that span the chunk.
 *
 * Legend: B = batch size, T = sequence length, N = T*B positions (time-major: n = t*B + b),
 * H = hidden size, I = input size, G = gate blocks, R = G*H.
 *
 * @module
 */
import type { GemmKernel } from "../backend/gemm.ts";
import type { Backend } from "../backend/types.ts";
import type { FloatArray } from "../core/tensor.ts";
import type { CellState, CellWeights, GateGrads, StepCache } from "./cell.ts";
import type { CellKind, ModelNorm } from "./model_config.ts";

/** A chunk's buffers; see the module doc. */
export interface ChunkBuffers {
  /** Steps T. */
  T: number;
  /** Streams B. */
  B: number;
  /** `(N)` indices or `(N, I)` vectors of the last forward, kept for backward. */
  input: Int32Array | FloatArray;
  /** `(R, H)` the DropConnect mask M of the last forward, if any. */
  WhMask: FloatArray | null;
  /** `(T+1, B, H)` h; `hs[0]` the initial state. */
  hs: FloatArray;
  /** `(N, R)` the input side AX, then per step the gate activations. */
  gates: FloatArray;
  /** Layer norm: `(N, R)` the normalised input side. */
  xhatX: FloatArray;
  /** Layer norm: `(N G)` its `1 / sqrt(var + eps)` per gate block. */
  rstdX: FloatArray;
  /** `(N, H)` dL/dh_t from above, then accumulated through time. */
  dOut: FloatArray;
  /** `(N, R)` gradient of the input side (rnn: `dOut`). */
  dGates: FloatArray;
  /** `(N, R)` gradient of the hidden side (`dGates` but for GRU and layer norm). */
  dAh: FloatArray;
  /** `(T+1)` states: `states[t]` is h_t (and c_t). */
  states: CellState[];
  /** `(T)` what each step keeps for backward. */
  caches: StepCache[];
  /** `(T+1)` state gradients: `dStates[t]` is dL/dh_t (`dh0` at 0); c's one carried array. */
  dStates: CellState[];
  /** `(T)` each step's gate gradients. */
  dGatesAt: GateGrads[];
  /** What every step shares. */
  weights: CellWeights;
  /** What to free on a shape change. */
  owned: (FloatArray | Int32Array)[];
  /** `dWh += dAh^T H_prev`, `(N,R)^T x (N,H)`. */
  recurGradW: GemmKernel;
  /** `AX += X Wx^T`, `(N,I) x (R,I)^T`. */
  inProj: GemmKernel;
  /** `dWx += dGates^T X`, `(N,R)^T x (N,I)`. */
  inGradW: GemmKernel;
  /** `dX = dGates Wx`, `(N,R) x (R,I)`. */
  inGradX: GemmKernel;
}

/** The shape of a chunk and of its layer. */
export interface ChunkShape {
  /** Steps T. */
  T: number;
  /** Streams B. */
  B: number;
  /** The cell. */
  cell: CellKind;
  /** Gate blocks G. */
  gates: number;
  /** Hidden size H. */
  hiddenSize: number;
  /** Input size I. */
  inputSize: number;
  /** `"layer"` when the layer normalises its gate pre-activations. */
  norm: ModelNorm;
  /** Whether the layer has zoneout. */
  zoneout: boolean;
}

/**
 * Allocates a chunk's buffers from the backend and plans its products. The weights' arrays
 * (`Wh`, `bhn`, `gh`, ...) start empty: the layer sets them before each pass.
 *
 * @param backend The layer's backend.
 * @param shape The chunk and layer shape.
 * @returns The buffers.
 */
export function createChunkBuffers(backend: Backend, shape: ChunkShape): ChunkBuffers {
  const { T, B, hiddenSize: H, inputSize: I } = shape, R = shape.gates * H, N = T * B;
  const { chunk, step } = allocate(backend, shape), none = new Float64Array(0);
  const apart = step.ah.length > 0; // the hidden side has its own buffer (GRU, layer norm)
  return {
    T,
    B,
    input: new Int32Array(0),
    WhMask: null,
    ...chunk,
    ...stepViews(chunk, step, shape),
    weights: {
      backend,
      hiddenSize: H,
      Wh: none,
      recur: backend.gemm({ m: B, n: R, k: H, transB: true, beta: apart ? 0 : 1 }),
      recurBack: backend.gemm({ m: B, n: H, k: R, beta: 1 }),
      bhn: none,
      dbhn: none,
      gh: null,
      dgh: null,
      dcSkip: step.dcSkip,
      unread: null,
    },
    recurGradW: backend.gemm({ m: R, n: H, k: N, transA: true, beta: 1 }),
    inProj: backend.gemm({ m: N, n: R, k: I, transB: true, beta: 1 }),
    inGradW: backend.gemm({ m: R, n: I, k: N, transA: true, beta: 1 }),
    inGradX: backend.gemm({ m: N, n: I, k: R }),
  };
}

/** The arrays a chunk allocates: those that span it, and those its steps see through views. */
interface ChunkArrays {
  chunk: Pick<
    ChunkBuffers,
    "hs" | "gates" | "xhatX" | "rstdX" | "dOut" | "dGates" | "dAh" | "owned"
  >;
  step: Record<
    "cs" | "tanhC" | "hn" | "ah" | "xhatH" | "rstdH" | "dc" | "dcSkip" | "dh0",
    FloatArray
  >;
}

// Allocates in a fixed order (the order of the buffers in memory); empty where the cell or
// its regularisers have no use for an array.
function allocate(backend: Backend, shape: ChunkShape): ChunkArrays {
  const { T, B, cell, hiddenSize: H, zoneout } = shape, ln = shape.norm === "layer";
  const G = shape.gates, R = G * H, N = T * B, BH = B * H, lstm = cell === "lstm";
  const apart = cell === "gru" || ln; // the hidden side has its own buffer
  const owned: FloatArray[] = [];
  const alloc = (n: number) => {
    const a = backend.alloc(n);
    owned.push(a);
    return a;
  };
  const none = new Float64Array(0);
  const hs = alloc((T + 1) * BH), dOut = alloc(N * H);
  const gates = cell === "rnn" && !zoneout ? hs.subarray(BH) : alloc(N * R); // rnn: h_t's memory
  const dGates = cell === "rnn" ? dOut : alloc(N * R);
  const dAh = apart ? alloc(N * R) : dGates;
  const cs = lstm ? alloc((T + 1) * BH) : none, tanhC = lstm ? alloc(N * H) : none;
  const hn = cell === "gru" ? alloc(N * H) : none, ah = apart ? alloc(B * R) : none;
  const xhatX = ln ? alloc(N * R) : none, rstdX = ln ? alloc(N * G) : none;
  const xhatH = ln ? alloc(N * R) : none, rstdH = ln ? alloc(N * G) : none;
  const dc = lstm ? alloc(BH) : none, dcSkip = lstm && zoneout ? alloc(BH) : none;
  const dh0 = alloc(BH);
  return {
    chunk: { hs, gates, xhatX, rstdX, dOut, dGates, dAh, owned },
    step: { cs, tanhC, hn, ah, xhatH, rstdH, dc, dcSkip, dh0 },
  };
}

// Per step t, the views of the chunk's arrays that its cell reads and writes.
function stepViews(
  chunk: ChunkArrays["chunk"],
  step: ChunkArrays["step"],
  shape: ChunkShape,
): Pick<ChunkBuffers, "states" | "caches" | "dStates" | "dGatesAt"> {
  const { T, B, hiddenSize: H } = shape, BH = B * H, BR = B * shape.gates * H;
  const { hs, gates, dOut, dGates, dAh } = chunk, { cs, ah, dc } = step;
  const at = (a: FloatArray, t: number, size: number) =>
    a.length ? a.subarray(t * size, (t + 1) * size) : a;
  const steps = Array.from({ length: T }, (_, t) => t);
  return {
    states: [...steps, T].map((t) => ({ h: at(hs, t, BH), c: at(cs, t, BH) })),
    caches: steps.map((t) => ({
      gates: at(gates, t, BR),
      ah,
      tanhC: at(step.tanhC, t, BH),
      hn: at(step.hn, t, BH),
      xhatH: at(step.xhatH, t, BR),
      rstdH: at(step.rstdH, t, B * shape.gates),
      zh: undefined,
      zc: undefined,
    })),
    dStates: [step.dh0, ...steps.map((t) => at(dOut, t, BH))].map((h) => ({ h, c: dc })),
    dGatesAt: steps.map((t) => ({ x: at(dGates, t, BR), h: at(dAh, t, BR) })),
  };
}
