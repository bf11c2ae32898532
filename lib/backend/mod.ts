/**
 * Backends: the kernels a model runs on (OpenBLAS through FFI, WebAssembly SIMD, TypeScript float32, TypeScript float64) behind one interface.
 *
 * @module
 */
export * from "./create.ts";
export * from "./cells_ts.ts";
