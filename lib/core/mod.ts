/**
 * Core pieces every folder uses: the seeded random generator, the tensor record type, the float64
 * softmax and the accepted values of a setting (ranges and choices).
 *
 * @module
 */
export * from "./rng.ts";
export * from "./tensor.ts";
export * from "./softmax.ts";
export * from "./ranges.ts";
