/**
 * Recipes for a time budget on a 2-core CPU: the model, sizes, optimizer and schedule that
 * gave the lowest validation loss per budget in our measurements (see docs/quality.md),
 * with the budget itself. `deno task train` starts from {@linkcode DEFAULT_PRESET}; flags
 * override any value of a preset.
 *
 * @module
 */
import type { TrainConfig } from "./config.ts";

/** The preset names: a time budget each, and `"none"` for the plain library defaults. */
export const PRESET_NAMES = ["1m", "5m", "20m", "none"] as const;
/** One of {@linkcode PRESET_NAMES}. */
export type PresetName = typeof PRESET_NAMES[number];

/** The preset `deno task train` uses when none is given. */
export const DEFAULT_PRESET: PresetName = "1m";

/** Settings every budgeted recipe shares: time decides the end, the cosine follows it. */
const BUDGETED: Partial<TrainConfig> = {
  steps: 10_000_000,
  lrSchedule: "cosine",
  initScale: 0.08,
};

/** The 5-minute recipe; the 20-minute one starts from it. */
const FIVE_MINUTES: Partial<TrainConfig> = {
  ...BUDGETED,
  maxMinutes: 5,
  cell: "gru",
  norm: "layer",
  hiddenSize: 384,
  numLayers: 2,
  dropout: 0.1,
  dropoutMask: "sequence",
  seqLength: 100,
  batchSize: 32,
  learningRate: 8e-3,
  lrDecay: 0.1,
  warmupSteps: 100,
  evalEvery: 250,
  sampleEvery: 1000,
};

/** The config values of each preset (the rest are `DEFAULT_CONFIG`'s). */
export const PRESETS: Readonly<Record<PresetName, Readonly<Partial<TrainConfig>>>> = Object.freeze({
  "1m": {
    ...BUDGETED,
    maxMinutes: 1,
    cell: "gru",
    norm: "layer",
    hiddenSize: 256,
    seqLength: 64,
    batchSize: 32,
    learningRate: 9e-3,
    lrDecay: 0.05,
    warmupSteps: 50,
    evalEvery: 250,
    sampleEvery: 250,
  },
  "5m": FIVE_MINUTES,
  "20m": {
    ...FIVE_MINUTES,
    maxMinutes: 20,
    dropout: 0.25,
    lrDecay: 0.01,
    weightDecay: 0.05,
    weightAverage: 0.998,
  },
  none: {},
});

/**
 * The config values of a preset, checked by name.
 *
 * @param name One of {@linkcode PRESET_NAMES}.
 * @returns A copy of its values.
 * @throws {RangeError} for an unknown name.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(presetConfig("5m").maxMinutes, 5);
 * assert.deepEqual(presetConfig("none"), {});
 * assert.throws(() => presetConfig("2h" as never), /Unknown preset "2h"/);
 * ```
 */
export function presetConfig(name: PresetName): Partial<TrainConfig> {
  if (!PRESET_NAMES.includes(name)) {
    throw new RangeError(`Unknown preset "${name}": expected one of ${PRESET_NAMES.join(", ")}`);
  }
  return { ...PRESETS[name] };
}
