// The PyTorch layout without PyTorch: exact round trips, the same logits as PyTorch's
// equations (written out below from its nn.RNN / nn.LSTM / nn.GRU documentation) in both
// directions, and strict rejection of bad files.
import { maxAbsDiff, stepLogits } from "../interop/torch_support.ts";
import { assertEquals, assertOk, assertRejects, assertThrows } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import type { CellKind } from "../../lib/model/model_config.ts";
import { createModel } from "../../lib/model/create.ts";
import type { StackedRnn } from "../../lib/model/stacked.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../lib/io/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "../../lib/io/safetensors.ts";
import { fromTorchTensors, torchTensorSpecs, toTorchTensors } from "../../lib/io/torch_format.ts";
import {
  decodeTorchFile,
  encodeTorchFile,
  loadTorchFile,
  torchFileCheckpoint,
} from "../../lib/io/torch_file.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";
import { needs } from "../permissions.ts";

const TEXT = "Ada wrote: the engine weaves algebraic patterns — as the loom weaves flowers.\n";
const vocab = buildVocab(TEXT);
const V = vocab.chars.length, H = 5;
const F64 = createBackend({ kind: "f64" });
const CASES = (["rnn", "lstm", "gru"] as const).flatMap((kind) =>
  [1, 2].map((L) => [kind, L] as [CellKind, number])
);

/** A float64 model with every parameter random, biases included (they start at zero). */
function randomModel(kind: CellKind, numLayers: number, seed: number): StackedRnn {
  const rng = new Rng(seed);
  const model = createModel({ cell: kind, vocabSize: V, hiddenSize: H, numLayers }, rng, {
    backend: F64,
  });
  for (const [name, p] of Object.entries(model.params)) {
    if (/(\.b|\.bhn|^by)$/.test(name)) p.data.forEach((_, k) => p.data[k] = rng.normal() * 0.5);
  }
  return model;
}

/** Random tensors in PyTorch's layout, every bias part non-zero (as PyTorch initialises). */
function randomTorchTensors(kind: CellKind, numLayers: number, seed: number) {
  const rng = new Rng(seed), tensors: Record<string, SafeTensor> = {};
  for (
    const { name, shape } of torchTensorSpecs({
      cell: kind,
      vocabSize: V,
      hiddenSize: H,
      numLayers,
    })
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    tensors[name] = {
      dtype: "F64",
      shape,
      data: Float64Array.from({ length: n }, () => rng.normal() * 0.5),
    };
  }
  return tensors;
}

const sigma = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * PyTorch's equations on PyTorch's tensors, teacher-forced over `ids` from a zero state:
 * rnn h' = tanh(W_ih x + b_ih + W_hh h + b_hh); lstm gates i, f, g, o; gru
 * n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h; then decoder.
 */
function torchReference(
  kind: CellKind,
  numLayers: number,
  t: Record<string, SafeTensor>,
  ids: Int32Array,
): Float64Array {
  const G = { rnn: 1, lstm: 4, gru: 3 }[kind], R = G * H;
  const hs = Array.from({ length: numLayers }, () => new Float64Array(H));
  const cs = Array.from({ length: numLayers }, () => new Float64Array(H));
  const out = new Float64Array(ids.length * V);
  const affine = (w: SafeTensor, b: SafeTensor, x: Float64Array) =>
    Float64Array.from({ length: w.shape[0]! }, (_, r) => {
      let s = b.data[r]!;
      for (let k = 0; k < x.length; k++) s += w.data[r * x.length + k]! * x[k]!;
      return s;
    });
  ids.forEach((id, n) => {
    let x = new Float64Array(V);
    x[id] = 1;
    for (let l = 0; l < numLayers; l++) {
      const gi = affine(t[`weight_ih_l${l}`]!, t[`bias_ih_l${l}`]!, x); // (R)
      const gh = affine(t[`weight_hh_l${l}`]!, t[`bias_hh_l${l}`]!, hs[l]!); // (R)
      assertEquals(gi.length, R);
      const h = hs[l]!, c = cs[l]!;
      for (let j = 0; j < H; j++) {
        const a = (g: number) => gi[g * H + j]! + gh[g * H + j]!;
        if (kind === "rnn") h[j] = Math.tanh(a(0));
        else if (kind === "lstm") {
          c[j] = sigma(a(1)) * c[j]! + sigma(a(0)) * Math.tanh(a(2)); // f c + i g
          h[j] = sigma(a(3)) * Math.tanh(c[j]!); // o tanh(c)
        } else {
          const r = sigma(a(0)), z = sigma(a(1));
          const nv = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
          h[j] = (1 - z) * nv + z * h[j]!;
        }
      }
      x = Float64Array.from(h);
    }
    out.set(affine(t["decoder.weight"]!, t["decoder.bias"]!, x), n * V);
  });
  return out;
}

Deno.test("torch layout: PyTorch's names and shapes, in state_dict order", () => {
  const specs = torchTensorSpecs({ cell: "gru", vocabSize: 7, hiddenSize: 4, numLayers: 2 });
  assertEquals(specs, [
    { name: "weight_ih_l0", shape: [12, 7] },
    { name: "weight_hh_l0", shape: [12, 4] },
    { name: "bias_ih_l0", shape: [12] },
    { name: "bias_hh_l0", shape: [12] },
    { name: "weight_ih_l1", shape: [12, 4] },
    { name: "weight_hh_l1", shape: [12, 4] },
    { name: "bias_ih_l1", shape: [12] },
    { name: "bias_hh_l1", shape: [12] },
    { name: "decoder.weight", shape: [7, 4] },
    { name: "decoder.bias", shape: [7] },
  ]);
});

Deno.test("torch layout: a layer-normalised model is refused with the way out", () => {
  const config = { cell: "gru", vocabSize: V, hiddenSize: H, norm: "layer" } as const;
  const model = createModel(config, new Rng(1), { backend: F64 });
  const refusal = /layer-normalised gru .* nn\.GRU has no layer norm; train with --norm none/;
  assertThrows(() => toTorchTensors(model.config, model.params), refusal);
  assertThrows(() => encodeTorchFile({ model, vocab }), refusal);
});

Deno.test("torch layout: a model with zoneout is refused with the way out", () => {
  const config = { cell: "lstm", vocabSize: V, hiddenSize: H, zoneout: 0.1 } as const;
  const model = createModel(config, new Rng(1), { backend: F64 });
  const refusal = /lstm with zoneout 0.1 .* nn\.LSTM has no zoneout; train with --zoneout 0/;
  assertThrows(() => toTorchTensors(model.config, model.params), refusal);
  assertThrows(() => encodeTorchFile({ model, vocab }), refusal);
});

Deno.test("torch layout: LSTM gates i, f, o, g become i, f, g, o; biases go to bias_ih", () => {
  const model = randomModel("lstm", 1, 3);
  const t = toTorchTensors(model.config, model.params, { dtype: "F64" });
  const b = model.params["l0.b"]!.data, Wh = model.params["l0.Wh"]!.data;
  const block = (a: ArrayLike<number>, g: number, size: number) =>
    Array.from(a).slice(g * size, (g + 1) * size);
  for (const [torchGate, ourGate] of [[0, 0], [1, 1], [2, 3], [3, 2]]) {
    assertEquals(block(t.bias_ih_l0!.data, torchGate!, H), block(b, ourGate!, H));
    assertEquals(block(t.weight_hh_l0!.data, torchGate!, H * H), block(Wh, ourGate!, H * H));
  }
  assertEquals([...t.bias_hh_l0!.data], new Array(4 * H).fill(0));
  assertEquals(t["decoder.weight"]!.data, Float64Array.from(model.params.Why!.data));
});

Deno.test("torch layout: exact round trip for every cell and depth (F64), F32 rounds once", () => {
  for (const [kind, L] of CASES) {
    const model = randomModel(kind, L, 7);
    const back = fromTorchTensors(
      model.config,
      toTorchTensors(model.config, model.params, { dtype: "F64" }),
    );
    assertEquals(Object.keys(back).sort(), Object.keys(model.params).sort());
    for (const [name, p] of Object.entries(model.params)) assertEquals(back[name], p, name);
    const f32 = fromTorchTensors(model.config, toTorchTensors(model.config, model.params));
    assertEquals(
      f32["l0.Wx"]!.data,
      Float64Array.from(Float32Array.from(model.params["l0.Wx"]!.data)),
    );
  }
});

Deno.test("torch layout: exported weights under PyTorch's equations give our logits", () => {
  const ids = encode(vocab, TEXT);
  const rows: string[] = [];
  for (const [kind, L] of CASES) {
    const model = randomModel(kind, L, 11);
    const t = toTorchTensors(model.config, model.params, { dtype: "F64" });
    const ours = stepLogits(model, ids);
    const diff = maxAbsDiff(torchReference(kind, L, t, ids), ours);
    rows.push(`${kind} L${L} ${diff.toExponential(1)}`);
    assertOk(diff < 1e-12, `${kind} ${L}: max logit difference ${diff}`);
  }
  console.log(`export, PyTorch equations vs ours (f64), max |logit diff|: ${rows.join(", ")}`);
});

Deno.test("torch layout: PyTorch weights with both biases give PyTorch's logits here", () => {
  const ids = encode(vocab, TEXT);
  const rows: string[] = [];
  for (const [kind, L] of CASES) {
    const t = randomTorchTensors(kind, L, 13);
    const model = createModel({ cell: kind, vocabSize: V, hiddenSize: H, numLayers: L }, null, {
      backend: F64,
    });
    const params = fromTorchTensors(model.config, t);
    for (const [name, p] of Object.entries(model.params)) p.data.set(params[name]!.data);
    const reference = torchReference(kind, L, t, ids);
    const diff = maxAbsDiff(reference, stepLogits(model, ids));
    rows.push(`${kind} L${L} ${diff.toExponential(1)}`);
    assertOk(diff < 1e-12, `${kind} ${L}: max logit difference ${diff}`);
    // the check has teeth: the same weights without bias_hh (no folding) give other logits
    const noHidden = { ...t };
    for (let l = 0; l < L; l++) {
      noHidden[`bias_hh_l${l}`] = {
        ...t[`bias_hh_l${l}`]!,
        data: new Float64Array(t[`bias_hh_l${l}`]!.data.length),
      };
    }
    assertOk(maxAbsDiff(torchReference(kind, L, noHidden, ids), reference) > 1e-2, kind);
  }
  console.log(`import, PyTorch equations vs ours (f64), max |logit diff|: ${rows.join(", ")}`);
});

Deno.test("torch file: metadata, checkpoint with a fresh optimizer, float32 kept exact", () => {
  const model = randomModel("gru", 2, 5);
  const file = decodeTorchFile(encodeTorchFile({ model, vocab }, { metadata: { step: "12" } }));
  assertEquals(file.config, {
    cell: "gru",
    vocabSize: V,
    hiddenSize: H,
    numLayers: 2,
    dropout: 0,
    dropoutMask: "position",
    weightDrop: 0,
    norm: "none",
    zoneout: 0,
  });
  assertEquals(file.vocab.chars, vocab.chars);
  assertEquals([file.dtype, file.metadata.step, file.metadata.format], [
    "F32",
    "12",
    "charrnn-torch",
  ]);
  assertEquals(JSON.parse(file.metadata.config!), {
    cell: "gru",
    vocab_size: V,
    hidden_size: H,
    num_layers: 2,
    dropout: 0,
  });
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

/** The file of a 1-layer rnn with one change to its tensors or metadata. */
function edited(
  change: (t: Record<string, SafeTensor>, meta: Record<string, string>) => void,
): Uint8Array {
  const model = randomModel("rnn", 1, 1);
  const { tensors, metadata } = decodeSafetensors(encodeTorchFile({ model, vocab }));
  change(tensors, metadata);
  return encodeSafetensors(tensors, metadata);
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
  const dir = await Deno.makeTempDir({ prefix: "torch_format_test_" });
  try {
    const path = `${dir}/model.safetensors`;
    await Deno.writeFile(path, bad[11]![1]);
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
