/**
 * Files: safetensors encoding, checkpoints with full validation, atomic writes, one run per folder.
 *
 * @module
 */
export * from "./safetensors.ts";
export * from "./checkpoint.ts";
export * from "./atomic_write.ts";
export * from "./run_lock.ts";
