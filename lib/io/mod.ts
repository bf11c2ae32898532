/**
 * Files: safetensors encoding, checkpoints with full validation, atomic writes, weights packed
 * (float16 or 8-bit) for web pages, run folders with their training history.
 *
 * @module
 */
export * from "./safetensors.ts";
export * from "./checkpoint.ts";
export * from "./atomic_write.ts";
export * from "./quantize.ts";
export * from "./run_folder.ts";
