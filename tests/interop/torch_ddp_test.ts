// DistributedDataParallel with Debian's python3-torch: a layer-normalised run of `deno task
// train` (the presets' model: GRU, 2 layers, sequence dropout, and zoneout) is exported, trained
// on by two gloo processes under torchrun, imported back with its Adam state, and sampled:
// `deno task sample` continues a prime greedily exactly as PyTorch does.
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { loadCheckpoint } from "../../lib/io/checkpoint.ts";
import { loadTorchFile } from "../../lib/io/torch_file.ts";
import {
  charrnnTorch,
  ignoreWithoutTorch,
  makeText,
  maxAbsDiff,
  MODULE,
  PY_ENV,
  run,
  tempDir,
  torchMissing,
  TORCHRUN,
  workbench,
} from "./torch_support.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write", "run") || ignoreWithoutTorch(await torchMissing());
const workDir = tempDir("torch_ddp_test_");

Deno.test({
  name: "ddp: two gloo processes train a layer-normalised model on; it imports and samples alike",
  ignore,
  fn: async () => {
    const work = await workDir(), corpus = join(work, "corpus.txt");
    await Deno.writeTextFile(corpus, makeText(8000));
    const dir = join(work, "run"), input = join(work, "ddp-in.safetensors");
    const model = ["--cell", "gru", "--norm", "layer", "--num-layers", "2", "--hidden-size", "32"];
    const regularised = ["--dropout", "0.1", "--dropout-mask", "sequence", "--zoneout", "0.05"];
    const trained = await workbench("train", [
      ...["--corpus", corpus, "--out", dir, ...model, ...regularised, "--steps", "80"],
      ...["--seq-length", "32", "--batch-size", "4", "--learning-rate", "0.01"],
      ...["--eval-every", "0", "--sample-every", "0"],
    ]);
    assertEquals(trained.code, 0, trained.stderr);
    const exported = await workbench("export", [
      ...["--checkpoint", join(dir, "latest.safetensors"), "--out", input],
    ]);
    assertEquals(exported.code, 0, exported.stderr);
    const output = join(work, "ddp-out.safetensors");
    const t0 = performance.now();
    const r = await run(TORCHRUN, [
      ...["--standalone", "--nproc_per_node", "2", "--redirects", "1", "--tee", "1", MODULE],
      ...["train", "--ddp", "--checkpoint", input, "--text", corpus, "--out", output],
      ...["--steps", "6", "--seq-length", "32", "--batch-size", "4", "--print-every", "3"],
    ], { timeoutMs: 300_000, env: PY_ENV });
    const seconds = (performance.now() - t0) / 1000;
    assertEquals(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assertOk(r.stdout.includes(`saved ${output} (step 86, 2 processes)`), r.stdout);
    assertOk(/step 6\/6 \| loss [\d.]+/.test(r.stdout), r.stdout);
    const file = await loadTorchFile(output);
    assertEquals([file.metadata.world_size, file.metadata.step, file.optimizer?.steps], [
      "2",
      "86",
      86,
    ]);
    const ckptPath = join(work, "ddp.ckpt.safetensors");
    const imported = await workbench("import", ["--from", "torch", output, "--out", ckptPath]);
    assertEquals(imported.code, 0, imported.stderr);
    const before = await loadCheckpoint(join(dir, "latest.safetensors"));
    const after = await loadCheckpoint(ckptPath);
    assertEquals([after.step, after.config.norm, after.config.zoneout], [86, "layer", 0.05]);
    const moved = maxAbsDiff(
      Float64Array.from(after.model.params["l1.gh"]!.data),
      Float64Array.from(before.model.params["l1.gh"]!.data),
    );
    assertOk(moved > 1e-4, `the gains did not change (${moved})`);
    const prime = "The heron ";
    const ours = await workbench("sample", [
      ...["--checkpoint", ckptPath, "--prime", prime, "--length", "120", "--temperature", "0"],
    ]);
    assertEquals(ours.code, 0, ours.stderr);
    const theirs = await charrnnTorch([
      ...["sample", "--checkpoint", output, "--prime", prime, "--length", "120"],
      ...["--temperature", "0"],
    ]);
    assertEquals(ours.stdout, theirs.stdout);
    console.log(
      `ddp: torchrun --nproc_per_node 2 (gloo, CPU), 6 steps of 2 x 4 streams x 32 of a ` +
        `layer-normalised 2-layer GRU: ${seconds.toFixed(1)} s wall time; greedy text equal:\n` +
        `  ${JSON.stringify(ours.stdout)}`,
    );
  },
});
