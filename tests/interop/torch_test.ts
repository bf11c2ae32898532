// PyTorch interop with Debian's python3-torch: `deno task export` files give PyTorch our logits
// and our greedy text, for every cell x layer norm off/on x zoneout off/on x 1 and 2 layers;
// PyTorch-trained files brought back by `deno task import` give our sampler and inspector
// PyTorch's next-character probabilities and greedy text. Deliberately wrong mappings (a
// swapped gain, the LSTM gate order, the GRU's hidden bias) must be caught.
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { softmax } from "../../lib/core/softmax.ts";
import { tracePassage } from "../../lib/generate/inspect.ts";
import { sample } from "../../lib/generate/sample.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../../lib/io/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "../../lib/io/safetensors.ts";
import type { ModelConfig } from "../../lib/model/model_config.ts";
import { createModel } from "../../lib/model/create.ts";
import { makeConfig } from "../../lib/train/config.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { buildVocab, encode, type Vocab } from "../../lib/text/vocab.ts";
import {
  ignoreWithoutTorch,
  makeText,
  maxAbsDiff,
  MODULE,
  probe,
  type ProbeJob,
  PY_ENV,
  PYTHON,
  readLogits,
  run,
  stepLogits,
  tempDir,
  torchMissing,
  workbench,
} from "./torch_support.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write", "run") || ignoreWithoutTorch(await torchMissing());
const H = 32;
/** Every cell x 1, 2 layers x layer norm off, on x zoneout off, on. */
const CASES: Omit<ModelConfig, "vocabSize">[] = (["rnn", "lstm", "gru"] as const).flatMap((cell) =>
  [1, 2].flatMap((numLayers) =>
    (["none", "layer"] as const).flatMap((norm) =>
      [0, 0.2].map((zoneout) => ({ cell, hiddenSize: H, numLayers, norm, zoneout }))
    )
  )
);
// 200 characters written for this test
const TEXT = "At dawn the ferryman counted forty-two crates: figs, copper wire, salt, a piano " +
  "with no lid. «Where to?» asked the clerk. He shrugged — upriver, where the maps stop and " +
  "the herons keep the ledgers. …\n";
const PRIME = "At dawn ";
const backend = createBackend(); // float32: what trains here, against PyTorch's float32
const workDir = tempDir("torch_test_");

function id(c: Omit<ModelConfig, "vocabSize">): string {
  return `${c.cell}${c.numLayers}${c.norm === "layer" ? "-ln" : ""}${c.zoneout ? "-zo" : ""}`;
}

/** Row-wise softmax of `(N, V)` logits, in float64. */
function probabilities(logits: Float64Array, V: number): Float64Array {
  const p = new Float64Array(logits.length);
  for (let n = 0; n < logits.length / V; n++) {
    softmax(logits.subarray(n * V, (n + 1) * V), p.subarray(n * V, (n + 1) * V), { n: V });
  }
  return p;
}

/** A checkpoint of a random model with non-zero biases and gains away from 1. */
function randomCheckpoint(config: Omit<ModelConfig, "vocabSize">, vocab: Vocab): Checkpoint {
  const rng = new Rng(1000 + config.numLayers!);
  const V = vocab.chars.length;
  const model = createModel({ ...config, vocabSize: V }, rng, { backend });
  for (const [name, p] of Object.entries(model.params)) {
    if (/(\.b|\.bhn|^by)$/.test(name)) p.data.forEach((_, k) => p.data[k] = rng.normal() * 0.5);
    if (/\.g[xh]$/.test(name)) p.data.forEach((_, k) => p.data[k] = 1 + rng.normal() * 0.3);
  }
  const { cell, numLayers, norm, zoneout } = config;
  return {
    model,
    vocab,
    config: makeConfig({ cell, hiddenSize: H, numLayers, norm, zoneout, batchSize: 1 }),
    optimizer: createOptimizer("adam", model.params, { backend }),
    step: 0,
    position: 0,
    state: model.initialState(1),
    smoothLoss: Math.log(V),
    rng: rng.getState(),
    corpus: "torch_test",
    bestValLoss: null,
  };
}

/** A copy of an exported file with some tensors changed (a deliberately wrong mapping). */
async function breakFile(
  from: string,
  to: string,
  change: (t: Record<string, SafeTensor>) => void,
): Promise<void> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(from));
  change(tensors);
  await Deno.writeFile(to, encodeSafetensors(tensors, metadata));
}

/** Swaps blocks a and b of `size` values in place. */
function swapBlocks(data: SafeTensor["data"], a: number, b: number, size: number): void {
  for (let j = 0; j < size; j++) {
    [data[a * size + j], data[b * size + j]] = [data[b * size + j]!, data[a * size + j]!];
  }
}

/** The wrong mappings, each must move PyTorch's logits: [file id, what, change]. */
const CONTROLS: [string, string, (t: Record<string, SafeTensor>) => void][] = [
  ["gru1-ln", "gains of r and z swapped", (t) => swapBlocks(t["ln_ih_l0.weight"]!.data, 0, 1, H)],
  [
    "gru2-ln-zo",
    "the two sides' gains swapped",
    (t) => {
      const ih = t["ln_ih_l1.weight"]!, hh = t["ln_hh_l1.weight"]!;
      [t["ln_ih_l1.weight"], t["ln_hh_l1.weight"]] = [hh, ih];
    },
  ],
  ["lstm1-ln", "LSTM gates left in our order", (t) => {
    for (const name of ["weight_ih_l0", "weight_hh_l0", "ln_ih_l0.weight", "ln_ih_l0.bias"]) {
      const size = t[name]!.data.length / 4;
      swapBlocks(t[name]!.data, 2, 3, size);
    }
  }],
  ["lstm2", "LSTM gates left in our order (plain)", (t) => swapBlocks(t.bias_ih_l0!.data, 2, 3, H)],
  ["gru1", "the GRU's bhn in the input bias", (t) => {
    for (let j = 2 * H; j < 3 * H; j++) {
      t.bias_ih_l0!.data[j] = t.bias_ih_l0!.data[j]! + t.bias_hh_l0!.data[j]!;
      t.bias_hh_l0!.data[j] = 0;
    }
  }],
];

Deno.test({
  name: "export: PyTorch gives our logits over 200 characters and our greedy text, every model",
  ignore,
  fn: async () => {
    const work = await workDir(), vocab = buildVocab(TEXT), V = vocab.chars.length;
    assertEquals([...TEXT].length, 200);
    const jobs: ProbeJob[] = [], ours = new Map<string, { logits: Float64Array; text: string }>();
    for (const config of CASES) {
      const name = id(config), ckptPath = join(work, `${name}.ckpt.safetensors`);
      const ckpt = randomCheckpoint(config, vocab);
      await saveCheckpoint(ckptPath, ckpt);
      const out = join(work, `${name}.torch.safetensors`);
      const r = await workbench("export", ["--checkpoint", ckptPath, "--out", out]);
      assertEquals(r.code, 0, r.stderr);
      const module = config.norm === "layer" || config.zoneout ? "Recurrent(" : "nn.";
      assertOk(r.stdout.startsWith(`wrote ${out}: ${module}`), r.stdout);
      const text = sample(ckpt.model, vocab, {
        prime: PRIME,
        length: 100,
        temperature: 0,
        rng: new Rng(1),
      });
      ours.set(name, { logits: stepLogits(ckpt.model, encode(vocab, TEXT)), text });
      jobs.push(
        { op: "logits", model: out, text: TEXT, out: join(work, `${name}.logits`) },
        { op: "sample", model: out, prime: PRIME, length: 100, out: join(work, `${name}.txt`) },
      );
    }
    for (const [name, , change] of CONTROLS) {
      const bad = join(work, `${name}.bad`);
      await breakFile(join(work, `${name}.torch.safetensors`), bad, change);
      jobs.push({ op: "logits", model: bad, text: TEXT, out: `${bad}.logits` });
    }
    await probe(work, jobs);
    const rows: string[] = [];
    for (const config of CASES) {
      const name = id(config), { logits, text } = ours.get(name)!;
      const diff = maxAbsDiff(await readLogits(join(work, `${name}.logits`)), logits);
      const torchText = await Deno.readTextFile(join(work, `${name}.txt`));
      rows.push(
        `${name.padEnd(12)} ${diff.toExponential(2)}  greedy ${
          torchText === text ? "equal" : "DIFFERS"
        }`,
      );
      assertOk(diff < 1e-4, `${name}: max logit difference ${diff}`);
      assertEquals(torchText, text, `${name}: greedy text`);
    }
    console.log(
      `export -> PyTorch forward over ${[...TEXT].length} characters, V = ${V}, H = ${H}, ` +
        `ours on ${backend.kind}, max |logit difference|, and 100 greedy characters:\n  ` +
        rows.join("\n  "),
    );
    for (const [name, what] of CONTROLS) {
      const wrong = maxAbsDiff(
        await readLogits(join(work, `${name}.bad.logits`)),
        ours.get(name)!.logits,
      );
      console.log(`  control ${name}, ${what}: ${wrong.toExponential(2)}`);
      assertOk(wrong > 1e-2, `${name} with ${what} differs by only ${wrong}`);
    }
  },
});

/** PyTorch-trained models: the plain ones, and every option of the workbench's cells. */
const TRAINED: [string, string[]][] = [
  ["rnn1", ["--cell", "rnn", "--num-layers", "1"]],
  ["rnn2", ["--cell", "rnn", "--num-layers", "2"]],
  ["lstm1", ["--cell", "lstm", "--num-layers", "1"]],
  ["lstm2", ["--cell", "lstm", "--num-layers", "2"]],
  ["gru1", ["--cell", "gru", "--num-layers", "1"]],
  ["gru2", ["--cell", "gru", "--num-layers", "2"]],
  ["rnn1-ln", ["--cell", "rnn", "--num-layers", "1", "--norm", "layer"]],
  ["lstm2-ln-zo", ["--cell", "lstm", "--num-layers", "2", "--norm", "layer", "--zoneout", "0.1"]],
  ["gru2-ln-all", [
    ...["--cell", "gru", "--num-layers", "2", "--norm", "layer", "--zoneout", "0.1"],
    ...[
      "--dropout",
      "0.2",
      "--dropout-mask",
      "sequence",
      "--weight-drop",
      "0.2",
      "--weight-average",
      "0.9",
    ],
  ]],
];

Deno.test({
  name: "import: a PyTorch-trained model gives our sampler PyTorch's probabilities and text",
  ignore,
  fn: async () => {
    const work = await workDir(), corpusText = makeText(8000);
    const corpus = join(work, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText);
    const passage = [...corpusText].slice(1000, 1200).join(""), prime = "The heron ";
    const jobs: ProbeJob[] = [];
    const common = ["--hidden-size", String(H), "--steps", "40", "--seq-length", "32"];
    for (const [name, flags] of TRAINED) {
      const model = join(work, `py-${name}.safetensors`);
      jobs.push(
        {
          op: "train",
          argv: [
            "--text",
            corpus,
            "--out",
            model,
            ...flags,
            ...common,
            "--batch-size",
            "4",
            "--learning-rate",
            "0.01",
            "--print-every",
            "40",
          ],
        },
        { op: "logits", model, text: passage, out: join(work, `py-${name}.logits`) },
        { op: "sample", model, prime, length: 80, out: join(work, `py-${name}.txt`) },
      );
    }
    const trained = await probe(work, jobs);
    assertEquals(
      trained.stdout.match(/^saved .* \(step 40, 1 process\)$/gm)?.length,
      TRAINED.length,
      trained.stdout,
    );
    const rows: string[] = [];
    for (const [name] of TRAINED) {
      const ckptPath = join(work, `py-${name}.ckpt.safetensors`);
      const file = join(work, `py-${name}.safetensors`);
      const r = await workbench("import", ["--from", "torch", file, "--out", ckptPath]);
      assertEquals(r.code, 0, r.stderr);
      assertOk(
        r.stdout.includes("a checkpoint at step 40 with Adam's moments (step 40)"),
        r.stdout,
      );
      const { model, vocab, step, corpus: saved } = await loadCheckpoint(ckptPath);
      assertEquals([step, saved], [40, corpus]);
      const V = vocab.chars.length;
      const torchP = probabilities(await readLogits(join(work, `py-${name}.logits`)), V);
      const pDiff = maxAbsDiff(probabilities(stepLogits(model, encode(vocab, passage)), V), torchP);
      // the inspector's surprisal of each character, against PyTorch's
      const bits = tracePassage(model, vocab, passage).bits, ids = encode(vocab, passage);
      let bitsDiff = 0;
      for (let n = 1; n < ids.length; n++) {
        const torchBits = -Math.log2(torchP[(n - 1) * V + ids[n]!]!);
        bitsDiff = Math.max(bitsDiff, Math.abs(bits[n]! - torchBits));
      }
      rows.push(`${name}: p ${pDiff.toExponential(2)}, bits ${bitsDiff.toExponential(2)}`);
      assertOk(pDiff < 1e-5, `${name}: max probability difference ${pDiff}`);
      assertOk(bitsDiff < 1e-4, `${name}: max surprisal difference ${bitsDiff}`);
      const greedy = sample(model, vocab, { prime, length: 80, temperature: 0, rng: new Rng(1) });
      assertEquals(greedy, await Deno.readTextFile(join(work, `py-${name}.txt`)), name);
    }
    console.log(
      `PyTorch-trained (40 Adam steps) -> import -> our sampler on ${backend.kind}, over ` +
        `${[...passage].length} characters, max |difference| of next-character probabilities ` +
        `and of surprisal bits:\n  ${rows.join("\n  ")}`,
    );
    // the Python side refuses a workbench checkpoint with one line
    const wrong = await run(PYTHON, [
      MODULE,
      "sample",
      "--checkpoint",
      join(work, "py-rnn1.ckpt.safetensors"),
    ], { env: PY_ENV });
    assertEquals(wrong.code, 1, wrong.stderr);
    assertOk(/^error: .*not a charrnn-torch v2 file.*\n$/.test(wrong.stderr), wrong.stderr);
  },
});

Deno.test({
  name: "charrnn_torch.py train takes --ema as the former name of --weight-average",
  ignore,
  fn: async () => {
    const work = await workDir(), text = join(work, "flags.txt");
    await Deno.writeTextFile(text, makeText(200));
    const missing = join(work, "missing.safetensors"); // refused before it is read
    for (const flag of ["--weight-average", "--ema"]) {
      const r = await run(PYTHON, [
        ...[MODULE, "train", "--text", text, "--out", join(work, "out.safetensors")],
        ...["--checkpoint", missing, flag, "0.9"],
      ], { env: PY_ENV });
      assertEquals(r.code, 1, r.stderr);
      assertOk(r.stderr.startsWith("error: --weight-average is for a new model;"), r.stderr);
    }
  },
});
