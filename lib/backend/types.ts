/**
 * The types of the fast float32 engine (see `engine.ts`): a backend kind, GEMM plans,
 * and the workspace a model allocates its buffers from and runs its kernels in.
 *
 * Legend: M, N, K = the sizes of `C (M,N) = op(A) (M,K) * op(B) (K,N)`; row-major storage.
 *
 * @module
 */

/** The backends, fastest first: OpenBLAS through FFI, WebAssembly SIMD, plain TypeScript. */
export type EngineKind = "openblas" | "wasm" | "ts";

/**
 * One matrix product `C (m,n) = beta * C + op(A) (m,k) * op(B) (k,n)`, row-major, alpha 1.
 * `op(X)` is `X` or, with `transA`/`transB`, `X^T` (then X is stored transposed).
 */
export interface GemmPlan {
  /** Rows of C. */
  m: number;
  /** Columns of C. */
  n: number;
  /** The shared dimension. */
  k: number;
  /** A is stored `(k, m)` and used transposed; default false (stored `(m, k)`). */
  transA?: boolean;
  /** B is stored `(n, k)` and used transposed; default false (stored `(k, n)`). */
  transB?: boolean;
  /** Row stride of A as stored; default its row length (`m` if transA, else `k`). */
  lda?: number;
  /** Row stride of B as stored; default its row length (`k` if transB, else `n`). */
  ldb?: number;
  /** Row stride of C; default `n`. */
  ldc?: number;
  /** 0 overwrites C (default), 1 accumulates into it. */
  beta?: number;
}

/** A {@linkcode GemmPlan} with every default filled in. */
export type ResolvedGemmPlan = Required<GemmPlan>;

/**
 * A planned matrix product: multiplies `a` by `b` into `c` with the plan's shapes.
 * The arrays must come from the workspace that made the kernel.
 */
export type GemmKernel = (a: Float32Array, b: Float32Array, c: Float32Array) => void;

/** Hyperparameters of {@linkcode Workspace.adam}. */
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
 * Buffers and kernels of one model on one engine. The arrays a workspace hands out are
 * the only ones its kernels accept (with WebAssembly they are views on one shared memory).
 *
 * The hot kernels take their operands positionally, like BLAS: they run thousands of times
 * per training step, where an options object per call would allocate. Shapes come from the
 * array lengths: `H` = row length, `N` = rows, `V` = vocabulary size.
 */
export interface Workspace {
  /** The engine this workspace belongs to. */
  readonly engine: Engine;
  /**
   * A zeroed float32 buffer.
   *
   * @param n Elements.
   */
  alloc(n: number): Float32Array;
  /**
   * A zeroed int32 buffer (token indices).
   *
   * @param n Elements.
   */
  allocInt32(n: number): Int32Array;
  /**
   * Returns a buffer from {@linkcode Workspace.alloc} for reuse.
   *
   * @param a The buffer; it must not be used afterwards.
   */
  free(a: Float32Array | Int32Array): void;
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
  tanh(a: Float32Array): void;
  /**
   * `dz *= 1 - h^2` (backprop through tanh, given its output `h`).
   *
   * @param dz Gradient, updated in place.
   * @param h The tanh outputs, same length.
   */
  tanhBackward(dz: Float32Array, h: Float32Array): void;
  /**
   * `dst (N,H) [n] = table (R,H) [idx[n]] + bias (H)`.
   *
   * @param dst Output rows.
   * @param table Rows to pick from.
   * @param idx Row index per output row, `(N)`.
   * @param bias Added to every row, `(H)`.
   */
  gatherRows(dst: Float32Array, table: Float32Array, idx: Int32Array, bias: Float32Array): void;
  /**
   * `dst (R,H) [idx[n]] += src (N,H) [n]`.
   *
   * @param dst Accumulator rows.
   * @param src Rows to add.
   * @param idx Destination row per source row, `(N)`.
   */
  scatterAddRows(dst: Float32Array, src: Float32Array, idx: Int32Array): void;
  /**
   * `dst (N,H) [n] = table (H,R) [:, idx[n]] + bias (H)`: {@linkcode Workspace.gatherRows}
   * on a transposed table (strided reads: faster than transposing when N is small).
   *
   * @param dst Output rows.
   * @param table Columns to pick from.
   * @param idx Column index per output row, `(N)`.
   * @param bias Added to every row, `(H)`.
   */
  gatherColumns(dst: Float32Array, table: Float32Array, idx: Int32Array, bias: Float32Array): void;
  /**
   * `dst (H,R) [:, idx[n]] += src (N,H) [n]`: {@linkcode Workspace.scatterAddRows} into a
   * transposed destination.
   *
   * @param dst Accumulator columns.
   * @param src Rows to add.
   * @param idx Destination column per source row, `(N)`.
   */
  scatterAddColumns(dst: Float32Array, src: Float32Array, idx: Int32Array): void;
  /**
   * `dst (H) += sum over n of src (N,H) [n]`.
   *
   * @param dst Accumulator.
   * @param src Rows.
   */
  addRowSums(dst: Float32Array, src: Float32Array): void;
  /**
   * `dst (C,R) = src (R,C)^T`, or `+=` with `add`.
   *
   * @param dst Output.
   * @param src Input.
   * @param rows R.
   * @param add Accumulate instead of overwrite.
   */
  transpose(dst: Float32Array, src: Float32Array, rows: number, add: boolean): void;
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
  softmaxRows(
    logits: Float32Array,
    bias: Float32Array,
    targets: Int32Array,
    stats: Float32Array,
  ): void;
  /**
   * Gradient of `scale * sum of -log p_target` w.r.t. the logits, in place over the
   * probabilities: `p = (p - onehot) * scale`; and `dbias += column sums of it`.
   *
   * @param p Probabilities `(N,V)`, replaced by the gradient.
   * @param targets Target per row.
   * @param dbias Bias gradient accumulator `(V)`.
   * @param scale Usually `1 / N` (mean loss).
   */
  softmaxBackward(p: Float32Array, targets: Int32Array, dbias: Float32Array, scale: number): void;
  /**
   * Adagrad, as in `optim.ts`: `m += g^2; w -= lr g / sqrt(m + eps)`.
   *
   * @param w Parameters.
   * @param g Gradients.
   * @param m Accumulated squares.
   * @param options Learning rate and eps.
   */
  adagrad(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    options: { lr: number; eps: number },
  ): void;
  /**
   * Adam, as in `optim.ts`.
   *
   * @param w Parameters.
   * @param g Gradients.
   * @param moments First and second moments `[m, v]`.
   * @param step Hyperparameters and bias corrections.
   */
  adam(
    w: Float32Array,
    g: Float32Array,
    moments: [Float32Array, Float32Array],
    step: AdamStep,
  ): void;
  /**
   * Sum of squares (accumulated in float64).
   *
   * @param a Values.
   */
  sumSquares(a: Float32Array): number;
  /**
   * Clamps every entry to `[-limit, limit]`; returns whether any changed.
   *
   * @param a Values, in place.
   * @param limit The bound.
   */
  clamp(a: Float32Array, limit: number): boolean;
  /**
   * `a *= s`.
   *
   * @param a Values, in place.
   * @param s Factor.
   */
  scale(a: Float32Array, s: number): void;
  /**
   * `dst = a * b` elementwise (`dst` may be `a`): dropout masks.
   *
   * @param dst Output.
   * @param a Values.
   * @param b Factors.
   */
  multiply(dst: Float32Array, a: Float32Array, b: Float32Array): void;
  /**
   * One LSTM step's gates and states (see `engine_cells.ts`, `lstmStepForward`).
   *
   * @param gates `(B, 4H)` pre-activations, replaced by the activations i, f, o, g.
   * @param cPrev `(B, H)` c_{t-1}.
   * @param c `(B, H)` output c_t.
   * @param tanhC `(B, H)` output tanh(c_t).
   * @param h `(B, H)` output h_t.
   * @param H Hidden size.
   */
  lstmForward(
    gates: Float32Array,
    cPrev: Float32Array,
    c: Float32Array,
    tanhC: Float32Array,
    h: Float32Array,
    H: number,
  ): void;
  /**
   * One LSTM step's backward (see `engine_cells.ts`, `lstmStepBackward`).
   *
   * @param gates `(B, 4H)` activations.
   * @param cPrev `(B, H)` c_{t-1}.
   * @param tanhC `(B, H)` tanh(c_t).
   * @param dh `(B, H)` dL/dh_t.
   * @param dc `(B, H)` dL/dc_t, replaced by dL/dc_{t-1}.
   * @param dGates `(B, 4H)` output.
   * @param H Hidden size.
   */
  lstmBackward(
    gates: Float32Array,
    cPrev: Float32Array,
    tanhC: Float32Array,
    dh: Float32Array,
    dc: Float32Array,
    dGates: Float32Array,
    H: number,
  ): void;
  /**
   * One GRU step (see `engine_cells.ts`, `gruStepForward`).
   *
   * @param gates `(B, 3H)` input side, replaced by the activations r, z, n.
   * @param ah `(B, 3H)` hidden side.
   * @param bhn `(H)` hidden-side bias of n.
   * @param hPrev `(B, H)` h_{t-1}.
   * @param h `(B, H)` output h_t.
   * @param hn `(B, H)` output: `Wh_n h_{t-1} + bhn`.
   */
  gruForward(
    gates: Float32Array,
    ah: Float32Array,
    bhn: Float32Array,
    hPrev: Float32Array,
    h: Float32Array,
    hn: Float32Array,
  ): void;
  /**
   * One GRU step's backward (see `engine_cells.ts`, `gruStepBackward`).
   *
   * @param gates `(B, 3H)` activations.
   * @param hn `(B, H)` the reset's operand.
   * @param hPrev `(B, H)` h_{t-1}.
   * @param dh `(B, H)` dL/dh_t.
   * @param dax `(B, 3H)` output, input side.
   * @param dah `(B, 3H)` output, hidden side.
   * @param dbhn `(H)` accumulator.
   * @param dhPrev `(B, H)` accumulator of the direct path `z dh`.
   */
  gruBackward(
    gates: Float32Array,
    hn: Float32Array,
    hPrev: Float32Array,
    dh: Float32Array,
    dax: Float32Array,
    dah: Float32Array,
    dbhn: Float32Array,
    dhPrev: Float32Array,
  ): void;
}

/** A chosen backend; models make their own {@linkcode Workspace} from it. */
export interface Engine {
  /** Which backend runs the matrix products. */
  readonly kind: EngineKind;
  /** Human-readable description, e.g. `openblas (OpenBLAS 0.3.21 Cooperlake), 2 threads`. */
  readonly detail: string;
  /** Threads for large matrix products (OpenBLAS only; 1 elsewhere). */
  readonly threads: number;
  /** Why faster backends were skipped (empty when the first choice worked). */
  readonly skipped: readonly string[];
  /** A new workspace for one model. */
  createWorkspace(): Workspace;
}

/**
 * Fills in a plan's defaults and checks it.
 *
 * @param plan The plan.
 * @returns The complete plan.
 * @throws {RangeError} when a size or stride is invalid.
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/assert.ts";
 * assertEquals(resolveGemmPlan({ m: 2, n: 3, k: 4, transB: true }).ldb, 4);
 * ```
 */
export function resolveGemmPlan(plan: GemmPlan): ResolvedGemmPlan {
  const { m, n, k, transA = false, transB = false, beta = 0 } = plan;
  const lda = plan.lda ?? (transA ? m : k);
  const ldb = plan.ldb ?? (transB ? k : n);
  const ldc = plan.ldc ?? n;
  for (const [name, v] of [["m", m], ["n", n], ["k", k]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`Invalid gemm size ${name} ${v}: expected an integer >= 0`);
    }
  }
  const minimum = { lda: transA ? m : k, ldb: transB ? k : n, ldc: n };
  for (const [name, v] of [["lda", lda], ["ldb", ldb], ["ldc", ldc]] as const) {
    if (!Number.isSafeInteger(v) || v < Math.max(1, minimum[name])) {
      throw new RangeError(
        `Invalid gemm stride ${name} ${v}: expected an integer >= ${Math.max(1, minimum[name])}`,
      );
    }
  }
  if (beta !== 0 && beta !== 1) {
    throw new RangeError(`Invalid gemm beta ${beta}: expected 0 or 1`);
  }
  return { m, n, k, transA, transB, lda, ldb, ldc, beta };
}
