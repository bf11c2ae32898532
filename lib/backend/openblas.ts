/**
 * The OpenBLAS backend: `cblas_sgemm`/`cblas_sgemv` of the system's OpenBLAS through Deno FFI
 * (Debian: `apt-get install libopenblas0-pthread`). It needs `--allow-ffi`; `createBackend`
 * falls back to WebAssembly when the permission or the library is missing.
 *
 * @module
 */
import type { GemmKernel, ResolvedGemmPlan } from "./gemm.ts";

/** Where the library is looked for, in order (a `path` option is tried first). */
export const OPENBLAS_PATHS: readonly string[] = [
  `/usr/lib/${Deno.build.arch}-linux-gnu/libopenblas.so.0`,
  "libopenblas.so.0",
  "libopenblas.so",
  "libopenblas.dylib",
];

/**
 * Products of at least this many multiply-adds (`m*n*k`) use all the backend's threads;
 * smaller ones use one: waking a second thread costs more than it saves on a
 * matrix-vector product or a batch-1 chunk (measured on 2 cores: 3-8 us vs 0.6 us for H=100).
 */
export const THREADED_MIN_MACS: number = 1 << 24;

/**
 * Matrix-vector products of at least this many multiply-adds use all the backend's threads:
 * they read every weight once, so two cores stream them from cache about twice as fast
 * (measured on 2 cores: a (2048, 512) sgemv, one LSTM layer's step, 1.9x faster).
 */
export const THREADED_GEMV_MIN_MACS: number = 1 << 19;

// OpenBLAS reads these at load time; they pin older, slower kernels (e.g. CORETYPE=Haswell
// forces AVX2 on an AVX-512 machine, 1.8x slower), so they are dropped before dlopen.
const PINNING_ENV = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // M
      "i32", // N
      "i32", // K
      "f32", // alpha
      "buffer", // A
      "i32", // lda
      "buffer", // B
      "i32", // ldb
      "f32", // beta
      "buffer", // C
      "i32", // ldc
    ],
    result: "void",
  },
  cblas_sgemv: {
    parameters: [
      "i32", // order
      "i32", // trans
      "i32", // M
      "i32", // N
      "f32", // alpha
      "buffer", // A
      "i32", // lda
      "buffer", // x
      "i32", // incx
      "f32", // beta
      "buffer", // y
      "i32", // incy
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_config: { parameters: [], result: "pointer" },
  openblas_get_corename: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

/** An opened OpenBLAS. */
export interface OpenBlas {
  /** The file that was opened. */
  readonly path: string;
  /** `openblas_get_config()`, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake ...`. */
  readonly config: string;
  /** The kernel family in use, e.g. `Cooperlake`. */
  readonly core: string;
  /** Environment variables that pin slow kernels but could not be removed (no --allow-env). */
  readonly keptEnv: readonly string[];
  /**
   * Plans a product.
   *
   * @param plan The resolved plan.
   * @param threads Threads for large products.
   */
  gemm(plan: ResolvedGemmPlan, threads: number): GemmKernel;
}

let opened: OpenBlas | undefined;
let currentThreads = 0; // OpenBLAS's thread count is process-wide: set it only when it changes

/**
 * Opens OpenBLAS (once per process).
 *
 * @param path A library file to try before {@linkcode OPENBLAS_PATHS}.
 * @returns The library.
 * @throws {Error} naming why it cannot be used (no FFI permission, library not found).
 */
export function openBlas(path?: string): OpenBlas {
  if (opened) return opened;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    throw new Error("FFI permission not granted (run with --allow-ffi)");
  }
  const keptEnv: string[] = [];
  for (const variable of PINNING_ENV) {
    if (Deno.permissions.querySync({ name: "env", variable }).state === "granted") {
      Deno.env.delete(variable);
    } else keptEnv.push(variable);
  }
  const errors: string[] = [];
  for (const candidate of path ? [path, ...OPENBLAS_PATHS] : OPENBLAS_PATHS) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(candidate, SYMBOLS);
    } catch (e) {
      errors.push(`${candidate}: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    const s = lib.symbols;
    const text = (p: Deno.PointerValue) => p ? new Deno.UnsafePointerView(p).getCString() : "?";
    currentThreads = 0;
    return opened = {
      path: candidate,
      config: text(s.openblas_get_config()).trim(),
      core: text(s.openblas_get_corename()),
      keptEnv,
      gemm: (plan, threads) => planGemm(s, plan, threads),
    };
  }
  throw new Error(
    `OpenBLAS not found (${errors.join("; ")}); install it with ` +
      `apt-get install libopenblas0-pthread`,
  );
}

function planGemm(
  s: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"],
  plan: ResolvedGemmPlan,
  threads: number,
): GemmKernel {
  const { m, n, k, transA, transB, lda, ldb, ldc, beta } = plan;
  const setThreads = s.openblas_set_num_threads;
  if (m === 1 && (!transA || lda === 1)) {
    const want = n * k >= THREADED_GEMV_MIN_MACS ? threads : 1;
    // a row vector times op(B) is a matrix-vector product on B (B stored (n,k) or (k,n))
    const trans = transB ? NO_TRANS : TRANS, rows = transB ? n : k, cols = transB ? k : n;
    return function sgemv(a, b, c) {
      if (currentThreads !== want) setThreads(currentThreads = want);
      s.cblas_sgemv(ROW_MAJOR, trans, rows, cols, 1, b, ldb, a, 1, beta, c, 1);
    };
  }
  const want = m * n * k >= THREADED_MIN_MACS ? threads : 1;
  const tA = transA ? TRANS : NO_TRANS, tB = transB ? TRANS : NO_TRANS;
  return function sgemm(a, b, c) {
    if (currentThreads !== want) setThreads(currentThreads = want);
    s.cblas_sgemm(ROW_MAJOR, tA, tB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc);
  };
}
