/**
 * Files: safetensors encoding, checkpoints with full validation, atomic writes, weights packed
 * (float16 or 8-bit) for web pages.
 *
 * @module
 */
export * from "./safetensors.ts";
export * from "./checkpoint.ts";
export * from "./atomic_write.ts";
export * from "./quantize.ts";
