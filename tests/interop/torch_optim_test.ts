// Adam's state both ways with Debian's python3-torch: a run of `deno task train` is exported,
// then one step is taken on each side from the exported state, on the same chunk of the same
// text (the export carries the streams' position): PyTorch's `train --checkpoint` (1 step) and, from the same file imported, `deno task
// train --resume` (1 step). The weights, the weight average and Adam's moments must agree to
// float32 tolerance; moments left in our LSTM gate order must not.
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import type { Params } from "../../lib/core/tensor.ts";
import { loadCheckpoint } from "../../lib/io/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors } from "../../lib/io/safetensors.ts";
import {
  charrnnTorch,
  ignoreWithoutTorch,
  makeText,
  maxAbsDiff,
  tempDir,
  torchMissing,
  workbench,
} from "./torch_support.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write", "run") || ignoreWithoutTorch(await torchMissing());
const workDir = tempDir("torch_optim_test_");
const CHUNK = ["--seq-length", "16", "--batch-size", "4"];

/** The largest difference between two records of the same names. */
function recordDiff(a: Params, b: Params): number {
  let worst = 0;
  for (const [name, t] of Object.entries(a)) {
    worst = Math.max(
      worst,
      maxAbsDiff(Float64Array.from(t.data), Float64Array.from(b[name]!.data)),
    );
  }
  return worst;
}

/** Runs a workbench command, failing with its output on a non-zero exit. */
async function ok(command: "train" | "export" | "import", args: string[]): Promise<string> {
  const r = await workbench(command, args);
  assertEquals(r.code, 0, `${command}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The runs: the 20m recipe's model (layer-normalised GRU, AdamW, the weight average), a
 * layer-normalised LSTM (gate order of the moments) and a plain 2-layer rnn (nn.RNN). */
const RUNS: [string, string[]][] = [
  ["gru2-ln", [
    ...["--cell", "gru", "--norm", "layer", "--num-layers", "2"],
    ...["--weight-decay", "0.5", "--weight-average", "0.9"],
  ]],
  ["lstm1-ln", ["--cell", "lstm", "--norm", "layer"]],
  ["rnn2", ["--cell", "rnn", "--num-layers", "2", "--weight-decay", "0.1"]],
];

Deno.test({
  name: "adam: one step in PyTorch and one here from the same exported state give the same run",
  ignore,
  fn: async () => {
    const work = await workDir(), corpus = join(work, "corpus.txt");
    await Deno.writeTextFile(corpus, makeText(6000));
    const rows: string[] = [];
    for (const [name, flags] of RUNS) {
      const dir = join(work, name), exported = join(dir, "exported.safetensors");
      await ok("train", [
        ...["--corpus", corpus, "--out", dir, ...flags, ...CHUNK, "--hidden-size", "32"],
        ...["--steps", "6", "--learning-rate", "0.01", "--val-fraction", "0"],
        ...["--eval-every", "0", "--sample-every", "0"],
      ]);
      await ok("export", ["--checkpoint", join(dir, "latest.safetensors"), "--out", exported]);
      // PyTorch: one step from the exported state
      const torchOut = join(dir, "torch.safetensors");
      await charrnnTorch([
        "train",
        "--checkpoint",
        exported,
        "--text",
        corpus,
        "--out",
        torchOut,
        "--steps",
        "1",
        ...CHUNK,
      ]);
      // here: the exported state imported, then one step
      const imported = join(dir, "imported.safetensors"), resumed = join(dir, "resumed");
      await ok("import", ["--from", "torch", exported, "--out", imported]);
      await ok("train", [
        "--resume",
        imported,
        "--corpus",
        corpus,
        "--out",
        resumed,
        "--steps",
        "7",
      ]);
      const ours = await loadCheckpoint(join(resumed, "latest.safetensors"));
      await ok("import", ["--from", "torch", torchOut, "--out", join(dir, "torch.ckpt")]);
      const theirs = await loadCheckpoint(join(dir, "torch.ckpt"));
      // both went on from step 6 and the streams' position 6 x 16, with Adam at step 6
      const at = (c: typeof ours) => [c.step, c.optimizer.steps, c.position];
      assertEquals([at(ours), at(theirs)], [[7, 7, 112], [7, 7, 112]]);
      const before = await loadCheckpoint(imported);
      const moved = recordDiff(before.model.params, ours.model.params);
      const weights = recordDiff(
        ours.average?.trained ?? ours.model.params,
        theirs.average?.trained ?? theirs.model.params,
      );
      const average = ours.average ? recordDiff(ours.model.params, theirs.model.params) : 0;
      const m = recordDiff(ours.optimizer.state, theirs.optimizer.state);
      rows.push(
        `${name.padEnd(9)} weights ${weights.toExponential(2)}, average ${
          average.toExponential(2)
        }, ` +
          `moments ${m.toExponential(2)} (the step moved the weights by up to ${
            moved.toExponential(2)
          })`,
      );
      assertOk(moved > 1e-3, `${name}: the step did not move the weights (${moved})`);
      assertOk(weights < 1e-5 && average < 1e-5 && m < 1e-5, rows.at(-1));
      if (name !== "lstm1-ln") continue;
      // control: moments left in our gate order (i, f, o, g) give PyTorch another step
      const bad = join(dir, "bad.safetensors"), badOut = join(dir, "bad-torch.safetensors");
      const { tensors, metadata } = decodeSafetensors(await Deno.readFile(exported));
      for (const [key, t] of Object.entries(tensors)) {
        if (!key.startsWith("optim.")) continue;
        const size = t.data.length / 4, g = t.data.slice(2 * size, 3 * size);
        t.data.copyWithin(2 * size, 3 * size, 4 * size);
        t.data.set(g, 3 * size);
      }
      await Deno.writeFile(bad, encodeSafetensors(tensors, metadata));
      await charrnnTorch([
        "train",
        "--checkpoint",
        bad,
        "--text",
        corpus,
        "--out",
        badOut,
        "--steps",
        "1",
        ...CHUNK,
      ]);
      await ok("import", ["--from", "torch", badOut, "--out", join(dir, "bad.ckpt")]);
      const wrong = recordDiff(
        ours.model.params,
        (await loadCheckpoint(join(dir, "bad.ckpt"))).model.params,
      );
      rows.push(`  control: moments in our LSTM gate order: weights ${wrong.toExponential(2)}`);
      assertOk(wrong > 1e-3, rows.at(-1));
    }
    console.log(
      `one Adam step each side from the same export, max |difference|:\n  ${rows.join("\n  ")}`,
    );
  },
});
