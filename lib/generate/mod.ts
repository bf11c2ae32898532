/**
 * Generation and inspection: picking (temperature, top-k, top-p), sampling B streams at once
 * with stop texts and streaming, beam search, names, scoring a text, how much of a generated
 * text is copied, hidden activations and surprisal.
 *
 * @module
 */
export * from "./pick.ts";
export * from "./stream_state.ts";
export * from "./sample.ts";
export * from "./chunks.ts";
export * from "./beam.ts";
export * from "./names.ts";
export * from "./score.ts";
export * from "./novelty.ts";
export * from "./inspect.ts";
