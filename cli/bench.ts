/**
 * `deno task bench`: training throughput of the vanilla RNN (and an LSTM) on the bundled corpus, in the
 * shape of the peer anchors (`shared/bench/run_anchors.sh`): one JSON line per config on
 * stdout (`{"name", "config", "chars_per_s", "gflops", ...}`), then a table on stderr.
 *
 * Each config trains with the real training step (`Trainer.trainStep`: forward, backward,
 * clipping, optimizer) for a warm-up, then for `--seconds` split into 3 segments; the median
 * segment is reported, like the peers. The peers' settings are matched: Adagrad with
 * elementwise clipping at 5, learning rate 0.1 for H <= 128 else 0.01, initial weights
 * N(0, 0.01^2), output layer padded to V = 100 symbols (the peers' vocabulary size).
 * FLOPs per character: `6*G*H^2 + 6*V*H` for one layer of G gate blocks (rnn 1, GRU 3, LSTM 4:
 * `24*H^2 + 6*V*H`, like the PyTorch LSTM anchor), plus `12*G*H^2` per layer above it. `GRULN`
 * is the `5m` and `20m` recipes' model, `GRU` the same without layer norm, `RNNLN` and `LSTMLN`
 * the other cells in its shape.
 *
 * @module
 */
import { makeConfig, type TrainConfig } from "../lib/train/config.ts";
import { loadCorpus } from "../lib/text/corpus.ts";
import { type Split, splitData } from "../lib/text/data.ts";
import type { CellKind, ModelNorm } from "../lib/model/model_config.ts";
import { CELL_GATES } from "../lib/model/layer.ts";
import { createOptimizer, type OptimizerName } from "../lib/train/optim.ts";
import { Rng } from "../lib/core/rng.ts";
import { Trainer } from "../lib/train/trainer.ts";
import { buildVocab, encode, type Vocab } from "../lib/text/vocab.ts";
import { parseFlags, UsageError } from "./args.ts";
import { BACKEND_FLAGS, buildModel, openBackend } from "./backend.ts";
import type { FlagTable, FlagValues } from "./flags.ts";
import { formatHelp } from "./help.ts";
import { runMain } from "./main_error.ts";
import { benchGeneration, GEN_CONFIGS } from "./bench_gen.ts";

/** The benchmark configurations of the training-speed issue. */
export const BENCH_CONFIGS: Readonly<
  Record<string, { H: number; T: number; B: number; cell: CellKind; L?: number; norm?: ModelNorm }>
> = {
  A: { H: 100, T: 25, B: 1, cell: "rnn" }, // min-char-rnn
  B: { H: 512, T: 50, B: 1, cell: "rnn" }, // the seed notebook
  C: { H: 512, T: 50, B: 64, cell: "rnn" }, // minibatched
  LSTM: { H: 512, T: 50, B: 64, cell: "lstm" }, // the PyTorch LSTM anchor (1 layer)
  GRU: { H: 384, T: 100, B: 32, cell: "gru", L: 2 }, // the recipes' model without layer norm
  GRULN: { H: 384, T: 100, B: 32, cell: "gru", L: 2, norm: "layer" }, // the 5m and 20m recipes'
  RNNLN: { H: 384, T: 100, B: 32, cell: "rnn", L: 2, norm: "layer" }, // the same shape, other cells
  LSTMLN: { H: 384, T: 100, B: 32, cell: "lstm", L: 2, norm: "layer" },
};

/** Every flag of `deno task bench`, in help order. */
export const BENCH_FLAGS = {
  seconds: {
    type: "number",
    valueName: "S",
    min: 0,
    exclusiveMin: true,
    max: 3600,
    default: 4,
    description: "Measured seconds per config (3 segments; the median is reported)",
  },
  warmup: {
    type: "number",
    valueName: "S",
    min: 0,
    max: 600,
    default: 1,
    description: "Warm-up seconds per config before measuring",
  },
  backend: BACKEND_FLAGS.backend,
  threads: {
    ...BACKEND_FLAGS.threads,
    description: "OpenBLAS threads for large products (B = 1 configs use 1)",
  },
  configs: {
    type: "string",
    valueName: "LIST",
    default: "A,B,C",
    description: "Comma-separated configs: A (H100 T25 B1), B (H512 T50 B1), C (H512 T50 B64), " +
      "LSTM (1-layer LSTM H512 T50 B64), GRU (2x384 T100 B32), GRULN (the same, layer norm), " +
      "RNNLN and LSTMLN (the same shape and layer norm); " +
      "GEN for generation (RNN 512, LSTM 2x512, B 1 and 64)",
  },
  optimizer: {
    type: "string",
    valueName: "NAME",
    choices: ["adagrad", "adam"],
    default: "adagrad",
    description: "adagrad as the NumPy peers, adam as the PyTorch peer",
  },
  vocabSize: {
    type: "int",
    valueName: "V",
    min: 0,
    max: 100_000,
    default: 100,
    description: "Output symbols (padded up from the corpus's own; 0 = the corpus's own)",
  },
  help: { type: "boolean", short: "h", description: "Show this help and exit" },
} as const satisfies FlagTable;

/** One measured config, as printed on a JSON line. */
export interface BenchResult {
  /** `deno-<rnn|lstm>-<backend>`. */
  name: string;
  /** `H<H>_T<T>_B<B>_V<V>`, like the peers. */
  config: string;
  /** Median characters per second over the segments. */
  chars_per_s: number;
  /** `chars_per_s * flops_per_char / 1e9`. */
  gflops: number;
  /** `6*H^2 + 6*V*H`, LSTM `24*H^2 + 6*V*H`. */
  flops_per_char: number;
  /** Characters per second of each segment, ascending. */
  segments: number[];
  /** Smoothed training loss at the end (nats per character). */
  loss_per_char: number;
  /** The optimizer. */
  optimizer: OptimizerName;
  /** What ran, e.g. `openblas (Cooperlake, ...), up to 2 threads, wasm relaxed-SIMD elementwise`. */
  backend: string;
  /** Resident set size before the warm-up and after the measurement, MiB. */
  rss_mib: [number, number];
}

/**
 * Runs `deno task bench`.
 *
 * @param argv Command-line arguments.
 * @returns The exit code.
 */
export async function benchMain(argv: string[]): Promise<number> {
  const { values: flags } = parseFlags(argv, BENCH_FLAGS);
  if (flags.help) {
    console.log(formatHelp("Usage: deno task bench [options]", BENCH_FLAGS));
    return 0;
  }
  const all = configNames(flags.configs);
  for (const n of all.filter((n) => GEN_CONFIGS[n])) {
    const backend = openBackend(flags.backend, flags.threads);
    console.log(JSON.stringify(benchGeneration(n, backend, flags)));
  }
  const names = all.filter((n) => BENCH_CONFIGS[n]);
  if (names.length === 0) return 0;
  const { text } = await loadCorpus("brown");
  const vocab = buildVocab(text);
  const V = Math.max(vocab.chars.length, flags.vocabSize);
  const data = splitData(encode(vocab, text), 0);
  const results: BenchResult[] = [];
  for (const n of names) {
    const result = benchTraining(n, { flags, vocab, data, V });
    results.push(result);
    console.log(JSON.stringify(result));
  }
  console.error(formatTable(results, names));
  return 0;
}

/** The configs of `--configs`, `GEN` expanded; an unknown one is a usage error. */
function configNames(list: string): string[] {
  const listed = list.split(",").map((s) => s.trim().toUpperCase());
  const all = listed.flatMap((n) => (n === "GEN" ? Object.keys(GEN_CONFIGS) : [n]));
  for (const n of all) {
    if (!BENCH_CONFIGS[n] && !GEN_CONFIGS[n]) {
      throw new UsageError(
        `Unknown config "${n}" in --configs: expected a list of ${
          [...Object.keys(BENCH_CONFIGS), "GEN", ...Object.keys(GEN_CONFIGS)].join(", ")
        }`,
      );
    }
  }
  return all;
}

/** Measures one training config on the corpus (padded to `V` symbols). */
function benchTraining(
  name: string,
  options: { flags: FlagValues<typeof BENCH_FLAGS>; vocab: Vocab; data: Split; V: number },
): BenchResult {
  const { flags, vocab, data, V } = options;
  const { H, T, B, cell, L = 1, norm = "none" } = BENCH_CONFIGS[name]!;
  const { optimizer } = flags;
  const config = benchConfig(name, optimizer);
  const backend = openBackend(flags.backend, B === 1 ? 1 : flags.threads);
  const rng = new Rng(1);
  const model = buildModel(config, V, rng, backend);
  const trainer = new Trainer(model, {
    vocab,
    data,
    config,
    optimizer: createOptimizer(optimizer, model.params, { backend }),
    rng,
  });
  const rssBefore = Deno.memoryUsage().rss;
  const segments = measure(trainer, flags.warmup, flags.seconds).map((steps) => steps * T * B);
  const median = segments[1]!;
  const G = CELL_GATES[cell], fpc = 6 * G * H * H * (2 * L - 1) + 6 * V * H;
  const { kind: label, detail } = backend;
  return {
    name: `deno-${cell}${norm === "layer" ? "-ln" : ""}-${label}`,
    config: `${L > 1 ? `L${L}_` : ""}H${H}_T${T}_B${B}_V${V}`,
    chars_per_s: round(median, 1),
    gflops: round((median * fpc) / 1e9, 3),
    flops_per_char: fpc,
    segments: segments.map((r) => round(r, 1)),
    loss_per_char: round(trainer.smoothLoss, 3),
    optimizer,
    backend: detail,
    rss_mib: [mib(rssBefore), mib(Deno.memoryUsage().rss)],
  };
}

/** The training config of a bench config: the peers' settings (see the module doc). */
function benchConfig(name: string, optimizer: OptimizerName): TrainConfig {
  const { H, T, B, cell, L = 1, norm = "none" } = BENCH_CONFIGS[name]!;
  return makeConfig({
    cell,
    hiddenSize: H,
    numLayers: L,
    norm,
    seqLength: T,
    batchSize: B,
    steps: Number.MAX_SAFE_INTEGER,
    learningRate: optimizer === "adam" ? 2e-3 : H <= 128 ? 0.1 : 0.01,
    optimizer,
    clipMode: "value",
    clip: 5,
    initScale: 0.01,
    valFraction: 0,
    evalEvery: 0,
    sampleEvery: 0,
  });
}

/**
 * Trains for a warm-up, then for `seconds` in 3 segments.
 *
 * @returns Steps per second of each segment, ascending.
 */
function measure(trainer: Trainer, warmup: number, seconds: number): number[] {
  const t0 = performance.now();
  while (performance.now() - t0 < warmup * 1000) trainer.trainStep();
  const rates: number[] = [];
  for (let s = 0; s < 3; s++) {
    let steps = 0, elapsed = 0;
    const t1 = performance.now();
    do {
      trainer.trainStep();
      steps++;
      elapsed = performance.now() - t1;
    } while (elapsed < (seconds * 1000) / 3);
    rates.push(steps / (elapsed / 1000));
  }
  return rates.sort((a, b) => a - b);
}

/**
 * The human-readable summary.
 *
 * @param results One per config.
 * @param names Their config letters.
 * @returns The table text.
 */
export function formatTable(results: readonly BenchResult[], names: readonly string[]): string {
  const rows = results.map((r, i) => [
    names[i] ?? "?",
    r.config,
    Math.round(r.chars_per_s).toLocaleString("en-US"),
    r.gflops.toFixed(1),
    r.loss_per_char.toFixed(3),
    `${r.rss_mib[0]} -> ${r.rss_mib[1]}`,
  ]);
  const head = ["config", "shape", "chars/s", "GFLOP/s", "loss", "RSS MiB"];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((x, c) => x.padStart(widths[c]!)).join("  ");
  const backends = [...new Set(results.map((r) => r.backend))];
  return [
    line(head),
    ...rows.map(line),
    `backend: ${backends.join(" | ")}; optimizer: ${results[0]?.optimizer ?? "-"}`,
  ].join("\n");
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}

if (import.meta.main) await runMain(benchMain);
