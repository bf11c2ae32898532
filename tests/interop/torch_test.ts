// PyTorch interop with Debian's python3-torch: `deno task export` files give PyTorch our
// logits; PyTorch-trained files brought back by `deno task import` give our sampler and
// inspector PyTorch's next-character probabilities; a two-process gloo DDP run under torchrun
// finishes and its file imports. Every cell (rnn, lstm, gru) at 1 and 2 layers.
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { softmax } from "../../lib/core/softmax.ts";
import { tracePassage } from "../../lib/generate/inspect.ts";
import { sample } from "../../lib/generate/sample.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "../../lib/io/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "../../lib/io/safetensors.ts";
import { loadTorchFile, saveTorchFile } from "../../lib/io/torch_file.ts";
import type { CellKind } from "../../lib/model/model_config.ts";
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
  torchMissing,
  TORCHRUN,
  workbench,
} from "./torch_support.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write", "run") || ignoreWithoutTorch(await torchMissing());
const CASES: [CellKind, number][] = [
  ["rnn", 1],
  ["rnn", 2],
  ["lstm", 1],
  ["lstm", 2],
  ["gru", 1],
  ["gru", 2],
];
const H = 32;
// 200 characters written for this test
const TEXT = "At dawn the ferryman counted forty-two crates: figs, copper wire, salt, a piano " +
  "with no lid. «Where to?» asked the clerk. He shrugged — upriver, where the maps stop and " +
  "the herons keep the ledgers. …\n";
const backend = createBackend(); // float32: what trains here, against PyTorch's float32

let dir = "";
async function workDir(): Promise<string> {
  if (!dir) {
    dir = await Deno.makeTempDir({ prefix: "torch_test_" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  }
  return dir;
}

/** Row-wise softmax of `(N, V)` logits, in float64. */
function probabilities(logits: Float64Array, V: number): Float64Array {
  const p = new Float64Array(logits.length);
  for (let n = 0; n < logits.length / V; n++) {
    softmax(logits.subarray(n * V, (n + 1) * V), p.subarray(n * V, (n + 1) * V), { n: V });
  }
  return p;
}

/** A checkpoint of a random model with non-zero biases (they start at zero). */
function randomCheckpoint(kind: CellKind, numLayers: number, vocab: Vocab): Checkpoint {
  const rng = new Rng(1000 + numLayers);
  const V = vocab.chars.length;
  const model = createModel({ cell: kind, vocabSize: V, hiddenSize: H, numLayers }, rng, {
    backend,
  });
  for (const [name, p] of Object.entries(model.params)) {
    if (/(\.b|\.bhn|^by)$/.test(name)) p.data.forEach((_, k) => p.data[k] = rng.normal() * 0.5);
  }
  return {
    model,
    vocab,
    config: makeConfig({ cell: kind, hiddenSize: H, numLayers, batchSize: 1 }),
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

/** A copy of an exported file with one tensor changed (a deliberately wrong mapping). */
async function breakFile(
  from: string,
  to: string,
  change: (t: Record<string, SafeTensor>) => void,
): Promise<void> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(from));
  change(tensors);
  await Deno.writeFile(to, encodeSafetensors(tensors, metadata));
}

Deno.test({
  name: "export: PyTorch's forward gives our logits over 200 characters, every cell and depth",
  ignore,
  fn: async () => {
    const work = await workDir(), vocab = buildVocab(TEXT), V = vocab.chars.length;
    assertEquals([...TEXT].length, 200);
    const jobs: ProbeJob[] = [], ours = new Map<string, Float64Array>();
    for (const [kind, L] of CASES) {
      const id = `${kind}${L}`, ckptPath = join(work, `${id}.ckpt.safetensors`);
      const ckpt = randomCheckpoint(kind, L, vocab);
      await saveCheckpoint(ckptPath, ckpt);
      const out = join(work, `${id}.torch.safetensors`);
      const r = await workbench("export", [
        "--checkpoint",
        ckptPath,
        "--format",
        "torch",
        "--out",
        out,
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertOk(r.stdout.startsWith(`wrote ${out}: nn.`), r.stdout);
      ours.set(id, stepLogits(ckpt.model, encode(vocab, TEXT)));
      jobs.push({ op: "logits", model: out, text: TEXT, out: join(work, `${id}.logits`) });
    }
    // controls: a GRU whose bhn went into bias_ih instead of bias_hh's n part, and an LSTM left
    // in our gate order, must give PyTorch other logits
    const H3 = 3 * H;
    await breakFile(join(work, "gru1.torch.safetensors"), join(work, "gru1.bad"), (t) => {
      for (let j = 2 * H; j < H3; j++) {
        t.bias_ih_l0!.data[j] = t.bias_ih_l0!.data[j]! + t.bias_hh_l0!.data[j]!;
        t.bias_hh_l0!.data[j] = 0;
      }
    });
    await breakFile(join(work, "lstm1.torch.safetensors"), join(work, "lstm1.bad"), (t) => {
      const w = t.bias_ih_l0!.data, g = Array.from({ length: H }, (_, j) => w[2 * H + j]!);
      for (let j = 0; j < H; j++) [w[2 * H + j], w[3 * H + j]] = [w[3 * H + j]!, g[j]!];
    });
    for (const id of ["gru1", "lstm1"]) {
      jobs.push({
        op: "logits",
        model: join(work, `${id}.bad`),
        text: TEXT,
        out: join(work, `${id}.bad.logits`),
      });
    }
    await probe(work, jobs);
    const rows: string[] = [];
    for (const [kind, L] of CASES) {
      const id = `${kind}${L}`;
      const diff = maxAbsDiff(await readLogits(join(work, `${id}.logits`)), ours.get(id)!);
      rows.push(`${kind} ${L} layer${L > 1 ? "s" : ""}: ${diff.toExponential(2)}`);
      assertOk(diff < 1e-4, `${id}: max logit difference ${diff}`);
    }
    console.log(
      `export -> PyTorch forward over ${[...TEXT].length} characters, V = ${V}, H = ${H}, ` +
        `ours on ${backend.kind}, max |logit difference|:\n  ${rows.join("\n  ")}`,
    );
    for (const id of ["gru1", "lstm1"]) {
      const wrong = maxAbsDiff(await readLogits(join(work, `${id}.bad.logits`)), ours.get(id)!);
      assertOk(wrong > 1e-2, `${id} with a wrong mapping differs by only ${wrong}`);
    }
  },
});

Deno.test({
  name: "import: a PyTorch-trained model gives our sampler PyTorch's next-character probabilities",
  ignore,
  fn: async () => {
    const work = await workDir(), corpusText = makeText(8000);
    const corpus = join(work, "corpus.txt");
    await Deno.writeTextFile(corpus, corpusText);
    const passage = [...corpusText].slice(1000, 1200).join(""), prime = "The heron ";
    const jobs: ProbeJob[] = [];
    for (const [kind, L] of CASES) {
      const id = `py-${kind}${L}`, model = join(work, `${id}.safetensors`);
      const argv = ["--text", corpus, "--out", model, "--cell", kind, "--num-layers", String(L)];
      jobs.push(
        {
          op: "train",
          argv: [
            ...argv,
            "--hidden-size",
            String(H),
            "--steps",
            "40",
            "--seq-length",
            "32",
            "--batch-size",
            "4",
            "--learning-rate",
            "0.01",
            "--print-every",
            "40",
          ],
        },
        { op: "logits", model, text: passage, out: join(work, `${id}.logits`) },
        { op: "sample", model, prime, length: 80, out: join(work, `${id}.txt`) },
      );
    }
    const trained = await probe(work, jobs);
    assertEquals(
      trained.stdout.match(/^saved .* \(step 40, 1 process\)$/gm)?.length,
      6,
      trained.stdout,
    );
    const rows: string[] = [];
    for (const [kind, L] of CASES) {
      const id = `py-${kind}${L}`, ckptPath = join(work, `${id}.ckpt.safetensors`);
      const r = await workbench("import", [
        "--from",
        "torch",
        join(work, `${id}.safetensors`),
        "--out",
        ckptPath,
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertOk(r.stdout.includes("fresh adam optimizer at step 0"), r.stdout);
      const { model, vocab, step, corpus: saved } = await loadCheckpoint(ckptPath);
      assertEquals([step, saved], [0, corpus]);
      const V = vocab.chars.length;
      const torchLogits = await readLogits(join(work, `${id}.logits`));
      const torchP = probabilities(torchLogits, V);
      const pDiff = maxAbsDiff(probabilities(stepLogits(model, encode(vocab, passage)), V), torchP);
      // the inspector's surprisal of each character, against PyTorch's
      const bits = tracePassage(model, vocab, passage).bits, ids = encode(vocab, passage);
      let bitsDiff = 0;
      for (let n = 1; n < ids.length; n++) {
        const torchBits = -Math.log2(torchP[(n - 1) * V + ids[n]!]!);
        bitsDiff = Math.max(bitsDiff, Math.abs(bits[n]! - torchBits));
      }
      rows.push(
        `${kind} ${L} layer${L > 1 ? "s" : ""}: p ${pDiff.toExponential(2)}, bits ${
          bitsDiff.toExponential(2)
        }`,
      );
      assertOk(pDiff < 1e-5, `${id}: max probability difference ${pDiff}`);
      assertOk(bitsDiff < 1e-4, `${id}: max surprisal difference ${bitsDiff}`);
      const greedy = sample(model, vocab, { prime, length: 80, temperature: 0, rng: new Rng(1) });
      assertEquals(greedy, await Deno.readTextFile(join(work, `${id}.txt`)), id);
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
    assertOk(/^error: .*not a charrnn-torch v1 file.*\n$/.test(wrong.stderr), wrong.stderr);
  },
});

Deno.test({
  name: "ddp: two gloo processes under torchrun train a few steps; the result imports",
  ignore,
  fn: async () => {
    const work = await workDir(), corpusText = makeText(8000);
    const corpus = join(work, "ddp-corpus.txt");
    await Deno.writeTextFile(corpus, corpusText);
    const vocab = buildVocab(corpusText);
    const start = randomCheckpoint("lstm", 2, vocab);
    const input = join(work, "ddp-in.safetensors"), output = join(work, "ddp-out.safetensors");
    await saveTorchFile(input, start, { metadata: { step: "100" } });
    const t0 = performance.now();
    const r = await run(TORCHRUN, [
      "--standalone",
      "--nproc_per_node",
      "2",
      "--redirects",
      "1",
      "--tee",
      "1",
      MODULE,
      "train",
      "--ddp",
      "--checkpoint",
      input,
      "--text",
      corpus,
      "--out",
      output,
      "--steps",
      "6",
      "--seq-length",
      "32",
      "--batch-size",
      "4",
      "--print-every",
      "3",
    ], { timeoutMs: 300_000, env: PY_ENV });
    const seconds = (performance.now() - t0) / 1000;
    assertEquals(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assertOk(r.stdout.includes(`saved ${output} (step 106, 2 processes)`), r.stdout);
    assertOk(/step 6\/6 \| loss [\d.]+/.test(r.stdout), r.stdout);
    const file = await loadTorchFile(output);
    assertEquals([file.metadata.world_size, file.metadata.step], ["2", "106"]);
    const ckptPath = join(work, "ddp.ckpt.safetensors");
    const imported = await workbench("import", ["--from", "torch", output, "--out", ckptPath]);
    assertEquals(imported.code, 0, imported.stderr);
    const { model } = await loadCheckpoint(ckptPath);
    for (const [name, p] of Object.entries(model.params)) {
      const float32 = Float32Array.from(file.params[name]!.data); // b_ih + b_hh, rounded
      assertEquals(Float64Array.from(p.data), Float64Array.from(float32), name);
    }
    const moved = maxAbsDiff(
      Float64Array.from(model.params["l1.Wh"]!.data),
      Float64Array.from(start.model.params["l1.Wh"]!.data),
    );
    assertOk(moved > 1e-4, `the weights did not change (${moved})`);
    console.log(
      `ddp: torchrun --nproc_per_node 2 (gloo, CPU), 6 steps of 2 x 4 streams x 32: ${
        seconds.toFixed(1)
      } s wall time`,
    );
  },
});
