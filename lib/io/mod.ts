/**
 * Files: safetensors encoding, checkpoints with full validation, atomic writes.
 *
 * @module
 */
export * from "./safetensors.ts";
export * from "./checkpoint.ts";
export * from "./atomic_write.ts";
