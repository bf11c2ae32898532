/**
 * The flags of `deno task train`: one per {@linkcode TrainConfig} field plus the
 * run's corpus, output, reporting and resume options.
 *
 * @module
 */
import { BACKEND_KINDS } from "../lib/backend/create.ts";
import type { BackendKind } from "../lib/backend/types.ts";
import { DEFAULT_CONFIG, type TrainConfig } from "../lib/train/config.ts";
import { MODEL_KINDS } from "../lib/model/char_model.ts";
import { OPTIMIZERS } from "../lib/train/optim.ts";
import { LR_SCHEDULES } from "../lib/train/schedule.ts";
import { type FlagSpec, formatHelp, parseFlags, UsageError } from "./args.ts";

/** A training flag; `key` ties it to a config field, `fixed` ones cannot change on resume. */
export interface TrainFlag extends FlagSpec {
  /** The config field it sets. */
  key?: keyof TrainConfig;
  /** Whether the value is fixed by the checkpoint when resuming. */
  fixed?: boolean;
}

const D = DEFAULT_CONFIG;

/** `--engine`: the model backend (shared with `deno task bench`). */
export const ENGINE_FLAG: FlagSpec = {
  name: "engine",
  type: "string",
  valueName: "KIND",
  choices: [...BACKEND_KINDS, "plain"],
  default: "auto",
  description: "Backend: auto | openblas | wasm | ts (float32), f64 (float64 reference; plain = f64)",
};

/** `--threads`: OpenBLAS threads (shared with `deno task bench`). */
export const THREADS_FLAG: FlagSpec = {
  name: "threads",
  type: "int",
  valueName: "N",
  min: 1,
  max: 256,
  default: "min(2, cores)",
  description: "OpenBLAS threads for large matrix products (--engine auto or openblas)",
};

/** Every flag of `deno task train`, in help order. */
export const TRAIN_FLAGS: readonly TrainFlag[] = [
  {
    name: "corpus",
    type: "string",
    valueName: "PATH|brown",
    default: "brown",
    description: "Training text: a UTF-8 file, or brown for the bundled Brown fiction",
  },
  configFlag(
    "model",
    { type: "string", choices: MODEL_KINDS, fixed: true, valueName: "KIND" },
    `Recurrent cell: ${MODEL_KINDS.join(", ")} (rnn is the seed's vanilla RNN)`,
  ),
  configFlag("hiddenSize", { type: "int", min: 1, max: 4096, fixed: true }, "Hidden units H"),
  configFlag("numLayers", { type: "int", min: 1, max: 8, fixed: true }, "Stacked recurrent layers"),
  configFlag(
    "dropout",
    { type: "number", min: 0, max: 0.95, fixed: true, valueName: "P" },
    "Dropout between layers while training (needs --num-layers 2 or more)",
  ),
  configFlag(
    "seqLength",
    { type: "int", min: 1, max: 100_000, fixed: true },
    "Characters per chunk T (truncated BPTT length)",
  ),
  configFlag(
    "batchSize",
    { type: "int", min: 1, max: 4096, fixed: true },
    "Parallel text streams B per step",
  ),
  configFlag(
    "steps",
    { type: "int", min: 1 },
    "Total optimizer steps (with --resume: continue up to N)",
  ),
  configFlag(
    "learningRate",
    { type: "number", min: 0, exclusiveMin: true, max: 10 },
    "Base learning rate",
  ),
  configFlag(
    "lrSchedule",
    { type: "string", choices: LR_SCHEDULES, valueName: "KIND" },
    "step: multiply by --lr-decay every --lr-decay-every steps; cosine: anneal to lr*--lr-decay",
  ),
  configFlag(
    "lrDecay",
    { type: "number", min: 0, max: 1 },
    "Step: factor per --lr-decay-every steps (1 = constant); cosine: final fraction of the rate",
  ),
  configFlag("lrDecayEvery", { type: "int", min: 1 }, "Steps between learning-rate decays"),
  configFlag(
    "optimizer",
    { type: "string", choices: OPTIMIZERS, fixed: true, valueName: "NAME" },
    `Optimizer: ${OPTIMIZERS.join(", ")}`,
  ),
  configFlag(
    "clip",
    { type: "number", min: 0, exclusiveMin: true },
    "Clip limit: max global norm (norm) or max |entry| (value)",
  ),
  configFlag(
    "clipMode",
    { type: "string", choices: ["norm", "value", "none"], valueName: "MODE" },
    "Gradient clipping: norm, value or none",
  ),
  configFlag(
    "initScale",
    { type: "number", min: 0, max: 10, fixed: true },
    "Std of the initial weights (0 = 1/sqrt(H))",
  ),
  configFlag(
    "valFraction",
    { type: "number", min: 0, max: 0.5, fixed: true, valueName: "F" },
    "Fraction of the text held out at its end for validation",
  ),
  configFlag("evalEvery", { type: "int", min: 0 }, "Steps between validation passes (0 = never)"),
  configFlag("sampleEvery", { type: "int", min: 0 }, "Steps between samples (0 = never)"),
  configFlag("sampleLength", { type: "int", min: 1 }, "Characters per training sample"),
  configFlag(
    "sampleTemperature",
    { type: "number", min: 0, max: 100, name: "temperature", valueName: "T" },
    "Temperature of training samples (0 = always the most likely)",
  ),
  configFlag(
    "seed",
    { type: "int", min: 0, fixed: true },
    "Seed of the initial weights and the samples",
  ),
  {
    name: "print-every",
    type: "int",
    valueName: "N",
    min: 1,
    default: 100,
    description: "Steps between kept progress lines (plain lines when stderr is not a terminal)",
  },
  {
    name: "save-every",
    type: "int",
    valueName: "N",
    min: 0,
    default: "same as --sample-every",
    description: "Steps between saves of latest.safetensors (0 = only at the end)",
  },
  {
    name: "out",
    type: "string",
    valueName: "DIR",
    default: "runs/<corpus name>, or the folder of the --resume checkpoint",
    description: "Folder for latest.safetensors and best.safetensors",
  },
  {
    name: "resume",
    type: "string",
    valueName: "CKPT",
    description: "Continue a run from its checkpoint (config, optimizer, data position, RNG)",
  },
  ENGINE_FLAG,
  THREADS_FLAG,
  {
    name: "max-minutes",
    type: "number",
    valueName: "M",
    min: 0,
    exclusiveMin: true,
    description: "Stop after M minutes of wall time (saves latest; exit 0), e.g. for a time budget",
  },
  { name: "help", short: "h", type: "boolean", description: "Show this help and exit" },
];

/** A config flag: kebab-case name from the key, `X` or `N` placeholder, the default value. */
function configFlag(
  key: keyof TrainConfig,
  spec: Partial<TrainFlag> & Pick<TrainFlag, "type">,
  description: string,
): TrainFlag {
  const name = spec.name ?? key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
  const valueName = spec.valueName ?? (spec.type === "int" ? "N" : "X");
  return { ...spec, name, key, valueName, description, default: D[key] };
}

/** The parsed command line of `deno task train`. */
export interface TrainArgs {
  /** `--help` was given. */
  help: boolean;
  /** `--corpus`, when given. */
  corpus?: string;
  /** Config fields given on the command line. */
  overrides: Partial<TrainConfig>;
  /** `--print-every` (default 100). */
  printEvery: number;
  /** `--save-every`, when given. */
  saveEvery?: number;
  /** `--out`, when given. */
  out?: string;
  /** `--resume`, when given. */
  resume?: string;
  /** `--engine` (default `"auto"`): a fast engine kind, or `"plain"` for the float64 model. */
  engine: BackendKind | "auto" | "plain";
  /** `--threads`, when given. */
  threads?: number;
  /** `--max-minutes`, when given. */
  maxMinutes?: number;
}

/**
 * Parses the command line of `deno task train`.
 *
 * @param argv Arguments.
 * @returns The flags, config overrides separated out.
 * @throws {UsageError} for unknown flags and bad values.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * assertEquals(parseTrainArgs(["--hidden-size", "16"]).overrides, { hiddenSize: 16 });
 * ```
 */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const values = parseFlags(argv, TRAIN_FLAGS);
  const overrides: Record<string, unknown> = {};
  for (const flag of TRAIN_FLAGS) {
    const v = values.get(flag.name);
    if (flag.key && v !== undefined) overrides[flag.key] = v;
  }
  const str = (name: string) => values.get(name) as string | undefined;
  for (const name of ["corpus", "out", "resume"]) {
    if (str(name) === "") throw new UsageError(`Empty --${name}; pass a path`);
  }
  return {
    help: values.get("help") === true,
    corpus: str("corpus"),
    overrides: overrides as Partial<TrainConfig>,
    printEvery: (values.get("print-every") as number | undefined) ?? 100,
    saveEvery: values.get("save-every") as number | undefined,
    out: str("out"),
    resume: str("resume"),
    engine: (str("engine") ?? "auto") as TrainArgs["engine"],
    threads: values.get("threads") as number | undefined,
    maxMinutes: values.get("max-minutes") as number | undefined,
  };
}

/**
 * The run's config when resuming: the checkpoint's, with the overrides that
 * are safe to change (steps, schedule, clipping, reporting).
 *
 * @param saved The checkpoint's config.
 * @param overrides Config flags given on the command line.
 * @param checkpointPath For messages.
 * @returns The merged config (not yet validated).
 * @throws {UsageError} when a fixed setting (model, sizes, layers, dropout, sequence length,
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
  for (const flag of TRAIN_FLAGS) {
    if (!flag.fixed || !flag.key) continue;
    const given = overrides[flag.key];
    if (given !== undefined && given !== saved[flag.key]) {
      throw new UsageError(
        `Cannot change --${flag.name} when resuming: "${checkpointPath}" was trained with ` +
          `--${flag.name} ${saved[flag.key]}; drop --${flag.name}, or start a new run ` +
          `without --resume`,
      );
    }
  }
  return { ...saved, ...overrides };
}

/**
 * The `--help` text of `deno task train`.
 *
 * @returns The text.
 */
export function trainHelp(): string {
  const fixed = TRAIN_FLAGS.filter((f) => f.fixed).map((f) => `--${f.name}`).join(", ");
  return formatHelp(
    [
      "Usage: deno task train [options]",
      "",
      "Trains a character-level RNN language model and saves checkpoints as",
      "<out>/latest.safetensors (every --save-every steps and at the end) and",
      "<out>/best.safetensors (whenever the validation loss improves).",
      "Ctrl-C stops after the current step, saves latest.safetensors and exits with code 130.",
    ].join("\n"),
    TRAIN_FLAGS,
    [
      `With --resume, these are fixed by the checkpoint: ${fixed}.`,
      "The corpus defaults to the checkpoint's; its characters must match the checkpoint's.",
      "",
      "Exit codes: 0 done, 1 bad input (corpus, checkpoint), 2 bad command line, 130 interrupted.",
      "",
      "Examples:",
      "  deno task train",
      "  deno task train --corpus notes.txt --hidden-size 64 --steps 300 --out runs/notes",
      "  deno task train --resume runs/brown/latest.safetensors --steps 2000",
    ].join("\n"),
  );
}
