/**
 * Matrix products: the plan every backend takes (`C = beta*C + op(A) op(B)`, row-major) and
 * its plain TypeScript kernel, generic over the float array type (float32 for the `ts`
 * backend, float64 for the `f64` reference).
 *
 * Legend: M, N, K = the sizes of `C (M,N) = op(A) (M,K) * op(B) (K,N)`; row-major storage.
 *
 * @module
 */
import type { FloatArray } from "../core/tensor.ts";

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
 * The arrays must come from the backend that made the kernel.
 */
export type GemmKernel = (a: FloatArray, b: FloatArray, c: FloatArray) => void;

/**
 * Fills in a plan's defaults and checks it.
 *
 * @param plan The plan.
 * @returns The complete plan.
 * @throws {RangeError} when a size or stride is invalid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(resolveGemmPlan({ m: 2, n: 3, k: 4, transB: true }).ldb, 4);
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

/**
 * The TypeScript GEMM for one plan: `C = beta*C + op(A) op(B)` on any float arrays.
 *
 * @param plan Shapes, transposes, leading dimensions and beta.
 * @returns The kernel `(a, b, c) => void`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const mul = tsGemm(resolveGemmPlan({ m: 1, n: 1, k: 2 }));
 * const c = new Float64Array(1);
 * mul(Float64Array.from([1, 2]), Float64Array.from([3, 4]), c);
 * assert.equal(c[0], 11);
 * ```
 */
export function tsGemm(plan: ResolvedGemmPlan): GemmKernel {
  const { m, n, k, transA, transB, lda, ldb, ldc, beta } = plan;
  const ars = transA ? 1 : lda, acs = transA ? lda : 1; // A(i,p) = a[i*ars + p*acs]
  if (transB) {
    // dot form: C(i,j) = sum_p A(i,p) B(j,p), B stored (n, k)
    return function gemmDot(a, b, c) {
      for (let i = 0; i < m; i++) {
        const ai = i * ars, ci = i * ldc;
        for (let j = 0; j < n; j++) {
          const bj = j * ldb;
          let s = 0;
          for (let p = 0; p < k; p++) s += a[ai + p * acs]! * b[bj + p]!;
          c[ci + j] = beta === 0 ? s : s + beta * c[ci + j]!;
        }
      }
    };
  }
  // axpy form: row i of C += A(i,p) * row p of B, B stored (k, n); 4 values of p at a time
  return function gemmAxpy(a, b, c) {
    for (let i = 0; i < m; i++) {
      const ci = i * ldc, ai = i * ars;
      if (beta === 0) c.fill(0, ci, ci + n);
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        const a0 = a[ai + p * acs]!, a1 = a[ai + (p + 1) * acs]!;
        const a2 = a[ai + (p + 2) * acs]!, a3 = a[ai + (p + 3) * acs]!;
        const b0 = p * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        for (let j = 0; j < n; j++) {
          c[ci + j] = c[ci + j]! + a0 * b[b0 + j]! + a1 * b[b1 + j]! + a2 * b[b2 + j]! +
            a3 * b[b3 + j]!;
        }
      }
      for (; p < k; p++) {
        const a0 = a[ai + p * acs]!, b0 = p * ldb;
        for (let j = 0; j < n; j++) c[ci + j] = c[ci + j]! + a0 * b[b0 + j]!;
      }
    }
  };
}
