/**
 * The flags of `deno task train`: one per {@linkcode TrainConfig} field (range, choices
 * and help from `CONFIG_FIELDS`, default from `DEFAULT_CONFIG`) plus the run's corpus,
 * output, reporting and resume options.
 *
 * @module
 */
import { DEFAULT_CONFIG, type TrainConfig } from "../lib/train/config.ts";
import { CONFIG_FIELDS } from "../lib/train/config_fields.ts";
import {
  DEFAULT_PRESET,
  PRESET_NAMES,
  presetConfig,
  type PresetName,
  PRESETS,
} from "../lib/train/presets.ts";
import type { Choices, NumberRange } from "../lib/core/ranges.ts";
import { parseFlags, UsageError } from "./args.ts";
import { BACKEND_FLAGS } from "./backend.ts";
import {
  type FlagSpec,
  type FlagTable,
  type FlagValues,
  listFlags,
  type NumberFlag,
  type StringFlag,
} from "./flags.ts";
import { formatHelp } from "./help.ts";

/** A flag that sets a config field; `fixed` ones cannot change on resume. */
export type ConfigFlag<K extends keyof TrainConfig> =
  & ([TrainConfig[K]] extends [number] ? NumberFlag
    : StringFlag & { readonly choices: readonly TrainConfig[K][] })
  & {
    /** The config field it sets. */
    readonly key: K;
    /** Whether the value is fixed by the checkpoint when resuming. */
    readonly fixed?: boolean;
  };

/** Every flag of `deno task train`, in help order. */
export const TRAIN_FLAGS = {
  preset: {
    type: "string",
    valueName: "NAME",
    choices: PRESET_NAMES,
    default: DEFAULT_PRESET,
    description: "Recipe for a time budget on 2 cores: 1m, 5m or 20m (model, sizes, optimizer, " +
      "schedule and --max-minutes; other flags override it, and --steps alone replaces its " +
      "budget), or none (the plain defaults)",
  },
  corpus: {
    type: "string",
    valueName: "PATH|brown",
    default: "brown",
    path: true,
    multiple: true,
    description: "Training text: a UTF-8 file, a folder of .txt files, or brown (the bundled " +
      "Brown fiction; brown:news,editorial for chosen Brown categories); repeat to join several",
  },
  valCorpus: {
    type: "string",
    valueName: "PATH",
    path: true,
    defaultText: "the last --val-fraction of the training text",
    description: "A separate validation text (file or folder); all of --corpus then trains",
  },
  tokens: configFlag("tokens", { fixed: true, valueName: "MODE" }),
  cell: configFlag("cell", { fixed: true, valueName: "KIND", aliases: ["model"] }),
  hiddenSize: configFlag("hiddenSize", { fixed: true }),
  numLayers: configFlag("numLayers", { fixed: true }),
  dropout: configFlag("dropout", { fixed: true, valueName: "P" }),
  dropoutMask: configFlag("dropoutMask", { fixed: true, valueName: "KIND" }),
  weightDrop: configFlag("weightDrop", { fixed: true, valueName: "P" }),
  norm: configFlag("norm", { fixed: true, valueName: "KIND" }),
  zoneout: configFlag("zoneout", { fixed: true, valueName: "P" }),
  seqLength: configFlag("seqLength", { fixed: true }),
  batchSize: configFlag("batchSize", { fixed: true }),
  stride: configFlag("stride", { fixed: true }),
  steps: configFlag("steps"),
  maxMinutes: configFlag("maxMinutes", { valueName: "M" }),
  learningRate: configFlag("learningRate"),
  lrSchedule: configFlag("lrSchedule", { valueName: "KIND" }),
  lrDecay: configFlag("lrDecay"),
  lrDecayEvery: configFlag("lrDecayEvery"),
  warmupSteps: configFlag("warmupSteps"),
  optimizer: configFlag("optimizer", { fixed: true, valueName: "NAME" }),
  weightDecay: configFlag("weightDecay", { valueName: "WD" }),
  weightAverage: configFlag("weightAverage", { fixed: true, valueName: "B", aliases: ["ema"] }),
  clip: configFlag("clip"),
  clipMode: configFlag("clipMode", { valueName: "MODE" }),
  onDivergence: configFlag("onDivergence", { valueName: "ACTION" }),
  initScale: configFlag("initScale", { fixed: true }),
  valFraction: configFlag("valFraction", { fixed: true, valueName: "F" }),
  evalEvery: configFlag("evalEvery"),
  sampleEvery: configFlag("sampleEvery"),
  sampleLength: configFlag("sampleLength"),
  sampleTemperature: configFlag("sampleTemperature", { name: "temperature", valueName: "T" }),
  seed: configFlag("seed", { fixed: true }),
  printEvery: {
    type: "int",
    min: 1,
    default: 100,
    description: "Steps between kept progress lines (plain lines when stderr is not a terminal)",
  },
  saveEvery: {
    type: "int",
    min: 0,
    defaultText: "same as --sample-every",
    description: "Steps between saves of latest.safetensors (0 = only at the end)",
  },
  out: {
    type: "string",
    valueName: "DIR",
    path: true,
    defaultText: "runs/<corpus name>, or the folder of the --resume checkpoint",
    description: "Folder for latest.safetensors and best.safetensors",
  },
  resume: {
    type: "string",
    valueName: "CKPT",
    path: true,
    description: "Continue a run from its checkpoint (config, optimizer, data position, RNG, " +
      "time spent)",
  },
  ...BACKEND_FLAGS,
  help: { type: "boolean", short: "h", description: "Show this help and exit" },
} as const satisfies FlagTable;

/** The flag of a config field: range, choices and description from `CONFIG_FIELDS`. */
function configFlag<K extends keyof TrainConfig>(
  key: K,
  options: { fixed?: boolean; valueName?: string; name?: string; aliases?: readonly string[] } = {},
): ConfigFlag<K> {
  const rule: (NumberRange | Choices) & { description: string } = CONFIG_FIELDS[key];
  const spec: FlagSpec = rule.type === "choice"
    ? { type: "string", choices: rule.choices, description: rule.description }
    : rule;
  const preset: Partial<TrainConfig> = PRESETS[DEFAULT_PRESET];
  const plain = String(DEFAULT_CONFIG[key]), fromPreset = String(preset[key] ?? plain);
  const defaultText = fromPreset === plain
    ? plain
    : `${fromPreset}, from --preset ${DEFAULT_PRESET}; ${plain} with --preset none`;
  const flag = { ...spec, ...options, key, defaultText };
  return flag as unknown as ConfigFlag<K>; // the rule's type decides the conditional type
}

/** The flags of `deno task train` that set a config field, with their names, in help order. */
export const CONFIG_FLAGS: readonly {
  /** The property in {@linkcode TRAIN_FLAGS}. */
  prop: string;
  /** The kebab-case flag name. */
  name: string;
  /** The flag. */
  spec: ConfigFlag<keyof TrainConfig>;
}[] = listFlags(TRAIN_FLAGS).flatMap(({ key, name, spec }) =>
  "key" in spec ? [{ prop: key, name, spec: spec as ConfigFlag<keyof TrainConfig> }] : []
);

/** The parsed command line of `deno task train`: every flag, plus the config overrides. */
export type TrainArgs = FlagValues<typeof TRAIN_FLAGS> & {
  /**
   * Config fields given on the command line over the preset's (a resumed run: only the given
   * ones; the rest come from the defaults or the checkpoint).
   */
  overrides: Partial<TrainConfig>;
  /** Whether `--corpus` was given (else a resumed run uses the checkpoint's). */
  corpusGiven: boolean;
};

/**
 * Parses the command line of `deno task train`.
 *
 * @param argv Arguments.
 * @returns The flags, config overrides separated out.
 * @throws {UsageError} for unknown flags and bad values.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * const args = parseTrainArgs(["--preset", "none", "--hidden-size", "16"]);
 * assertEquals([args.overrides, args.printEvery, args.backend], [{ hiddenSize: 16 }, 100, "auto"]);
 * assertEquals(parseTrainArgs(["--hidden-size", "16"]).overrides.maxMinutes, 1); // preset 1m
 * assertEquals(parseTrainArgs(["--steps", "500"]).overrides.maxMinutes, 0); // steps, not time
 * assertEquals(parseTrainArgs(["--steps", "500", "--max-minutes", "2"]).overrides.maxMinutes, 2);
 * ```
 */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const { values, given } = parseFlags(argv, TRAIN_FLAGS);
  if (values.resume !== undefined && given.has("preset")) {
    throw new UsageError(
      `Cannot use --preset with --resume: the run keeps the recipe of its checkpoint; drop ` +
        `--preset, or change single settings such as --steps or --max-minutes`,
    );
  }
  const preset = values.resume === undefined ? presetConfig(values.preset as PresetName) : {};
  // --steps alone asks for that many steps: the preset's time budget no longer applies
  if (given.has("steps") && preset.maxMinutes !== undefined) preset.maxMinutes = 0;
  const overrides: Record<string, unknown> = { ...preset };
  for (const { prop, spec } of CONFIG_FLAGS) {
    const v = values[prop as keyof typeof values];
    if (v !== undefined) overrides[spec.key] = v;
  }
  return { ...values, overrides, corpusGiven: given.has("corpus") };
}

/**
 * The run's config when resuming: the checkpoint's, with the overrides that
 * are safe to change (steps, schedule, clipping, reporting).
 *
 * @param saved The checkpoint's config.
 * @param overrides Config flags given on the command line.
 * @param checkpointPath For messages.
 * @returns The merged config (not yet validated).
 * @throws {UsageError} when a fixed setting (cell, sizes, layers, dropout, sequence length,
 * batch size, optimizer, validation fraction, init scale, seed) is given with a different value.
 * @example
 * ```ts
 * import { assertThrows } from "../tests/assert.ts";
 * import { makeConfig } from "../lib/train/config.ts";
 * assertThrows(() => resumeConfig(makeConfig(), { hiddenSize: 7 }, "x"), /--hidden-size/);
 * ```
 */
export function resumeConfig(
  saved: TrainConfig,
  overrides: Partial<TrainConfig>,
  checkpointPath: string,
): TrainConfig {
  for (const { name, spec } of CONFIG_FLAGS) {
    const given = overrides[spec.key];
    if (!spec.fixed || given === undefined || given === saved[spec.key]) continue;
    throw new UsageError(
      `Cannot change --${name} when resuming: "${checkpointPath}" was trained with ` +
        `--${name} ${saved[spec.key]}; drop --${name}, or start a new run without --resume`,
    );
  }
  return { ...saved, ...overrides };
}

/**
 * The `--help` text of `deno task train`.
 *
 * @returns The text.
 */
export function trainHelp(): string {
  const fixed = CONFIG_FLAGS.filter(({ spec }) => spec.fixed)
    .map(({ name }) => `--${name}`).join(", ");
  return formatHelp(
    [
      "Usage: deno task train [options]",
      "",
      "Trains a character-level RNN language model and saves checkpoints as",
      "<out>/latest.safetensors (every --save-every steps and at the end) and",
      "<out>/best.safetensors (whenever the validation loss improves).",
      "Ctrl-C stops after the current step, saves latest.safetensors and exits with code 130.",
      "A loss explosion is caught (loss above ln V and twice the best smoothed loss 3 steps in a",
      "row, and twice what the last good weights score on the same text): the run rolls back to",
      "the last good state at half the learning rate, or stops (--on-divergence stop). A diverged",
      "model is never saved. One run per folder: <out>/train.lock holds the running process's id.",
    ].join("\n"),
    TRAIN_FLAGS,
    [
      `With --resume, these are fixed by the checkpoint: ${fixed}.`,
      "The corpus defaults to the checkpoint's; its characters must match the checkpoint's.",
      "",
      "Exit codes: 0 done, 1 bad input (corpus, checkpoint, output folder), 2 bad command line,",
      "3 training diverged, 130 interrupted.",
      "",
      "Examples:",
      "  deno task train",
      "  deno task train --preset 20m --corpus data/tinyshakespeare.txt",
      "  deno task train --preset none             # the seed's vanilla RNN, 3000 steps",
      "  deno task train --cell rnn                # the vanilla RNN on the 1m recipe",
      "  deno task train --corpus notes.txt --hidden-size 64 --steps 300 --out runs/notes",
      "  deno task train --corpus books/ --corpus extra.txt --val-corpus held-out.txt",
      "  deno task train --resume runs/brown/latest.safetensors --steps 2000",
    ].join("\n"),
  );
}
