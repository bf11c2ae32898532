/**
 * The fast float32 engine behind `FastRnn` (`rnn_fast.ts`): matrix products and elementwise
 * kernels on one of three backends, chosen at start-up.
 *
 * - `openblas`: the system's OpenBLAS through Deno FFI for the matrix products, with the
 *   WebAssembly SIMD kernels for the elementwise work (tanh, softmax, scatter, optimizers).
 * - `wasm`: everything on the WebAssembly SIMD kernels (`wasm/kernels.as`, embedded).
 * - `ts`: plain TypeScript loops: the last resort, and the reference in the tests.
 *
 * `kind: "auto"` takes the first that works and records in `skipped` why others did not
 * (no `--allow-ffi`, library missing, no WebAssembly SIMD).
 *
 * @module
 */
import { openBlas } from "./openblas.ts";
import { TsWorkspace } from "./ts.ts";
import type { Engine, EngineKind, Workspace } from "./types.ts";
import { wasmSupport, WasmWorkspace } from "./wasm.ts";

export type {
  AdamStep,
  Engine,
  EngineKind,
  GemmKernel,
  GemmPlan,
  ResolvedGemmPlan,
  Workspace,
} from "./types.ts";
export { resolveGemmPlan } from "./types.ts";
export { workspaceOf } from "./wasm.ts";

/** The values `createEngine`'s `kind` accepts (for CLI validation). */
export const ENGINE_KINDS: readonly (EngineKind | "auto")[] = ["auto", "openblas", "wasm", "ts"];

/** Options of {@linkcode createEngine}. */
export interface EngineOptions {
  /** Backend, or `"auto"` (default): openblas, else wasm, else ts. */
  kind?: EngineKind | "auto";
  /**
   * Threads for large matrix products (OpenBLAS only; small products always use one);
   * default `min(2, navigator.hardwareConcurrency)`.
   */
  threads?: number;
  /** An OpenBLAS library file to try first. */
  blasPath?: string;
}

/**
 * Chooses a backend.
 *
 * @param options Backend kind, threads, library path.
 * @returns The engine; `kind` and `detail` say what runs.
 * @throws {RangeError} for an unknown kind or an invalid thread count.
 * @throws {Error} when an explicitly requested backend cannot run here (with the reason).
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/assert.ts";
 * const engine = createEngine({ kind: "wasm" });
 * assertEquals(engine.kind, "wasm");
 * const ws = engine.createWorkspace();
 * const c = ws.alloc(1);
 * const a = ws.alloc(2), b = ws.alloc(2);
 * a.set([1, 2]);
 * b.set([3, 4]);
 * ws.gemm({ m: 1, n: 1, k: 2 })(a, b, c); // (1,2) @ (2,1)
 * assertEquals(c[0], 11);
 * ```
 */
export function createEngine(options: EngineOptions = {}): Engine {
  const { kind = "auto", blasPath } = options;
  if (!ENGINE_KINDS.includes(kind)) {
    throw new RangeError(`Unknown engine "${kind}": expected one of ${ENGINE_KINDS.join(", ")}`);
  }
  const threads = options.threads ?? Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1));
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 256) {
    throw new RangeError(`Invalid threads ${threads}: expected an integer from 1 to 256`);
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
      const gemm = blas.gemm;
      return makeEngine({
        kind: "openblas",
        detail: `openblas (${blas.core}, ${blas.path}), up to ${threads} thread` +
          `${threads > 1 ? "s" : ""}, ${elementwise} elementwise${env}`,
        threads,
        skipped,
        workspace: (engine) =>
          wasm.module
            ? new WasmWorkspace(engine, (plan) => gemm(plan, threads))
            : new TsWorkspace(engine, (plan) => gemm(plan, threads)),
      });
    } catch (e) {
      const reason = `openblas: ${(e as Error).message}`;
      if (kind === "openblas") throw new Error(`Cannot use the openblas engine: ${reason}`);
      skipped.push(reason);
    }
  }
  if (kind === "wasm" || kind === "auto") {
    if (wasm.module) {
      return makeEngine({
        kind: "wasm",
        detail: `wasm (${wasm.variant}-SIMD kernels), 1 thread`,
        threads: 1,
        skipped,
        workspace: (engine) => new WasmWorkspace(engine),
      });
    }
    if (kind === "wasm") throw new Error(`Cannot use the wasm engine: ${wasm.reason}`);
    skipped.push(`wasm: ${wasm.reason}`);
  }
  return makeEngine({
    kind: "ts",
    detail: "ts (plain TypeScript kernels), 1 thread",
    threads: 1,
    skipped,
    workspace: (engine) => new TsWorkspace(engine),
  });
}

function makeEngine(parts: {
  kind: EngineKind;
  detail: string;
  threads: number;
  skipped: string[];
  workspace: (engine: Engine) => Workspace;
}): Engine {
  const { workspace, ...rest } = parts;
  const engine: Engine = {
    ...rest,
    createWorkspace: () => workspace(engine),
  };
  return Object.freeze(engine);
}
