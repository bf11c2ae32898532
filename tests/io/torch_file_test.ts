// PyTorch-layout files without PyTorch: the metadata, Adam's state and the weight average both
// ways (exact in float64), checkpoints to files and back, and strict rejection of bad files.
import { assertEquals, assertOk, assertRejects, assertThrows } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { cloneState } from "../../lib/core/tensor.ts";
import type { ModelConfig } from "../../lib/model/model_config.ts";
import { createModel } from "../../lib/model/create.ts";
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "../../lib/io/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "../../lib/io/safetensors.ts";
import { torchFileCheckpoint, torchSourceOf } from "../../lib/io/torch_checkpoint.ts";
import { decodeTorchFile, encodeTorchFile, loadTorchFile } from "../../lib/io/torch_file.ts";
import { makeConfig } from "../../lib/train/config.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { runLearningRate } from "../../lib/train/schedule.ts";
import { buildVocab } from "../../lib/text/vocab.ts";
import { needs } from "../permissions.ts";

const vocab = buildVocab("Ada wrote: the engine weaves algebraic patterns.\n");
const V = vocab.chars.length, H = 5;
const F64 = createBackend({ kind: "f64" });

/** A float64 checkpoint of a random model whose Adam moments and average are random too. */
function randomCheckpoint(overrides: Parameters<typeof makeConfig>[0]): Checkpoint {
  const rng = new Rng(4), config = makeConfig({ hiddenSize: H, batchSize: 2, ...overrides });
  const modelConfig: ModelConfig = {
    cell: config.cell,
    vocabSize: V,
    hiddenSize: H,
    numLayers: config.numLayers,
    norm: config.norm,
    zoneout: config.zoneout,
  };
  const model = createModel(modelConfig, rng, { backend: F64 });
  const optimizer = createOptimizer("adam", model.params, { backend: F64 });
  for (const t of [...Object.values(model.params), ...Object.values(optimizer.state)]) {
    t.data.forEach((_, k) => t.data[k] = Math.abs(rng.normal()));
  }
  optimizer.steps = 37;
  const trained = cloneState(model.params);
  for (const t of Object.values(trained)) t.data.forEach((v, k) => t.data[k] = v + 0.25);
  return {
    model,
    vocab,
    config,
    optimizer,
    step: 37,
    position: 5,
    state: model.initialState(2),
    smoothLoss: 1.75,
    rng: rng.getState(),
    corpus: "ada.txt",
    bestValLoss: null,
    elapsedMs: 12_345,
    ...(config.weightAverage > 0 ? { average: { trained, updates: 30 } } : {}),
  };
}

Deno.test("torch file: metadata, and a checkpoint with a fresh optimizer without Adam's state", () => {
  const config = { cell: "gru" as const, vocabSize: V, hiddenSize: H, numLayers: 2 };
  const model = createModel(config, new Rng(5), { backend: F64 });
  const file = decodeTorchFile(encodeTorchFile({ model, vocab }, { metadata: { step: "12" } }));
  assertEquals(file.config, {
    ...config,
    dropout: 0,
    dropoutMask: "position",
    weightDrop: 0,
    norm: "none",
    zoneout: 0,
  });
  assertEquals(file.vocab.chars, vocab.chars);
  assertEquals([file.dtype, file.metadata.step, file.metadata.format, file.metadata.version], [
    "F32",
    "12",
    "charrnn-torch",
    "2",
  ]);
  assertEquals(JSON.parse(file.metadata.config!), {
    cell: "gru",
    vocab_size: V,
    hidden_size: H,
    num_layers: 2,
    dropout: 0,
    dropout_mask: "position",
    weight_drop: 0,
    norm: "none",
    zoneout: 0,
  });
  assertEquals([file.optimizer, file.average], [undefined, undefined]);
  const ckpt = torchFileCheckpoint(file, { backend: createBackend({ kind: "ts" }) });
  const back = decodeCheckpoint(encodeCheckpoint(ckpt), { backend: F64 });
  assertEquals([back.step, back.optimizer.steps, back.config.cell, back.config.numLayers], [
    0,
    0,
    "gru",
    2,
  ]);
  for (const [name, p] of Object.entries(model.params)) {
    assertEquals(back.model.params[name]!.data, Float64Array.from(Float32Array.from(p.data)), name);
  }
  for (const m of Object.values(back.optimizer.state)) assertOk(m.data.every((v) => v === 0));
});

Deno.test("torch file: a run's Adam state, average, config and progress, exactly both ways", () => {
  const runs = [
    { cell: "gru", norm: "layer", numLayers: 2, weightDecay: 0.05, weightAverage: 0.998 },
    { cell: "lstm", zoneout: 0.1, lrSchedule: "cosine", maxMinutes: 5, warmupSteps: 10 },
  ] as const;
  for (const overrides of runs) {
    const ckpt = randomCheckpoint(overrides);
    const { source, metadata } = torchSourceOf(ckpt);
    const elapsedMs = 12_345, step = 37;
    assertEquals(source.optimizer!.lr, runLearningRate(ckpt.config, { step, elapsedMs }));
    const file = decodeTorchFile(encodeTorchFile(source, { dtype: "F64", metadata }));
    assertEquals(JSON.parse(file.metadata.optimizer!), {
      name: "adam",
      step,
      lr: source.optimizer!.lr,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: ckpt.config.weightDecay,
    });
    const back = torchFileCheckpoint(file, { backend: F64 });
    assertEquals(back.config, ckpt.config);
    assertEquals([back.step, back.optimizer.steps, back.smoothLoss, back.elapsedMs], [
      step,
      step,
      1.75,
      elapsedMs,
    ]);
    assertEquals([back.position, back.corpus], [5, "ada.txt"]);
    assertEquals(back.state, ckpt.model.initialState(2)); // the carried state starts at zero
    assertEquals(back.model.params, ckpt.model.params);
    assertEquals(back.optimizer.state, ckpt.optimizer.state);
    assertEquals(back.average, ckpt.average);
    if (ckpt.average) { // the model is the average; trained.* are the weights Adam moves
      assertEquals(
        Object.keys(file.average!.trained).sort(),
        Object.keys(ckpt.model.params).sort(),
      );
      assertEquals(file.average!.beta, 0.998);
      assertEquals(JSON.parse(file.metadata.average!).decay, 0.998); // the file's name for beta
    }
  }
});

Deno.test("torch file: a run's config written under the former names imports under the current", () => {
  const ckpt = randomCheckpoint({ cell: "gru", numLayers: 2, weightAverage: 0.99 });
  const { source, metadata } = torchSourceOf(ckpt);
  const { cell: model, weightAverage: ema, ...rest } = JSON.parse(metadata.workbench!);
  const former = { ...metadata, workbench: JSON.stringify({ model, ema, ...rest }) }; // as exported before
  const back = torchFileCheckpoint(decodeTorchFile(encodeTorchFile(source, { metadata: former })), {
    backend: F64,
  });
  assertEquals(back.config, ckpt.config);
  assertEquals([back.config.cell, back.config.weightAverage], ["gru", 0.99]);
});

Deno.test("torch file: other optimizers export no state; PyTorch's Adam state turns the run to Adam", () => {
  const ckpt = randomCheckpoint({ cell: "rnn", optimizer: "rmsprop" });
  ckpt.optimizer = createOptimizer("rmsprop", ckpt.model.params, { backend: F64 });
  const { source, metadata } = torchSourceOf(ckpt);
  assertEquals(source.optimizer, undefined);
  const adam = torchSourceOf(randomCheckpoint({ cell: "rnn" })).source.optimizer!;
  const file = decodeTorchFile(encodeTorchFile({ ...source, optimizer: adam }, { metadata }));
  const back = torchFileCheckpoint(file, { backend: F64 });
  assertEquals([back.config.optimizer, back.optimizer.name, back.optimizer.steps], [
    "adam",
    "adam",
    37,
  ]);
  const foreign = { ...adam, beta2: 0.99 };
  assertThrows(
    () => torchFileCheckpoint(decodeTorchFile(encodeTorchFile({ ...source, optimizer: foreign }))),
    /Cannot import Adam's state: betas \[0.9, 0.99\], eps 1e-8 differ from the workbench's/,
  );
});

/** The file of a 1-layer rnn with Adam's state and one change to its tensors or metadata. */
function edited(
  change: (t: Record<string, SafeTensor>, meta: Record<string, string>) => void,
): Uint8Array {
  const { source, metadata } = torchSourceOf(randomCheckpoint({ cell: "rnn" }));
  const { tensors, metadata: meta } = decodeSafetensors(encodeTorchFile(source, { metadata }));
  change(tensors, meta);
  return encodeSafetensors(tensors, meta);
}

Deno.test("torch file: every kind of bad file is refused with one line naming it", {
  ignore: needs("read", "write"),
}, async () => {
  const bad: [string, Uint8Array, RegExp][] = [
    ["not safetensors", new Uint8Array(3), /Invalid safetensors file: .*truncated/],
    ["no format", edited((_, m) => delete m.format), /metadata "format" is missing/],
    [
      "checkpoint",
      edited((_, m) => m.format = "charrnn-workbench-checkpoint"),
      /expected "charrnn-torch"/,
    ],
    ["version", edited((_, m) => m.version = "9"), /unsupported version "9"/],
    ["config JSON", edited((_, m) => m.config = "{"), /metadata "config" is not valid JSON/],
    [
      "config key",
      edited((_, m) => m.config = m.config!.replace("{", '{"bias":true,')),
      /unknown key "bias"/,
    ],
    [
      "cell",
      edited((_, m) => m.config = m.config!.replace('"rnn"', '"tcn"')),
      /Invalid cell "tcn"/,
    ],
    [
      "hidden",
      edited((_, m) => m.config = m.config!.replace(`"hidden_size":${H}`, '"hidden_size":0')),
      /Invalid hiddenSize 0/,
    ],
    [
      "norm",
      edited((_, m) => m.config = m.config!.replace('"norm":"none"', '"norm":"batch"')),
      /Invalid norm "batch"/,
    ],
    ["no vocab", edited((_, m) => delete m.vocab), /metadata "vocab" is missing/],
    ["vocab size", edited((_, m) => m.vocab = '["a"]'), /1 characters, config "vocab_size" is/],
    [
      "vocab twice",
      edited((_, m) => m.vocab = JSON.stringify([...vocab.chars.slice(1), "A"])),
      /appears twice/,
    ],
    ["missing", edited((t) => delete t.bias_hh_l0), /tensor "bias_hh_l0" is missing/],
    ["extra", edited((t) => t.weight_ih_l1 = t.weight_ih_l0!), /unexpected tensor "weight_ih_l1"/],
    [
      "layer norm tensors of a plain model",
      edited((t) => t["ln_ih_l0.weight"] = t.bias_ih_l0!),
      /unexpected tensor "ln_ih_l0.weight"/,
    ],
    [
      "shape",
      edited((t) => t.weight_hh_l0!.shape = [H * H]),
      /"weight_hh_l0" has shape \[25\], expected \[5,5\]/,
    ],
    [
      "dtype",
      edited((t) => t["decoder.bias"] = { dtype: "I32", shape: [V], data: new Int32Array(V) }),
      /is I32; expected F32 or F64/,
    ],
    [
      "NaN",
      edited((t) => t["decoder.weight"]!.data[3] = NaN),
      /"decoder.weight" holds non-finite values/,
    ],
    ["Infinity", edited((t) => t.bias_ih_l0!.data[0] = -Infinity), /"bias_ih_l0" holds non-finite/],
    [
      "moment missing",
      edited((t) => delete t["optim.exp_avg_sq.bias_hh_l0"]),
      /Adam's exp_avg_sq: tensor "bias_hh_l0" is missing/,
    ],
    [
      "moments without their record",
      edited((_, m) => delete m.optimizer),
      /tensors optim\.exp_avg\.\* without metadata "optimizer"/,
    ],
    [
      "optimizer record",
      edited((_, m) => m.optimizer = m.optimizer!.replace('"adam"', '"lamb"')),
      /metadata "optimizer" is not an Adam record/,
    ],
    [
      "average without trained weights",
      edited((_, m) => m.average = '{"decay":0.9,"updates":3}'),
      /trained weights: the tensors trained\.\* are missing/,
    ],
    [
      "average record",
      edited((t, m) => {
        t["trained.decoder.bias"] = t["decoder.bias"]!;
        m.average = '{"decay":1,"updates":3}';
      }),
      /metadata "average" is not \{"decay" in \(0, 1\), "updates" >= 0\}/,
    ],
  ];
  for (const [what, bytes, pattern] of bad) {
    assertThrows(() => decodeTorchFile(bytes), pattern);
    try {
      decodeTorchFile(bytes);
    } catch (e) {
      const message = (e as Error).message;
      assertOk(
        !message.includes("\n") && /^Invalid (PyTorch|safetensors) file: /.test(message),
        what,
      );
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "torch_file_test_" });
  try {
    const path = `${dir}/model.safetensors`;
    await Deno.writeFile(path, bad[12]![1]);
    await assertRejects(
      () => loadTorchFile(path),
      new RegExp(
        '^Error: Invalid PyTorch file ".*model\\.safetensors": tensor "bias_hh_l0" is missing .*; ' +
          "pass a file saved by python/charrnn_torch\\.py or deno task export$",
      ),
    );
    await assertRejects(
      () => loadTorchFile(`${dir}/none`),
      /Cannot read PyTorch file .*: file not found/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
