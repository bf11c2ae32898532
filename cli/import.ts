/**
 * `deno task import --from torch IN --out CKPT`: turns a PyTorch-layout file (saved by
 * `python/charrnn_torch.py` or `deno task export`) into a checkpoint that `deno task sample`,
 * the notebooks and `--resume` read. The file is validated as strictly as a checkpoint; Adam's
 * moments and step, the weight average and the run's config come back with it
 * (`lib/io/torch_checkpoint.ts`).
 *
 * @module
 */
import { createBackend } from "../lib/backend/create.ts";
import { countParams } from "../lib/core/tensor.ts";
import { saveCheckpoint } from "../lib/io/checkpoint.ts";
import { torchFileCheckpoint } from "../lib/io/torch_checkpoint.ts";
import { loadTorchFile } from "../lib/io/torch_file.ts";
import { describeTorchModules } from "../lib/io/torch_metadata.ts";
import { formatCount, shellQuote } from "../lib/report/progress.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { FlagTable } from "./flags.ts";
import { formatHelp } from "./help.ts";
import { runMain } from "./main_error.ts";

/** The formats `--from` accepts. */
export const IMPORT_FORMATS = ["torch"] as const;

/** Every flag of `deno task import`, in help order (the input file is positional). */
export const IMPORT_FLAGS = {
  from: {
    type: "string",
    valueName: "NAME",
    choices: IMPORT_FORMATS,
    default: "torch",
    description: "torch: a charrnn-torch .safetensors file (PyTorch names and gate order)",
  },
  out: {
    type: "string",
    valueName: "PATH",
    path: true,
    description: "Checkpoint to write (required; replaced atomically)",
  },
  help: { type: "boolean", short: "h", description: "Show this help and exit" },
} as const satisfies FlagTable;

/**
 * The `--help` text of `deno task import`.
 *
 * @returns The text.
 */
export function importHelp(): string {
  return formatHelp(
    [
      "Usage: deno task import --from torch IN.safetensors --out PATH",
      "",
      "Reads a model in PyTorch's layout (python/charrnn_torch.py train, or deno task export),",
      "folds the hidden-side bias into ours (a GRU keeps the n part apart), puts the LSTM gates",
      "back in our order, and writes a checkpoint with Adam's moments and step, the weight",
      "average and the run's config from the file: deno task train --resume goes on from it.",
      "A file without optimizer state gets a fresh Adam at step 0.",
    ].join("\n"),
    IMPORT_FLAGS,
    [
      "Exit codes: 0 done, 1 bad input (file, output path), 2 bad command line.",
      "",
      "Example:",
      "  deno task import --from torch trained.safetensors --out runs/big/best.safetensors",
    ].join("\n"),
  );
}

/**
 * Runs `deno task import`.
 *
 * @param argv Command-line arguments.
 * @returns The exit code (0).
 */
export async function importMain(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parseFlags(argv, IMPORT_FLAGS, { positionals: 1 });
  if (flags.help) {
    console.log(importHelp());
    return 0;
  }
  const input = positionals[0];
  if (input === undefined || input === "") {
    throw new UsageError(
      "Missing input file; pass it after --from torch, e.g. " +
        "deno task import --from torch trained.safetensors --out runs/big/best.safetensors",
    );
  }
  if (flags.out === undefined) {
    throw new UsageError(
      "Missing --out; pass the checkpoint to write, e.g. --out best.safetensors",
    );
  }
  const file = await loadTorchFile(input);
  // float32 weights stay float32 and float64 ones float64: no rounding
  const backend = createBackend({ kind: file.dtype === "F64" ? "f64" : "ts" });
  const ckpt = torchFileCheckpoint(file, { backend });
  await saveCheckpoint(flags.out, ckpt);
  const trained = file.metadata.step ? `, ${file.metadata.step} steps` : "";
  console.log(
    `read ${input}: ${describeTorchModules(file.config)}, ` +
      `${formatCount(countParams(ckpt.model.params))} parameters (${file.dtype}${trained})`,
  );
  const out = shellQuote(flags.out);
  console.log(
    file.optimizer
      ? `wrote ${flags.out}: a checkpoint at step ${ckpt.step} with Adam's moments (step ` +
        `${ckpt.optimizer.steps})${ckpt.average ? " and the weight average" : ""}`
      : `wrote ${flags.out}: a checkpoint with a fresh ${ckpt.optimizer.name} optimizer at ` +
        `step 0 (the file has no optimizer state)`,
  );
  console.log(`sample it: deno task sample --checkpoint ${out}`);
  console.log(`train on: deno task train --resume ${out}`);
  return 0;
}

if (import.meta.main) await runMain(importMain);
