/**
 * `deno task export`: writes a checkpoint in PyTorch's layout (`nn.RNN`/`nn.LSTM`/`nn.GRU` +
 * `nn.Linear` names, shapes and gate order, layer-norm gains and biases; see
 * `lib/io/torch_format.ts`) with Adam's moments and step, the weight average, the vocabulary
 * and the configs (`lib/io/torch_checkpoint.ts`), for `python/charrnn_torch.py`.
 *
 * @module
 */
import { basename } from "node:path";
import { createBackend } from "../lib/backend/create.ts";
import { countParams } from "../lib/core/tensor.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { torchSourceOf } from "../lib/io/torch_checkpoint.ts";
import { saveTorchFile } from "../lib/io/torch_file.ts";
import { describeTorchModules } from "../lib/io/torch_metadata.ts";
import { formatCount, shellQuote } from "../lib/report/progress.ts";
import { parseFlags, UsageError } from "./args.ts";
import type { FlagTable } from "./flags.ts";
import { formatHelp } from "./help.ts";
import { runMain } from "./main_error.ts";

/** The formats `--format` accepts. */
export const EXPORT_FORMATS = ["torch"] as const;

/** Every flag of `deno task export`, in help order. */
export const EXPORT_FLAGS = {
  checkpoint: {
    type: "string",
    valueName: "PATH",
    path: true,
    description: "Checkpoint written by deno task train (required)",
  },
  format: {
    type: "string",
    valueName: "NAME",
    choices: EXPORT_FORMATS,
    default: "torch",
    description: "torch: PyTorch names (nn.RNN/nn.LSTM/nn.GRU, layer norms), float32 safetensors",
  },
  out: {
    type: "string",
    valueName: "PATH",
    path: true,
    description: "Where to write the .safetensors file (required; replaced atomically)",
  },
  help: { type: "boolean", short: "h", description: "Show this help and exit" },
} as const satisfies FlagTable;

/**
 * The `--help` text of `deno task export`.
 *
 * @returns The text.
 */
export function exportHelp(): string {
  return formatHelp(
    [
      "Usage: deno task export --checkpoint PATH --format torch --out PATH",
      "",
      "Writes the weights under PyTorch's names (weight_ih_l0, weight_hh_l0, bias_ih_l0,",
      "bias_hh_l0 or, with layer norm, ln_ih_l0.weight, ln_ih_l0.bias, ln_hh_l0.weight,",
      "ln_hh_l0.bias, ..., decoder.weight, decoder.bias), LSTM gates reordered to i, f, g, o,",
      "our one bias as the input side's (the hidden side's zero; a GRU's bhn as its n part),",
      "Adam's moments and step (optim.exp_avg.*, optim.exp_avg_sq.*), with a weight average",
      "the average as the model and the trained weights as trained.*, and the vocabulary and",
      "configs as metadata. python/charrnn_torch.py samples it and trains on from it.",
    ].join("\n"),
    EXPORT_FLAGS,
    [
      "Exit codes: 0 done, 1 bad input (checkpoint, output path), 2 bad command line.",
      "",
      "Example:",
      "  deno task export --checkpoint runs/brown/best.safetensors --format torch \\",
      "    --out runs/brown/torch.safetensors",
    ].join("\n"),
  );
}

/**
 * Runs `deno task export`.
 *
 * @param argv Command-line arguments.
 * @returns The exit code (0).
 */
export async function exportMain(argv: string[]): Promise<number> {
  const { values: flags } = parseFlags(argv, EXPORT_FLAGS);
  if (flags.help) {
    console.log(exportHelp());
    return 0;
  }
  const { checkpoint: path, out } = flags;
  if (path === undefined) {
    throw new UsageError(
      "Missing --checkpoint; pass the file written by deno task train, " +
        "e.g. --checkpoint runs/brown/best.safetensors",
    );
  }
  if (out === undefined) {
    throw new UsageError("Missing --out; pass the file to write, e.g. --out torch.safetensors");
  }
  // float64 reading: the weights reach the float32 file rounded once, whatever they were saved in
  const ckpt = await loadCheckpoint(path, { backend: createBackend({ kind: "f64" }) });
  const { source, metadata } = torchSourceOf(ckpt);
  metadata.source = `deno task export of ${basename(path)}`;
  await saveTorchFile(out, source, { metadata });
  const { model, optimizer: adam } = source;
  const state = adam
    ? `Adam at step ${adam.steps} (next lr ${adam.lr.toPrecision(3)})`
    : `no optimizer state (${ckpt.optimizer.name} has no PyTorch counterpart here)`;
  const average = source.average ? `, the weight average (beta ${source.average.beta})` : "";
  console.log(
    `wrote ${out}: ${describeTorchModules(model.config)}, ` +
      `${formatCount(countParams(model.params))} parameters (float32), step ${ckpt.step}, ` +
      `${state}${average}`,
  );
  console.log(
    `sample it in PyTorch: python3 python/charrnn_torch.py sample --checkpoint ${shellQuote(out)}`,
  );
  return 0;
}

if (import.meta.main) await runMain(exportMain);
