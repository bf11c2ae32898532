// `deno task export` and `deno task import` as subprocesses with the tasks' permissions: an
// exact round trip through the PyTorch layout (weights, Adam's state, the weight average and the
// run's config), help, and one-line errors with exit codes 1/2.
import { join } from "node:path";
import { cli } from "./cli_support.ts";
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { parseFlags } from "../../cli/args.ts";
import { IMPORT_FLAGS } from "../../cli/import.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../../lib/io/checkpoint.ts";
import { loadTorchFile } from "../../lib/io/torch_file.ts";
import { zerosLike } from "../../lib/core/tensor.ts";
import { buildModel } from "../../cli/backend.ts";
import { makeConfig } from "../../lib/train/config.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { buildVocab } from "../../lib/text/vocab.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write", "run"); // the tests that run the commands in `dir`
const dir = ignore ? "" : await Deno.makeTempDir({ prefix: "export_import_test_" });
globalThis.addEventListener("unload", () => ignore || Deno.removeSync(dir, { recursive: true }));
const ckptPath = join(dir, "lstm.safetensors");
const torchPath = join(dir, "torch.safetensors");

/** A float32 checkpoint of a two-layer layer-normalised LSTM with zoneout, Adam's moments and a
 * weight average, every value random. */
async function writeCheckpoint(): Promise<Checkpoint> {
  const vocab = buildVocab("Quill and ink, then the map — ready.\n");
  const backend = createBackend({ kind: "ts" }), rng = new Rng(9);
  const config = makeConfig({
    cell: "lstm",
    hiddenSize: 6,
    numLayers: 2,
    batchSize: 2,
    norm: "layer",
    zoneout: 0.1,
    weightAverage: 0.99,
  });
  const model = buildModel(config, vocab.chars.length, rng, backend);
  const optimizer = createOptimizer("adam", model.params, { backend });
  optimizer.steps = 25;
  const trained = zerosLike(model.params);
  for (const record of [model.params, optimizer.state, trained]) {
    for (const t of Object.values(record)) {
      t.data.forEach((_, k) => t.data[k] = Math.abs(rng.normal()));
    }
  }
  const ckpt: Checkpoint = {
    model,
    vocab,
    config,
    optimizer,
    step: 25,
    position: 0,
    state: model.initialState(2),
    smoothLoss: 2,
    rng: rng.getState(),
    corpus: "quill.txt",
    bestValLoss: null,
    average: { trained, updates: 25 },
  };
  await saveCheckpoint(ckptPath, ckpt);
  return ckpt;
}

Deno.test("export then import: the same run, exactly: weights, Adam, average, config", {
  ignore,
}, async () => {
  const saved = await writeCheckpoint(), { model } = saved;
  const exported = await cli("export", [
    "--checkpoint",
    ckptPath,
    "--format",
    "torch",
    "--out",
    torchPath,
  ]);
  assertEquals(exported.code, 0, exported.stderr);
  const V = model.config.vocabSize;
  assertOk(
    exported.stdout.includes(
      `Recurrent(lstm, ${V}, 6, num_layers=2, norm=layer, zoneout=0.1) + nn.Linear(6, ${V}), `,
    ) && exported.stdout.includes("Adam at step 25") &&
      exported.stdout.includes("the weight average (beta 0.99)"),
    exported.stdout,
  );
  const file = await loadTorchFile(torchPath);
  assertEquals([file.dtype, file.metadata.step, file.metadata.corpus], ["F32", "25", "quill.txt"]);
  const back = join(dir, "back.safetensors");
  const imported = await cli("import", ["--from", "torch", torchPath, "--out", back]);
  assertEquals(imported.code, 0, imported.stderr);
  assertOk(
    imported.stdout.includes(
      "a checkpoint at step 25 with Adam's moments (step 25) and the weight",
    ),
    imported.stdout,
  );
  const ckpt = await loadCheckpoint(back, { backend: createBackend({ kind: "ts" }) });
  assertEquals(ckpt.model.params, model.params);
  assertEquals(ckpt.optimizer.state, saved.optimizer.state);
  assertEquals(ckpt.average, saved.average);
  assertEquals(ckpt.config, saved.config);
  assertEquals([ckpt.step, ckpt.optimizer.steps, ckpt.corpus], [25, 25, "quill.txt"]);
  // flags before or after the positional input
  const again = await cli("import", ["--out", back, torchPath]);
  assertEquals(again.code, 0, again.stderr);
});

Deno.test("export and import: help, and one-line errors with exit codes", { ignore }, async () => {
  for (const command of ["export", "import"] as const) {
    const help = await cli(command, ["--help"]);
    assertEquals(help.code, 0);
    assertOk(help.stdout.startsWith(`Usage: deno task ${command} `), help.stdout);
  }
  const notTorch = join(dir, "plain.safetensors");
  await Deno.writeFile(notTorch, new Uint8Array(16));
  const cases: ["export" | "import", string[], number, RegExp][] = [
    ["export", ["--out", torchPath], 2, /Missing --checkpoint/],
    ["export", ["--checkpoint", ckptPath], 2, /Missing --out/],
    [
      "export",
      ["--checkpoint", ckptPath, "--format", "onnx", "--out", torchPath],
      2,
      /--format "onnx": expected one of torch/,
    ],
    [
      "export",
      ["--checkpoint", ckptPath, "--out", torchPath, "extra"],
      2,
      /Unexpected argument "extra"/,
    ],
    [
      "export",
      ["--checkpoint", join(dir, "none"), "--out", torchPath],
      1,
      /Cannot read checkpoint .*file not found/,
    ],
    ["import", ["--from", "torch", "--out", ckptPath], 2, /Missing input file/],
    ["import", ["--from", "torch", torchPath], 2, /Missing --out/],
    [
      "import",
      ["--from", "onnx", torchPath, "--out", ckptPath],
      2,
      /--from "onnx": expected one of torch/,
    ],
    [
      "import",
      [torchPath, torchPath, "--out", ckptPath],
      2,
      /Unexpected argument .*at most 1 without a flag/,
    ],
    [
      "import",
      ["--from", "torch", join(dir, "none"), "--out", ckptPath],
      1,
      /Cannot read PyTorch file .*file not found/,
    ],
    [
      "import",
      ["--from", "torch", ckptPath, "--out", join(dir, "x")],
      1,
      /Invalid PyTorch file .*"format" is "charrnn-workbench-checkpoint", expected "charrnn-torch"/,
    ],
    [
      "import",
      ["--from", "torch", notTorch, "--out", join(dir, "x")],
      1,
      /Invalid PyTorch file .*header is not valid JSON/,
    ],
  ];
  for (const [command, args, code, pattern] of cases) {
    const r = await cli(command, args);
    const what = `${command} ${args.join(" ")}`;
    assertEquals(r.code, code, `${what}: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split("\n");
    assertEquals(lines.length, 1, `${what}: ${r.stderr}`);
    assertOk(lines[0]!.startsWith("error: ") && pattern.test(lines[0]!), `${what}: ${lines[0]}`);
  }
});

Deno.test("flags: positional arguments only where a command takes them", () => {
  const parsed = parseFlags(["in.safetensors", "--out", "x"], IMPORT_FLAGS, { positionals: 1 });
  assertEquals([parsed.positionals, parsed.values.out, parsed.values.from], [
    ["in.safetensors"],
    "x",
    "torch",
  ]);
  assertThrows(
    () => parseFlags(["a", "b"], IMPORT_FLAGS, { positionals: 1 }),
    /Unexpected argument "b"/,
  );
  assertThrows(() => parseFlags(["a"], IMPORT_FLAGS), /every value needs its flag/);
});
