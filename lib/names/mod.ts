/**
 * A name generator, the seed notebook's stated next step: a list of names in any script in,
 * new names out. A recipe chosen from the list's size and script (`recipe.ts`), names held out at
 * random to pick the best weights and stop training (`train.ts`), epochs in new orders
 * (`split.ts`), a bigram baseline (`bigram.ts`), drawing with a prefix, a length range and no
 * copies (`draw.ts`), the figures of what was drawn (`report.ts`), and the run folder
 * (`run_folder.ts`). `deno task names` and the names notebook use them.
 *
 * @module
 */
export * from "./recipe.ts";
export * from "./split.ts";
export * from "./bigram.ts";
export * from "./train.ts";
export * from "./draw.ts";
export * from "./report.ts";
export * from "./run_folder.ts";
