/**
 * The WebAssembly kernels module: compiled once per process from the embedded build of
 * `wasm/kernels.as` (relaxed SIMD when the runtime validates it, else strict SIMD), the
 * functions it exports, and its matrix products as {@linkcode GemmKernel}s.
 *
 * @module
 */
import { type GemmKernel, type ResolvedGemmPlan, tsGemm } from "./gemm.ts";
import { KERNELS_WASM_RELAXED, KERNELS_WASM_STRICT } from "./wasm/kernels_wasm.ts";

/** The functions exported by the kernels module (pointers are byte offsets). */
export interface Exports {
  sgemm(...args: number[]): void;
  sgemmNT(...args: number[]): void;
  sgemv(...args: number[]): void;
  sgemvT(...args: number[]): void;
  tanhInPlace(p: number, n: number, one: number): void;
  tanhBackward(dz: number, h: number, n: number, one: number): void;
  gatherRows(dst: number, table: number, idx: number, bias: number, N: number, H: number): void;
  scatterAddRows(dst: number, src: number, idx: number, N: number, H: number): void;
  gatherCols(...args: number[]): void;
  scatterAddCols(...args: number[]): void;
  addRowSums(dst: number, src: number, N: number, H: number): void;
  transpose(dst: number, src: number, R: number, C: number, add: number): void;
  softmaxRows(...args: number[]): void;
  softmaxBackward(...args: number[]): void;
  sgd(w: number, g: number, n: number, lr: number): void;
  adagrad(w: number, g: number, m: number, n: number, lr: number, eps: number): void;
  rmsprop(...args: number[]): void;
  adam(...args: number[]): void;
  sumSquares(p: number, n: number): number;
  clampInPlace(p: number, n: number, limit: number): number;
  scaleInPlace(p: number, n: number, s: number): void;
  multiply(dst: number, a: number, b: number, n: number): void;
  lstmForward(...args: number[]): void;
  lstmBackward(...args: number[]): void;
  gruForward(...args: number[]): void;
  gruBackward(...args: number[]): void;
  layerNorm(...args: number[]): void;
  layerNormBackward(...args: number[]): void;
}

/** The compiled kernels, or why they cannot run here. */
export type WasmSupport = { module: WebAssembly.Module; variant: "relaxed" | "strict" } | {
  module: null;
  reason: string;
};

let support: WasmSupport | undefined;

/**
 * Compiles the embedded kernels (once): the relaxed-SIMD build when this runtime validates
 * it, else the strict one; `module: null` with a reason when neither runs (no SIMD, or no
 * shared memory).
 *
 * @returns The module and its variant, or the reason.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = wasmSupport();
 * assert.ok(s.module !== null || s.reason.length > 0);
 * ```
 */
export function wasmSupport(): WasmSupport {
  if (support) return support;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return support = { module: null, reason: "shared WebAssembly memory is not supported" };
  }
  for (
    const [variant, b64] of [["relaxed", KERNELS_WASM_RELAXED], [
      "strict",
      KERNELS_WASM_STRICT,
    ]] as const
  ) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    if (WebAssembly.validate(bytes)) {
      return support = { module: new WebAssembly.Module(bytes), variant };
    }
  }
  return support = { module: null, reason: "WebAssembly SIMD is not supported by this runtime" };
}

/**
 * A planned product on the wasm kernels (a `b` that is transposed in `a` needs no copy).
 *
 * @param ex The instance's exports.
 * @param plan The product.
 * @returns Its kernel.
 */
export function wasmGemm(ex: Exports, plan: ResolvedGemmPlan): GemmKernel {
  const { m, n, k, transA, transB, lda, ldb, ldc, beta } = plan;
  if (transA && transB) return tsGemm(plan); // not used by the models; correct but slow
  if (m === 1 && (!transA || lda === 1)) {
    // a row vector times op(B): a matrix-vector product on B
    if (transB) {
      return (a, b, c) => ex.sgemv(n, k, b.byteOffset, ldb, a.byteOffset, c.byteOffset, beta);
    }
    return (a, b, c) => ex.sgemvT(k, n, b.byteOffset, ldb, a.byteOffset, c.byteOffset, beta);
  }
  if (transB) {
    return (a, b, c) =>
      ex.sgemmNT(m, n, k, a.byteOffset, lda, b.byteOffset, ldb, c.byteOffset, ldc, beta);
  }
  const ars = transA ? 1 : lda, acs = transA ? lda : 1;
  return (a, b, c) =>
    ex.sgemm(m, n, k, a.byteOffset, ars, acs, b.byteOffset, ldb, c.byteOffset, ldc, beta);
}
