/**
 * Core pieces every folder uses: the seeded random generator, the tensor record type and the float64 softmax.
 *
 * @module
 */
export * from "./rng.ts";
export * from "./tensor.ts";
export * from "./softmax.ts";
