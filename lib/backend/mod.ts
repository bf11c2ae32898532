/**
 * Backends: the buffers and kernels a model runs on (OpenBLAS through FFI, WebAssembly SIMD,
 * TypeScript float32, TypeScript float64) behind one interface, {@linkcode Backend}.
 *
 * @module
 */
export * from "./types.ts";
export * from "./base.ts";
export * from "./gemm.ts";
export * from "./create.ts";
export * from "./cells_ts.ts";
export * from "./norm_ts.ts";
export * from "./ts.ts";
export * from "./wasm.ts";
export * from "./wasm_heap.ts";
