/**
 * Files: safetensors encoding, checkpoints with full validation, atomic writes, one run per
 * folder, run folders with their training history, weights packed (float16 or 8-bit) for web
 * pages, and the PyTorch layout (`nn.RNN`/`nn.LSTM`/`nn.GRU` + `nn.Linear` names, gate order
 * and biases; layer-norm gains; Adam's state and the weight average) for export and import.
 *
 * @module
 */
export * from "./safetensors.ts";
export * from "./checkpoint.ts";
export * from "./atomic_write.ts";
export * from "./read_file.ts";
export * from "./torch_format.ts";
export * from "./torch_file.ts";
export * from "./torch_metadata.ts";
export * from "./torch_checkpoint.ts";
export * from "./run_lock.ts";
export * from "./quantize.ts";
export * from "./run_folder.ts";
