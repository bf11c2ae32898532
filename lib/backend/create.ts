/**
 * Choosing a backend at start-up (see `types.ts` for the interface):
 *
 * - `openblas`: the system's OpenBLAS through Deno FFI for the matrix products, with the
 *   WebAssembly SIMD kernels for the elementwise work (tanh, softmax, scatter, optimizers).
 * - `wasm`: everything on the WebAssembly SIMD kernels (`wasm/kernels.as`, embedded).
 * - `ts`: plain TypeScript loops in float32: the last resort.
 * - `f64`: the same TypeScript loops in float64: the reference of the gradient checks.
 *
 * `kind: "auto"` takes the first of openblas, wasm, ts that works and records in `skipped`
 * why others did not (no `--allow-ffi`, library missing, no WebAssembly SIMD).
 *
 * @module
 */
import { openBlas } from "./openblas.ts";
import { TsBackend } from "./ts.ts";
import type { Backend, BackendKind } from "./types.ts";
import { WasmBackend } from "./wasm.ts";
import { wasmSupport } from "./wasm_module.ts";

/** The values {@linkcode createBackend}'s `kind` accepts (for CLI validation). */
export const BACKEND_KINDS: readonly (BackendKind | "auto")[] = [
  "auto",
  "openblas",
  "wasm",
  "ts",
  "f64",
];

/** Options of {@linkcode createBackend}. */
export interface BackendOptions {
  /** Backend, or `"auto"` (default): openblas, else wasm, else ts. */
  kind?: BackendKind | "auto";
  /**
   * Threads for large matrix products (OpenBLAS only; small products always use one);
   * default `min(2, navigator.hardwareConcurrency)`.
   */
  threads?: number;
  /** An OpenBLAS library file to try first. */
  blasPath?: string;
}

/**
 * Creates a backend: a fresh set of buffers (one WebAssembly memory for wasm and openblas)
 * with the chosen kernels. A model, its optimizer and its clipping share one backend.
 *
 * @param options Backend kind, threads, library path.
 * @returns The backend; `kind` and `detail` say what runs.
 * @throws {RangeError} for an unknown kind or an invalid thread count.
 * @throws {Error} when an explicitly requested backend cannot run here (with the reason).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const backend = createBackend({ kind: "wasm" });
 * assert.equal(backend.kind, "wasm");
 * const a = backend.alloc(2), b = backend.alloc(2), c = backend.alloc(1);
 * a.set([1, 2]);
 * b.set([3, 4]);
 * backend.gemm({ m: 1, n: 1, k: 2 })(a, b, c); // (1,2) @ (2,1)
 * assert.equal(c[0], 11);
 * assert.equal(createBackend({ kind: "f64" }).alloc(1) instanceof Float64Array, true);
 * ```
 */
export function createBackend(options: BackendOptions = {}): Backend {
  const { kind = "auto", blasPath } = options;
  if (!BACKEND_KINDS.includes(kind)) {
    throw new RangeError(
      `Unknown backend "${kind}": expected one of ${BACKEND_KINDS.join(", ")}`,
    );
  }
  const threads = options.threads ?? Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1));
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 256) {
    throw new RangeError(`Invalid threads ${threads}: expected an integer from 1 to 256`);
  }
  if (kind === "f64") {
    return new TsBackend({
      kind: "f64",
      detail: "f64 (float64 TypeScript reference), 1 thread",
      array: Float64Array,
    });
  }
  const skipped: string[] = [];
  const wasm = wasmSupport();
  if (kind === "openblas" || kind === "auto") {
    try {
      const blas = openBlas(blasPath);
      const elementwise = wasm.module ? `wasm ${wasm.variant}-SIMD` : "TypeScript";
      const env = blas.keptEnv.length > 0
        ? `; ${blas.keptEnv.join(", ")} kept (no --allow-env): slower kernels`
        : "";
      const detail = `openblas (${blas.core}, ${blas.path}), up to ${threads} thread` +
        `${threads > 1 ? "s" : ""}, ${elementwise} elementwise${env}`;
      const gemm = blas.gemm;
      const options = { kind: "openblas", detail, threads, skipped } as const;
      return wasm.module
        ? new WasmBackend({ ...options, gemm: (plan) => gemm(plan, threads) })
        : new TsBackend({ ...options, array: Float32Array, gemm: (plan) => gemm(plan, threads) });
    } catch (e) {
      const reason = `openblas: ${(e as Error).message}`;
      if (kind === "openblas") throw new Error(`Cannot use the openblas backend: ${reason}`);
      skipped.push(reason);
    }
  }
  if (kind === "wasm" || kind === "auto") {
    if (wasm.module) {
      return new WasmBackend({
        kind: "wasm",
        detail: `wasm (${wasm.variant}-SIMD kernels), 1 thread`,
        skipped,
      });
    }
    if (kind === "wasm") throw new Error(`Cannot use the wasm backend: ${wasm.reason}`);
    skipped.push(`wasm: ${wasm.reason}`);
  }
  return new TsBackend({
    kind: "ts",
    detail: "ts (plain TypeScript kernels, float32), 1 thread",
    array: Float32Array,
    skipped,
  });
}
