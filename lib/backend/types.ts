/**
 * The backend interface: the buffers and kernels a model runs on. Four backends implement
 * it (see `create.ts`): `openblas`, `wasm` and `ts` in float32, and `f64`, the float64
 * TypeScript reference that gradient checks run on. The model code is written once against
 * this interface; each kernel exists once in TypeScript (`ts.ts`, `cells_ts.ts`, `norm_ts.ts`,
 * generic over the float array type) and once in AssemblyScript (`wasm/kernels.as`).
 *
 * The hot kernels take their operands positionally, like BLAS: they run thousands of times
 * per training step, where an options object per call would allocate. Shapes come from the
 * array lengths: `H` = row length, `N` = rows, `V` = vocabulary size, `B` = streams.
 *
 * @module
 */
import type { FloatArray } from "../core/tensor.ts";
import type {
  gruGatesBackward,
  gruGatesForward,
  lstmGatesBackward,
  lstmGatesForward,
} from "./cells_ts.ts";
import type { GemmKernel, GemmPlan } from "./gemm.ts";
import type { layerNormBlocksBackward, layerNormBlocksForward } from "./norm_ts.ts";

/** The backends, fastest first; `f64` is the float64 reference. */
export type BackendKind = "openblas" | "wasm" | "ts" | "f64";

/** Hyperparameters of {@linkcode Backend.rmsprop}. */
export interface RmsPropStep {
  /** Learning rate. */
  lr: number;
  /** Decay of the mean square. */
  rho: number;
  /** Added to the denominator. */
  eps: number;
}

/** Hyperparameters of {@linkcode Backend.adam}. */
export interface AdamStep {
  /** Learning rate. */
  lr: number;
  /** First-moment decay. */
  beta1: number;
  /** Second-moment decay. */
  beta2: number;
  /** Bias correction `1 - beta1^t`. */
  c1: number;
  /** Bias correction `1 - beta2^t`. */
  c2: number;
  /** Added to the denominator. */
  eps: number;
}

/**
 * Buffers and kernels. The arrays a backend hands out are the only ones its kernels accept
 * (with WebAssembly they are views on one shared memory); they are `Float32Array`s, or
 * `Float64Array`s on the `f64` backend. Models, their optimizers and their clipping share
 * one backend.
 */
export interface Backend {
  /** Which backend this is. */
  readonly kind: BackendKind;
  /** Human-readable description, e.g. `openblas (Cooperlake, ...), up to 2 threads`. */
  readonly detail: string;
  /** Threads for large matrix products (OpenBLAS only; 1 elsewhere). */
  readonly threads: number;
  /** Why faster backends were skipped (empty when the first choice worked). */
  readonly skipped: readonly string[];
  /** `"f32"`, or `"f64"` on the reference backend. */
  readonly float: "f32" | "f64";
  /**
   * A zeroed float buffer.
   *
   * @param n Elements.
   */
  alloc(n: number): FloatArray;
  /**
   * A zeroed int32 buffer (token indices).
   *
   * @param n Elements.
   */
  allocInt32(n: number): Int32Array;
  /**
   * Returns a buffer from {@linkcode Backend.alloc} for reuse.
   *
   * @param a The buffer; it must not be used afterwards.
   */
  free(a: FloatArray | Int32Array): void;
  /**
   * Plans a matrix product.
   *
   * @param plan Shapes, transposes, strides and beta.
   */
  gemm(plan: GemmPlan): GemmKernel;
  /**
   * `a = tanh(a)` in place.
   *
   * @param a Values.
   */
  tanh(a: FloatArray): void;
  /**
   * `dz *= 1 - h^2` (backprop through tanh, given its output `h`).
   *
   * @param dz Gradient, updated in place.
   * @param h The tanh outputs, same length.
   */
  tanhBackward(dz: FloatArray, h: FloatArray): void;
  /**
   * `dst (N,H) [n] = table (R,H) [idx[n]] + bias (H)`.
   *
   * @param dst Output rows.
   * @param table Rows to pick from.
   * @param idx Row index per output row, `(N)`.
   * @param bias Added to every row, `(H)`.
   */
  gatherRows(dst: FloatArray, table: FloatArray, idx: Int32Array, bias: FloatArray): void;
  /**
   * `dst (R,H) [idx[n]] += src (N,H) [n]`.
   *
   * @param dst Accumulator rows.
   * @param src Rows to add.
   * @param idx Destination row per source row, `(N)`.
   */
  scatterAddRows(dst: FloatArray, src: FloatArray, idx: Int32Array): void;
  /**
   * `dst (N,H) [n] = table (H,R) [:, idx[n]] + bias (H)`: {@linkcode Backend.gatherRows}
   * on a transposed table (strided reads: faster than transposing when N is small).
   *
   * @param dst Output rows.
   * @param table Columns to pick from.
   * @param idx Column index per output row, `(N)`.
   * @param bias Added to every row, `(H)`.
   */
  gatherColumns(dst: FloatArray, table: FloatArray, idx: Int32Array, bias: FloatArray): void;
  /**
   * `dst (H,R) [:, idx[n]] += src (N,H) [n]`: {@linkcode Backend.scatterAddRows} into a
   * transposed destination.
   *
   * @param dst Accumulator columns.
   * @param src Rows to add.
   * @param idx Destination column per source row, `(N)`.
   */
  scatterAddColumns(dst: FloatArray, src: FloatArray, idx: Int32Array): void;
  /**
   * `dst (H) += sum over n of src (N,H) [n]`.
   *
   * @param dst Accumulator.
   * @param src Rows.
   */
  addRowSums(dst: FloatArray, src: FloatArray): void;
  /**
   * `dst (C,R) = src (R,C)^T`, or `+=` with `add`.
   *
   * @param dst Output.
   * @param src Input.
   * @param rows R.
   * @param add Accumulate instead of overwrite.
   */
  transpose(dst: FloatArray, src: FloatArray, rows: number, add: boolean): void;
  /**
   * Softmax of each row of `logits (N,V) + bias (V)`, in place. For the loss, writes
   * `stats[2n] = sum_v e^(y_v - max)` and `stats[2n+1] = y_target - max`, so that
   * `-log p_target = log(stats[2n]) - stats[2n+1]`.
   *
   * @param logits Logits, replaced by probabilities.
   * @param bias Output bias.
   * @param targets Target per row, `(N)`.
   * @param stats Output, `(N, 2)`.
   */
  softmaxRows(logits: FloatArray, bias: FloatArray, targets: Int32Array, stats: FloatArray): void;
  /**
   * Gradient of `scale * sum of -log p_target` w.r.t. the logits, in place over the
   * probabilities: `p = (p - onehot) * scale`; and `dbias += column sums of it`.
   *
   * @param p Probabilities `(N,V)`, replaced by the gradient.
   * @param targets Target per row.
   * @param dbias Bias gradient accumulator `(V)`.
   * @param scale Usually `1 / N` (mean loss).
   */
  softmaxBackward(p: FloatArray, targets: Int32Array, dbias: FloatArray, scale: number): void;
  /**
   * SGD: `w -= lr g`.
   *
   * @param w Parameters.
   * @param g Gradients.
   * @param lr Learning rate.
   */
  sgd(w: FloatArray, g: FloatArray, lr: number): void;
  /**
   * Adagrad: `m += g^2; w -= lr g / sqrt(m + eps)`.
   *
   * @param w Parameters.
   * @param g Gradients.
   * @param m Accumulated squares.
   * @param options Learning rate and eps.
   */
  adagrad(w: FloatArray, g: FloatArray, m: FloatArray, options: { lr: number; eps: number }): void;
  /**
   * RMSProp: `ms = rho ms + (1 - rho) g^2; w -= lr g / (sqrt(ms) + eps)`.
   *
   * @param w Parameters.
   * @param g Gradients.
   * @param ms Mean squares.
   * @param options Learning rate, decay and eps.
   */
  rmsprop(w: FloatArray, g: FloatArray, ms: FloatArray, options: RmsPropStep): void;
  /**
   * Adam: `m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w -= lr (m / c1) / (sqrt(v / c2) + eps)`.
   *
   * @param w Parameters.
   * @param g Gradients.
   * @param moments First and second moments `[m, v]`.
   * @param step Hyperparameters and bias corrections.
   */
  adam(w: FloatArray, g: FloatArray, moments: [FloatArray, FloatArray], step: AdamStep): void;
  /**
   * Sum of squares (accumulated in float64).
   *
   * @param a Values.
   */
  sumSquares(a: FloatArray): number;
  /**
   * Clamps every entry to `[-limit, limit]`; returns whether any changed.
   *
   * @param a Values, in place.
   * @param limit The bound.
   */
  clamp(a: FloatArray, limit: number): boolean;
  /**
   * `a *= s`.
   *
   * @param a Values, in place.
   * @param s Factor.
   */
  scale(a: FloatArray, s: number): void;
  /**
   * `dst = a * b` elementwise (`dst` may be `a`): dropout masks.
   *
   * @param dst Output.
   * @param a Values.
   * @param b Factors.
   */
  multiply(dst: FloatArray, a: FloatArray, b: FloatArray): void;
  /** One LSTM step's gates and states: {@linkcode lstmGatesForward}'s arguments and equations. */
  lstmForward(...args: Parameters<typeof lstmGatesForward>): void;
  /** One LSTM step's backward: {@linkcode lstmGatesBackward}'s arguments and equations. */
  lstmBackward(...args: Parameters<typeof lstmGatesBackward>): void;
  /** One GRU step: {@linkcode gruGatesForward}'s arguments and equations. */
  gruForward(...args: Parameters<typeof gruGatesForward>): void;
  /** One GRU step's backward: {@linkcode gruGatesBackward}'s arguments and equations. */
  gruBackward(...args: Parameters<typeof gruGatesBackward>): void;
  /** Layer norm of blocks: {@linkcode layerNormBlocksForward}'s arguments and equations. */
  layerNorm(...args: Parameters<typeof layerNormBlocksForward>): void;
  /** Its backward: {@linkcode layerNormBlocksBackward}'s arguments and equations. */
  layerNormBackward(...args: Parameters<typeof layerNormBlocksBackward>): void;
}
