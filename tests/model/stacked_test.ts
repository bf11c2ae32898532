import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import {
  assertCheck,
  assertStepMatchesForward,
  checkStacked,
  REPETITIVE,
} from "./recurrent_check.ts";
import { cloneState } from "../../lib/train/gradcheck.ts";
import { resolveModelConfig } from "../../lib/model/char_model.ts";
import { createModel } from "../../lib/model/create.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { Rng } from "../../lib/core/rng.ts";
import { VanillaRnn } from "../../lib/model/vanilla_rnn.ts";
import { StackedRnn } from "../../lib/model/stacked_f64.ts";
import { zerosLike } from "../../lib/core/tensor.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";
import { BatchStream } from "../../lib/text/data.ts";

for (const numLayers of [1, 2, 3]) {
  for (const dropout of numLayers > 1 ? [0, 0.3] : [0]) {
    Deno.test(`stacked rnn gradient check, ${numLayers} layer(s), dropout ${dropout}`, () => {
      assertCheck(checkStacked("rnn", { numLayers, dropout }));
    });
  }
}

function chunk(V: number, T: number, B: number, seed: number) {
  const rng = new Rng(seed);
  return {
    inputs: Int32Array.from({ length: T * B }, () => rng.int(V)),
    targets: Int32Array.from({ length: T * B }, () => rng.int(V)),
  };
}

Deno.test("a one-layer stacked rnn computes exactly what VanillaRnn does", () => {
  const V = 6, H = 5, T = 4, B = 2;
  const seed = new VanillaRnn(new Rng(1), { vocabSize: V, hiddenSize: H });
  const ours = new StackedRnn(new Rng(2), { kind: "rnn", vocabSize: V, hiddenSize: H });
  const names = { Wxh: "l0.Wx", Whh: "l0.Wh", bh: "l0.b", Why: "Why", by: "by" } as const;
  for (const [from, to] of Object.entries(names)) {
    ours.params[to]!.data.set(seed.params[from]!.data);
  }
  seed.params.bh!.data.fill(0.1); // a non-zero bias, the same in both
  ours.params["l0.b"]!.data.fill(0.1);
  const { inputs, targets } = chunk(V, T, B, 3);
  const s1 = seed.initialState(B), s2 = ours.initialState(B);
  s1.h!.data.fill(0.2);
  s2["h.0"]!.data.fill(0.2);
  const d1 = zerosLike(s1), d2 = zerosLike(s2);
  assertClose(ours.forward(inputs, targets, s2), seed.forward(inputs, targets, s1), 1e-14);
  seed.backward(d1);
  ours.backward(d2);
  for (const [from, to] of Object.entries(names)) {
    seed.grads[from]!.data.forEach((g, k) => assertClose(ours.grads[to]!.data[k]!, g, 1e-14));
  }
  d1.h!.data.forEach((g, k) => assertClose(d2["h.0"]!.data[k]!, g, 1e-14));
  s1.h!.data.forEach((h, k) => assertClose(s2["h.0"]!.data[k]!, h, 1e-14));
});

Deno.test("createModel keeps VanillaRnn for one rnn layer and stacks everything else", () => {
  const rng = new Rng(1);
  assertOk(createModel({ kind: "rnn", vocabSize: 4, hiddenSize: 3 }, rng) instanceof VanillaRnn);
  const rnn2 = createModel({ kind: "rnn", vocabSize: 4, hiddenSize: 3, numLayers: 2 }, rng);
  assertOk(rnn2 instanceof StackedRnn);
  assertEquals(Object.keys(rnn2.params), [
    "l0.Wx",
    "l0.Wh",
    "l0.b",
    "l1.Wx",
    "l1.Wh",
    "l1.b",
    "Why",
    "by",
  ]);
  assertEquals(Object.keys(rnn2.initialState(1)), ["h.0", "h.1"]);
  const lstm = createModel({ kind: "lstm", vocabSize: 4, hiddenSize: 3, numLayers: 3 }, rng);
  assertEquals(lstm.config, {
    kind: "lstm",
    vocabSize: 4,
    hiddenSize: 3,
    numLayers: 3,
    dropout: 0,
  });
  assertClose(
    createModel({ kind: "gru", vocabSize: 4, hiddenSize: 3 }, rng, { initScale: 1e-9 })
      .params["l0.Wh"]!.data[0]!,
    0,
    1e-7,
  );
});

Deno.test("model configs are validated with clear messages", () => {
  const base = { kind: "lstm", vocabSize: 4, hiddenSize: 3 } as const;
  const cases: [object, RegExp][] = [
    [{ kind: "transformer" }, /Unknown model kind "transformer": expected one of rnn, lstm, gru/],
    [{ numLayers: 0 }, /Invalid numLayers 0: expected an integer >= 1/],
    [{ numLayers: 1.5 }, /Invalid numLayers 1.5/],
    [{ dropout: 1, numLayers: 2 }, /Invalid dropout 1: expected a number >= 0 and < 1/],
    [{ dropout: -0.1, numLayers: 2 }, /Invalid dropout -0.1/],
    [{ dropout: 0.5 }, /Invalid dropout 0.5 with 1 layer: .*--num-layers/],
    [{ hiddenSize: 0 }, /Invalid hiddenSize 0/],
  ];
  for (const [override, pattern] of cases) {
    assertThrows(() => resolveModelConfig({ ...base, ...override } as never), pattern);
    assertThrows(() => createModel({ ...base, ...override } as never, new Rng(1)), pattern);
  }
  assertThrows(
    () => createModel({ kind: "rnn", vocabSize: 4, hiddenSize: 3, dropout: 0.2 }, new Rng(1)),
    /with 1 layer/,
  );
});

Deno.test("dropout acts only in training forwards, and a frozen mask is reused", () => {
  const V = 6, T = 4, B = 2;
  const cfg = { kind: "gru", vocabSize: V, hiddenSize: 8, numLayers: 2 } as const;
  const m = new StackedRnn(new Rng(1), { ...cfg, dropout: 0.5 });
  const plain = new StackedRnn(new Rng(1), { ...cfg, dropout: 0 }); // same weights
  const { inputs, targets } = chunk(V, T, B, 2);
  const s = m.initialState(B);
  const evalLoss = m.forward(inputs, targets, cloneState(s));
  assertEquals(m.forward(inputs, targets, cloneState(s), { train: false }), evalLoss);
  assertEquals(plain.forward(inputs, targets, cloneState(s), { train: true }), evalLoss);
  const a = m.forward(inputs, targets, cloneState(s), { train: true });
  const b = m.forward(inputs, targets, cloneState(s), { train: true });
  assertOk(a !== evalLoss && b !== a, "fresh masks change the training loss");
  m.freezeDropoutMask = true;
  assertEquals(m.forward(inputs, targets, cloneState(s), { train: true }), b);
  m.forward(inputs.subarray(0, B), targets.subarray(0, B), cloneState(s)); // eval, other shape
  assertEquals(m.forward(inputs, targets, cloneState(s), { train: true }), b);
  assertThrows(
    () => m.forward(inputs.subarray(0, B), targets.subarray(0, B), cloneState(s), { train: true }),
    /Cannot reuse the dropout mask: it was drawn for \(T, B\) = \(4, 2\), not \(1, 2\)/,
  );
});

Deno.test("a two-layer lstm with dropout trains well below ln(V)", () => {
  const vocab = buildVocab(REPETITIVE);
  const V = vocab.chars.length, T = 16, B = 4;
  const m = new StackedRnn(new Rng(3), {
    kind: "lstm",
    vocabSize: V,
    hiddenSize: 32,
    numLayers: 2,
    dropout: 0.2,
  });
  const opt = createOptimizer("adam", m.params);
  const stream = new BatchStream(encode(vocab, REPETITIVE), { seqLength: T, batchSize: B });
  const state = m.initialState(B);
  let last = 0;
  for (let step = 0; step < 200; step++) {
    const batch = stream.next();
    if (batch.wrapped) { for (const s of Object.values(state)) s.data.fill(0); }
    for (const g of Object.values(m.grads)) g.data.fill(0);
    m.forward(batch.inputs, batch.targets, state, { train: true });
    m.backward();
    opt.update(m.params, m.grads, 1e-2);
  }
  const evalState = m.initialState(B);
  const probe = new BatchStream(encode(vocab, REPETITIVE), { seqLength: T, batchSize: B });
  for (let k = 0; k < 5; k++) {
    const batch = probe.next();
    last = m.forward(batch.inputs, batch.targets, evalState);
  }
  console.log(
    `lstm L=2 dropout 0.2: eval loss ${last.toFixed(3)} (ln V = ${Math.log(V).toFixed(3)})`,
  );
  assertOk(last < 0.25 * Math.log(V));
});

Deno.test("stacked rnn step reproduces forward", () => {
  assertStepMatchesForward(
    createModel({ kind: "rnn", vocabSize: 6, hiddenSize: 5, numLayers: 3 }, new Rng(1)),
  );
});

Deno.test("backward adds into grads and into dState", () => {
  const V = 5, T = 3, B = 2;
  const m = new StackedRnn(new Rng(1), { kind: "lstm", vocabSize: V, hiddenSize: 4, numLayers: 2 });
  const { inputs, targets } = chunk(V, T, B, 4);
  const s = m.initialState(B);
  for (const t of Object.values(s)) t.data.fill(0.3);
  const d = zerosLike(s);
  m.forward(inputs, targets, cloneState(s));
  m.backward(d);
  const once = zerosLike(m.grads);
  for (const [k, g] of Object.entries(m.grads)) once[k]!.data.set(g.data);
  const dOnce = cloneState(d);
  m.backward(d);
  for (const [k, g] of Object.entries(m.grads)) {
    g.data.forEach((v, i) => assertClose(v, 2 * once[k]!.data[i]!, 1e-15));
  }
  for (const [k, g] of Object.entries(d)) {
    g.data.forEach((v, i) => assertClose(v, 2 * dOnce[k]!.data[i]!, 1e-15));
  }
  assertOk(dOnce["c.1"]!.data.some((v) => v !== 0), "the cell state gets a gradient");
});

Deno.test("bad states, indices and call orders are rejected clearly", () => {
  const m = new StackedRnn(new Rng(1), { kind: "lstm", vocabSize: 4, hiddenSize: 3, numLayers: 2 });
  assertThrows(() => m.backward(), /Cannot run backward: call forward first/);
  const x = Int32Array.from([0, 1]), y = Int32Array.from([1, 2]);
  assertThrows(
    () => m.forward(x, y, { "h.0": m.initialState(1)["h.0"]! }),
    /Invalid LSTM state: expected Float64Array tensors h.0, c.0, h.1, c.1 of one shape \(B, 3\); "c.0" is missing/,
  );
  const mixed = { ...m.initialState(1), "c.1": m.initialState(2)["c.1"]! };
  assertThrows(() => m.forward(x, y, mixed), /"c.1" is missing or differs/);
  assertThrows(
    () => m.forward(Int32Array.from([0, 4]), y, m.initialState(1)),
    /Invalid character index 4: expected 0 <= index < 4/,
  );
  assertThrows(
    () => m.forward(x, Int32Array.from([1]), m.initialState(1)),
    /Invalid chunk: 2 inputs and 1 targets/,
  );
  assertThrows(
    () => m.forward(Int32Array.from([0, 1, 2]), Int32Array.from([0, 1, 2]), m.initialState(2)),
    /Invalid chunk/,
  );
});

Deno.test("forward works across changing (T, B) shapes and repeats exactly", () => {
  const V = 5;
  const m = new StackedRnn(new Rng(1), { kind: "gru", vocabSize: V, hiddenSize: 4, numLayers: 2 });
  const big = chunk(V, 6, 3, 1), small = chunk(V, 2, 1, 2);
  const l1 = m.forward(big.inputs, big.targets, m.initialState(3));
  const l2 = m.forward(small.inputs, small.targets, m.initialState(1));
  assertEquals(m.forward(big.inputs, big.targets, m.initialState(3)), l1);
  assertEquals(m.forward(small.inputs, small.targets, m.initialState(1)), l2);
});
