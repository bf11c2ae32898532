/**
 * Generation and inspection: sampling with temperature and top-k, hidden activations and surprisal.
 *
 * @module
 */
export * from "./sample.ts";
export * from "./inspect.ts";
