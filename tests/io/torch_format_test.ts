// The PyTorch layout without PyTorch: exact round trips, and the same logits as PyTorch's
// equations (nn.RNN / nn.LSTM / nn.GRU's from their documentation, and python/charrnn_model.py's
// layer norm per gate block and zoneout, written out below) in both directions, for every cell,
// with and without layer norm and zoneout.
import { maxAbsDiff, stepLogits } from "../interop/torch_support.ts";
import { assertEquals, assertOk } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import type { ModelConfig } from "../../lib/model/model_config.ts";
import { createModel } from "../../lib/model/create.ts";
import type { StackedRnn } from "../../lib/model/stacked.ts";
import type { SafeTensor } from "../../lib/io/safetensors.ts";
import { fromTorchTensors, torchTensorSpecs, toTorchTensors } from "../../lib/io/torch_format.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";

const TEXT = "Ada wrote: the engine weaves algebraic patterns — as the loom weaves flowers.\n";
const vocab = buildVocab(TEXT);
const V = vocab.chars.length, H = 5;
const F64 = createBackend({ kind: "f64" });
/** Every cell x 1, 2 layers x layer norm off, on x zoneout off, on. */
const CONFIGS: ModelConfig[] = (["rnn", "lstm", "gru"] as const).flatMap((cell) =>
  [1, 2].flatMap((numLayers) =>
    (["none", "layer"] as const).flatMap((norm) =>
      [0, 0.3].map((zoneout) => ({ cell, vocabSize: V, hiddenSize: H, numLayers, norm, zoneout }))
    )
  )
);

function label(c: ModelConfig): string {
  return `${c.cell} L${c.numLayers}${c.norm === "layer" ? " ln" : ""}${c.zoneout ? " zo" : ""}`;
}

/** A float64 model with every parameter random, biases and gains included (they start 0, 1). */
function randomModel(config: ModelConfig, seed: number): StackedRnn {
  const rng = new Rng(seed);
  const model = createModel(config, rng, { backend: F64 });
  for (const [name, p] of Object.entries(model.params)) {
    if (/(\.b|\.bhn|^by)$/.test(name)) p.data.forEach((_, k) => p.data[k] = rng.normal() * 0.5);
    if (/\.g[xh]$/.test(name)) p.data.forEach((_, k) => p.data[k] = 1 + rng.normal() * 0.3);
  }
  return model;
}

/** Random tensors in PyTorch's layout, every bias part non-zero (as PyTorch initialises). */
function randomTorchTensors(config: ModelConfig, seed: number) {
  const rng = new Rng(seed), tensors: Record<string, SafeTensor> = {};
  for (const { name, shape } of torchTensorSpecs(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const at = name.endsWith(".weight") && name.startsWith("ln_") ? 1 : 0;
    tensors[name] = {
      dtype: "F64",
      shape,
      data: Float64Array.from({ length: n }, () => at + rng.normal() * 0.5),
    };
  }
  return tensors;
}

const sigma = (x: number) => 1 / (1 + Math.exp(-x));

/** `w x` for a `(rows, x.length)` tensor. */
function product(w: SafeTensor, x: Float64Array): Float64Array {
  return Float64Array.from({ length: w.shape[0]! }, (_, r) => {
    let s = 0;
    for (let k = 0; k < x.length; k++) s += w.data[r * x.length + k]! * x[k]!;
    return s;
  });
}

/**
 * One side of layer l's pre-activations in PyTorch's tensors: `W x + b`, or with layer norm
 * `LN(W x) * ln.weight + ln.bias`, LN over each block of H (biased variance, eps 1e-5).
 */
function side(t: Record<string, SafeTensor>, which: "ih" | "hh", l: number, x: Float64Array) {
  const a = product(t[`weight_${which}_l${l}`]!, x);
  const ln = t[`ln_${which}_l${l}.weight`]?.data;
  const b = (t[`ln_${which}_l${l}.bias`] ?? t[`bias_${which}_l${l}`]!).data;
  for (let o = 0; ln && o < a.length; o += H) {
    const block = a.subarray(o, o + H);
    const mu = block.reduce((s, v) => s + v, 0) / H;
    const variance = block.reduce((s, v) => s + (v - mu) ** 2, 0) / H;
    block.forEach((v, j) => block[j] = ((v - mu) / Math.sqrt(variance + 1e-5)) * ln[o + j]!);
  }
  return a.map((v, r) => v + b[r]!);
}

/**
 * PyTorch's equations on PyTorch's tensors, teacher-forced over `ids` from a zero state:
 * rnn h~ = tanh(ax + ah); lstm gates i, f, g, o; gru n = tanh(ax_n + r ah_n),
 * h~ = (1 - z) n + z h; zoneout (evaluation) h = h~ + z (h - h~), c alike; then decoder.
 */
function torchReference(
  config: ModelConfig,
  t: Record<string, SafeTensor>,
  ids: Int32Array,
): Float64Array {
  const { cell, numLayers = 1, zoneout = 0 } = config;
  const hs = Array.from({ length: numLayers }, () => new Float64Array(H));
  const cs = Array.from({ length: numLayers }, () => new Float64Array(H));
  const out = new Float64Array(ids.length * V);
  const mix = (fresh: number, old: number) => fresh + zoneout * (old - fresh);
  ids.forEach((id, n) => {
    let x = new Float64Array(V);
    x[id] = 1;
    for (let l = 0; l < numLayers; l++) {
      const gi = side(t, "ih", l, x), gh = side(t, "hh", l, hs[l]!); // (R) each
      const h = hs[l]!, c = cs[l]!;
      for (let j = 0; j < H; j++) {
        const a = (g: number) => gi[g * H + j]! + gh[g * H + j]!;
        if (cell === "rnn") h[j] = mix(Math.tanh(a(0)), h[j]!);
        else if (cell === "lstm") {
          const cNew = sigma(a(1)) * c[j]! + sigma(a(0)) * Math.tanh(a(2)); // f c + i g
          h[j] = mix(sigma(a(3)) * Math.tanh(cNew), h[j]!); // o tanh(c~)
          c[j] = mix(cNew, c[j]!);
        } else {
          const r = sigma(a(0)), z = sigma(a(1));
          const nv = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
          h[j] = mix((1 - z) * nv + z * h[j]!, h[j]!);
        }
      }
      x = Float64Array.from(h);
    }
    const logits = product(t["decoder.weight"]!, x);
    out.set(logits.map((v, k) => v + t["decoder.bias"]!.data[k]!), n * V);
  });
  return out;
}

Deno.test("torch layout: PyTorch's names and shapes, layer by layer", () => {
  const gru = { cell: "gru" as const, vocabSize: 7, hiddenSize: 4, numLayers: 2 };
  const layer = (k: number, I: number) => [
    { name: `weight_ih_l${k}`, shape: [12, I] },
    { name: `weight_hh_l${k}`, shape: [12, 4] },
    { name: `bias_ih_l${k}`, shape: [12] },
    { name: `bias_hh_l${k}`, shape: [12] },
  ];
  const decoder = [{ name: "decoder.weight", shape: [7, 4] }, { name: "decoder.bias", shape: [7] }];
  assertEquals(torchTensorSpecs(gru), [...layer(0, 7), ...layer(1, 4), ...decoder]);
  assertEquals(torchTensorSpecs({ ...gru, zoneout: 0.1 }), torchTensorSpecs(gru)); // no tensors
  assertEquals(torchTensorSpecs({ ...gru, numLayers: 1, norm: "layer" }), [
    { name: "weight_ih_l0", shape: [12, 7] },
    { name: "weight_hh_l0", shape: [12, 4] },
    { name: "ln_ih_l0.weight", shape: [12] },
    { name: "ln_ih_l0.bias", shape: [12] },
    { name: "ln_hh_l0.weight", shape: [12] },
    { name: "ln_hh_l0.bias", shape: [12] },
    ...decoder,
  ]);
});

Deno.test("torch layout: LSTM gates i, f, o, g become i, f, g, o, gains too; b is the input side's", () => {
  for (const norm of ["none", "layer"] as const) {
    const model = randomModel({ cell: "lstm", vocabSize: V, hiddenSize: H, norm }, 3);
    const t = toTorchTensors(model.config, model.params, { dtype: "F64" });
    const p = (name: string) => model.params[name]!.data;
    const [inBias, hiddenBias] = norm === "layer"
      ? ["ln_ih_l0.bias", "ln_hh_l0.bias"]
      : ["bias_ih_l0", "bias_hh_l0"];
    const block = (a: ArrayLike<number>, g: number, size: number) =>
      Array.from(a).slice(g * size, (g + 1) * size);
    for (const [torchGate, ourGate] of [[0, 0], [1, 1], [2, 3], [3, 2]] as const) {
      assertEquals(block(t[inBias]!.data, torchGate, H), block(p("l0.b"), ourGate, H));
      assertEquals(
        block(t.weight_hh_l0!.data, torchGate, H * H),
        block(p("l0.Wh"), ourGate, H * H),
      );
      if (norm === "none") continue;
      assertEquals(block(t["ln_ih_l0.weight"]!.data, torchGate, H), block(p("l0.gx"), ourGate, H));
      assertEquals(block(t["ln_hh_l0.weight"]!.data, torchGate, H), block(p("l0.gh"), ourGate, H));
    }
    assertEquals([...t[hiddenBias]!.data], new Array(4 * H).fill(0));
    assertEquals(t["decoder.weight"]!.data, Float64Array.from(p("Why")));
  }
});

Deno.test("torch layout: exact round trip for every model (F64), F32 rounds once", () => {
  for (const config of CONFIGS) {
    const model = randomModel(config, 7);
    const tensors = toTorchTensors(model.config, model.params, { dtype: "F64" });
    const back = fromTorchTensors(model.config, tensors);
    assertEquals(Object.keys(back).sort(), Object.keys(model.params).sort());
    for (const [name, p] of Object.entries(model.params)) assertEquals(back[name], p, name);
    const f32 = fromTorchTensors(model.config, toTorchTensors(model.config, model.params));
    const Wx = model.params["l0.Wx"]!.data;
    assertEquals(f32["l0.Wx"]!.data, Float64Array.from(Float32Array.from(Wx)), label(config));
  }
});

Deno.test("torch layout: exported weights under PyTorch's equations give our logits", () => {
  const ids = encode(vocab, TEXT);
  const rows: string[] = [];
  for (const config of CONFIGS) {
    const model = randomModel(config, 11);
    const t = toTorchTensors(model.config, model.params, { dtype: "F64" });
    const reference = torchReference(config, t, ids);
    const diff = maxAbsDiff(reference, stepLogits(model, ids));
    rows.push(`${label(config)} ${diff.toExponential(1)}`);
    assertOk(diff < 1e-12, `${label(config)}: max logit difference ${diff}`);
    if (config.norm !== "layer") continue;
    // the check has teeth: the gains of the two sides swapped give other logits
    const swapped = {
      ...t,
      "ln_ih_l0.weight": t["ln_hh_l0.weight"]!,
      "ln_hh_l0.weight": t["ln_ih_l0.weight"]!,
    };
    assertOk(maxAbsDiff(torchReference(config, swapped, ids), reference) > 1e-2, label(config));
  }
  console.log(`export, PyTorch equations vs ours (f64), max |logit diff|: ${rows.join(", ")}`);
});

Deno.test("torch layout: PyTorch weights with both biases give PyTorch's logits here", () => {
  const ids = encode(vocab, TEXT);
  const rows: string[] = [];
  for (const config of CONFIGS) {
    const t = randomTorchTensors(config, 13);
    const model = createModel(config, null, { backend: F64 });
    const params = fromTorchTensors(model.config, t);
    for (const [name, p] of Object.entries(model.params)) p.data.set(params[name]!.data);
    const reference = torchReference(config, t, ids);
    const diff = maxAbsDiff(reference, stepLogits(model, ids));
    rows.push(`${label(config)} ${diff.toExponential(1)}`);
    assertOk(diff < 1e-12, `${label(config)}: max logit difference ${diff}`);
    // the check has teeth: the same weights without the hidden bias (no folding) differ
    const noHidden = { ...t };
    for (let l = 0; l < config.numLayers!; l++) {
      const name = config.norm === "layer" ? `ln_hh_l${l}.bias` : `bias_hh_l${l}`;
      noHidden[name] = { ...t[name]!, data: new Float64Array(t[name]!.data.length) };
    }
    assertOk(maxAbsDiff(torchReference(config, noHidden, ids), reference) > 1e-2, label(config));
  }
  console.log(`import, PyTorch equations vs ours (f64), max |logit diff|: ${rows.join(", ")}`);
});
