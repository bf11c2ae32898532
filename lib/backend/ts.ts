/**
 * The plain TypeScript kernels of the fast engine: the last-resort backend when neither
 * OpenBLAS nor WebAssembly SIMD is available, and the reference the other backends are
 * tested against. float32 storage, row-major, no allocation per call.
 *
 * @module
 */
import {
  type AdamStep,
  type Engine,
  type GemmKernel,
  type GemmPlan,
  type ResolvedGemmPlan,
  resolveGemmPlan,
  type Workspace,
} from "./types.ts";
import {
  gruStepBackward,
  gruStepForward,
  lstmStepBackward,
  lstmStepForward,
  multiplyInto,
} from "./cells_ts.ts";

/**
 * A TypeScript GEMM for one plan: `C = beta*C + op(A) op(B)` (see {@linkcode ResolvedGemmPlan}).
 *
 * @param plan Shapes, transposes, leading dimensions and beta.
 * @returns The kernel `(a, b, c) => void`.
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/assert.ts";
 * const mul = tsGemm({ m: 1, n: 1, k: 2, transA: false, transB: false, lda: 2, ldb: 1, ldc: 1, beta: 0 });
 * const c = new Float32Array(1);
 * mul(Float32Array.from([1, 2]), Float32Array.from([3, 4]), c);
 * assertEquals(c[0], 11);
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
      else if (beta !== 1) { for (let j = 0; j < n; j++) c[ci + j] = beta * c[ci + j]!; }
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

/**
 * A workspace on plain `Float32Array`s with the TypeScript kernels; the OpenBLAS backend
 * uses it too when WebAssembly SIMD is missing (then only its matrix products differ).
 */
export class TsWorkspace implements Workspace {
  /** The engine this workspace belongs to. */
  readonly engine: Engine;
  #gemm: (plan: ResolvedGemmPlan) => GemmKernel;

  /**
   * Creates a workspace.
   *
   * @param engine The owning engine.
   * @param gemm Planner of the matrix products; default {@linkcode tsGemm}.
   * @example
   * ```ts
   * import { assertEquals } from "../../tests/assert.ts";
   * import { createEngine } from "./create.ts";
   * const ws = new TsWorkspace(createEngine({ kind: "ts" }));
   * const a = ws.alloc(2);
   * a.set([1, -1]);
   * assertEquals(ws.sumSquares(a), 2);
   * ```
   */
  constructor(engine: Engine, gemm: (plan: ResolvedGemmPlan) => GemmKernel = tsGemm) {
    this.engine = engine;
    this.#gemm = gemm;
  }

  /** See {@linkcode Workspace.alloc}. @param n Elements. @returns Zeros. */
  alloc(n: number): Float32Array {
    return new Float32Array(n);
  }

  /** See {@linkcode Workspace.allocInt32}. @param n Elements. @returns Zeros. */
  allocInt32(n: number): Int32Array {
    return new Int32Array(n);
  }

  /** Nothing to do: the garbage collector frees plain arrays. */
  free(): void {}

  /** See {@linkcode Workspace.gemm}. @param plan The product. @returns Its kernel. */
  gemm(plan: GemmPlan): GemmKernel {
    return this.#gemm(resolveGemmPlan(plan));
  }

  /** See {@linkcode Workspace.tanh}. @param a Values. */
  tanh(a: Float32Array): void {
    for (let i = 0; i < a.length; i++) a[i] = Math.tanh(a[i]!);
  }

  /** See {@linkcode Workspace.tanhBackward}. @param dz Gradient. @param h Tanh outputs. */
  tanhBackward(dz: Float32Array, h: Float32Array): void {
    for (let i = 0; i < dz.length; i++) dz[i] = dz[i]! * (1 - h[i]! * h[i]!);
  }

  /**
   * See {@linkcode Workspace.gatherRows}.
   * @param dst Output. @param table Rows. @param idx Indices. @param bias Bias.
   */
  gatherRows(dst: Float32Array, table: Float32Array, idx: Int32Array, bias: Float32Array): void {
    const H = bias.length;
    for (let n = 0; n < idx.length; n++) {
      const s = idx[n]! * H, d = n * H;
      for (let j = 0; j < H; j++) dst[d + j] = table[s + j]! + bias[j]!;
    }
  }

  /** See {@linkcode Workspace.scatterAddRows}. @param dst Rows. @param src Rows. @param idx Indices. */
  scatterAddRows(dst: Float32Array, src: Float32Array, idx: Int32Array): void {
    const H = src.length / idx.length;
    for (let n = 0; n < idx.length; n++) {
      const d = idx[n]! * H, s = n * H;
      for (let j = 0; j < H; j++) dst[d + j] = dst[d + j]! + src[s + j]!;
    }
  }

  /**
   * See {@linkcode Workspace.gatherColumns}.
   * @param dst Output. @param table Columns. @param idx Indices. @param bias Bias.
   */
  gatherColumns(dst: Float32Array, table: Float32Array, idx: Int32Array, bias: Float32Array): void {
    const H = bias.length, R = table.length / H;
    for (let n = 0; n < idx.length; n++) {
      const x = idx[n]!, d = n * H;
      for (let i = 0; i < H; i++) dst[d + i] = table[i * R + x]! + bias[i]!;
    }
  }

  /**
   * See {@linkcode Workspace.scatterAddColumns}.
   * @param dst Columns. @param src Rows. @param idx Indices.
   */
  scatterAddColumns(dst: Float32Array, src: Float32Array, idx: Int32Array): void {
    const H = src.length / idx.length, R = dst.length / H;
    for (let n = 0; n < idx.length; n++) {
      const x = idx[n]!, s = n * H;
      for (let i = 0; i < H; i++) dst[i * R + x] = dst[i * R + x]! + src[s + i]!;
    }
  }

  /** See {@linkcode Workspace.addRowSums}. @param dst Accumulator. @param src Rows. */
  addRowSums(dst: Float32Array, src: Float32Array): void {
    const H = dst.length, N = src.length / H;
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < H; j++) dst[j] = dst[j]! + src[n * H + j]!;
    }
  }

  /**
   * See {@linkcode Workspace.transpose}.
   * @param dst Output. @param src Input. @param rows Rows of src. @param add Accumulate.
   */
  transpose(dst: Float32Array, src: Float32Array, rows: number, add: boolean): void {
    const cols = src.length / rows;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const d = c * rows + r;
        dst[d] = add ? dst[d]! + src[r * cols + c]! : src[r * cols + c]!;
      }
    }
  }

  /**
   * See {@linkcode Workspace.softmaxRows}.
   * @param logits Logits. @param bias Bias. @param targets Targets. @param stats Output.
   */
  softmaxRows(
    logits: Float32Array,
    bias: Float32Array,
    targets: Int32Array,
    stats: Float32Array,
  ): void {
    const V = bias.length;
    for (let n = 0; n < targets.length; n++) {
      const o = n * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) {
        const y = logits[o + v]! + bias[v]!;
        logits[o + v] = y;
        if (y > max) max = y;
      }
      const picked = logits[o + targets[n]!]! - max;
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = Math.exp(logits[o + v]! - max);
        logits[o + v] = e;
        sum += e;
      }
      for (let v = 0; v < V; v++) logits[o + v] = logits[o + v]! / sum;
      stats[2 * n] = sum;
      stats[2 * n + 1] = picked;
    }
  }

  /**
   * See {@linkcode Workspace.softmaxBackward}.
   * @param p Probabilities. @param targets Targets. @param dbias Accumulator. @param scale Factor.
   */
  softmaxBackward(p: Float32Array, targets: Int32Array, dbias: Float32Array, scale: number): void {
    const V = dbias.length;
    for (let n = 0; n < targets.length; n++) {
      const o = n * V;
      p[o + targets[n]!] = p[o + targets[n]!]! - 1;
      for (let v = 0; v < V; v++) {
        const g = p[o + v]! * scale;
        p[o + v] = g;
        dbias[v] = dbias[v]! + g;
      }
    }
  }

  /**
   * See {@linkcode Workspace.adagrad}.
   * @param w Parameters. @param g Gradients. @param m Squares. @param options Rate and eps.
   */
  adagrad(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    options: { lr: number; eps: number },
  ): void {
    const { lr, eps } = options;
    for (let i = 0; i < w.length; i++) {
      m[i] = m[i]! + g[i]! * g[i]!;
      w[i] = w[i]! - lr * g[i]! / Math.sqrt(m[i]! + eps);
    }
  }

  /**
   * See {@linkcode Workspace.adam}.
   * @param w Parameters. @param g Gradients. @param moments `[m, v]`. @param step Settings.
   */
  adam(
    w: Float32Array,
    g: Float32Array,
    moments: [Float32Array, Float32Array],
    step: AdamStep,
  ): void {
    const { lr, beta1, beta2, c1, c2, eps } = step;
    const [m, v] = moments;
    for (let i = 0; i < w.length; i++) {
      m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
      v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
      w[i] = w[i]! - lr * (m[i]! / c1) / (Math.sqrt(v[i]! / c2) + eps);
    }
  }

  /** See {@linkcode Workspace.sumSquares}. @param a Values. @returns The sum. */
  sumSquares(a: Float32Array): number {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
    return s;
  }

  /** See {@linkcode Workspace.clamp}. @param a Values. @param limit Bound. @returns Changed. */
  clamp(a: Float32Array, limit: number): boolean {
    let changed = false;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (v > limit) (a[i] = limit, changed = true);
      else if (v < -limit) (a[i] = -limit, changed = true);
    }
    return changed;
  }

  /** See {@linkcode Workspace.scale}. @param a Values. @param s Factor. */
  scale(a: Float32Array, s: number): void {
    for (let i = 0; i < a.length; i++) a[i] = a[i]! * s;
  }

  /** See {@linkcode Workspace.multiply}. @param dst Output. @param a Values. @param b Factors. */
  multiply(dst: Float32Array, a: Float32Array, b: Float32Array): void {
    multiplyInto(dst, a, b);
  }

  /** See {@linkcode Workspace.lstmForward}. */
  lstmForward(...args: Parameters<Workspace["lstmForward"]>): void {
    lstmStepForward(...args);
  }

  /** See {@linkcode Workspace.lstmBackward}. */
  lstmBackward(...args: Parameters<Workspace["lstmBackward"]>): void {
    lstmStepBackward(...args);
  }

  /** See {@linkcode Workspace.gruForward}. */
  gruForward(...args: Parameters<Workspace["gruForward"]>): void {
    gruStepForward(...args);
  }

  /** See {@linkcode Workspace.gruBackward}. */
  gruBackward(...args: Parameters<Workspace["gruBackward"]>): void {
    gruStepBackward(...args);
  }
}
