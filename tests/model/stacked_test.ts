// The one model (StackedRnn) on the f64 reference backend: gradient checks of every cell x
// 1-3 layers x dropout off / fixed mask, parameter layouts per cell, the seed's RNN as an
// oracle, dropout, step vs forward, training, checkpoints and input checks. The float32
// backends are held to this model in backend_parity_test.ts.
import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import {
  assertCheck,
  assertCheckpointRoundTrip,
  assertStepMatchesForward,
  checkStacked,
  f64,
  REPETITIVE,
  trainSmall,
} from "./recurrent_check.ts";
import {
  type CellKind,
  type ModelConfig,
  resolveModelConfig,
} from "../../lib/model/model_config.ts";
import { createModel } from "../../lib/model/create.ts";
import { RecurrentLayer } from "../../lib/model/layer.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { Rng } from "../../lib/core/rng.ts";
import { VANILLA_TO_STACKED, VanillaRnn } from "../../lib/model/vanilla_rnn.ts";
import { StackedRnn } from "../../lib/model/stacked.ts";
import { cloneState, zerosLike } from "../../lib/core/tensor.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";
import { BatchStream } from "../../lib/text/data.ts";

const KINDS: readonly CellKind[] = ["rnn", "lstm", "gru"];

for (const cell of KINDS) {
  for (const numLayers of [1, 2, 3]) {
    for (const dropout of numLayers > 1 ? [0, 0.3] : [0]) {
      Deno.test(`${cell} gradient check, ${numLayers} layer(s), dropout ${dropout}`, () => {
        assertCheck(checkStacked(cell, { numLayers, dropout }));
      });
    }
  }
  Deno.test(`${cell} gradient check, 2 layers, dropout 0.3 per sequence (variational)`, () => {
    assertCheck(checkStacked(cell, { numLayers: 2, dropout: 0.3, dropoutMask: "sequence" }));
  });
  for (const numLayers of [1, 2]) {
    Deno.test(`${cell} gradient check, ${numLayers} layer(s), weight drop 0.4`, () => {
      assertCheck(
        checkStacked(cell, { numLayers, dropout: numLayers > 1 ? 0.2 : 0, weightDrop: 0.4 }),
      );
    });
    Deno.test(`${cell} gradient check, ${numLayers} layer(s), layer norm`, () => {
      assertCheck(
        checkStacked(cell, { numLayers, dropout: numLayers > 1 ? 0.2 : 0, norm: "layer" }),
      );
    });
    Deno.test(`${cell} gradient check, ${numLayers} layer(s), zoneout 0.4`, () => {
      assertCheck(
        checkStacked(cell, { numLayers, dropout: numLayers > 1 ? 0.2 : 0, zoneout: 0.4 }),
      );
    });
  }
  Deno.test(`${cell} gradient check, zoneout 0.4 with layer norm, evaluation forward`, () => {
    assertCheck(
      checkStacked(cell, { numLayers: 2, dropout: 0, zoneout: 0.4, norm: "layer", evaluate: true }),
    );
  });
}

/** A model on the f64 backend. */
function model(config: ModelConfig, seed = 1): StackedRnn {
  return createModel(config, new Rng(seed), { backend: f64() });
}

function chunk(V: number, T: number, B: number, seed: number) {
  const rng = new Rng(seed);
  return {
    inputs: Int32Array.from({ length: T * B }, () => rng.int(V)),
    targets: Int32Array.from({ length: T * B }, () => rng.int(V)),
  };
}

Deno.test("a one-layer stacked rnn computes exactly what the seed's VanillaRnn does", () => {
  const V = 6, H = 5, T = 4, B = 2;
  const seed = new VanillaRnn(new Rng(1), { vocabSize: V, hiddenSize: H });
  const ours = model({ cell: "rnn", vocabSize: V, hiddenSize: H }, 1);
  const names = VANILLA_TO_STACKED;
  for (const [from, to] of Object.entries(names)) { // the same initial draws, by name
    assertEquals(Array.from(ours.params[to]!.data), Array.from(seed.params[from]!.data));
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

Deno.test("createModel builds the one stacked model for every cell and depth", () => {
  const rng = new Rng(1);
  const rnn1 = createModel({ cell: "rnn", vocabSize: 4, hiddenSize: 3 }, rng);
  assertOk(rnn1 instanceof StackedRnn);
  assertEquals(Object.keys(rnn1.params), ["l0.Wx", "l0.Wh", "l0.b", "Why", "by"]);
  assertEquals(Object.keys(rnn1.initialState(1)), ["h.0"]);
  const rnn2 = createModel({ cell: "rnn", vocabSize: 4, hiddenSize: 3, numLayers: 2 }, rng);
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
  const lstm = createModel({ cell: "lstm", vocabSize: 4, hiddenSize: 3, numLayers: 3 }, rng);
  assertEquals(lstm.config, {
    cell: "lstm",
    vocabSize: 4,
    hiddenSize: 3,
    numLayers: 3,
    dropout: 0,
    dropoutMask: "position",
    weightDrop: 0,
    norm: "none",
    zoneout: 0,
  });
  assertClose(
    createModel({ cell: "gru", vocabSize: 4, hiddenSize: 3 }, rng, { initScale: 1e-9 })
      .params["l0.Wh"]!.data[0]!,
    0,
    1e-7,
  );
});

Deno.test("model configs are validated with clear messages", () => {
  const base = { cell: "lstm", vocabSize: 4, hiddenSize: 3 } as const;
  const cases: [object, RegExp][] = [
    [{ cell: "transformer" }, /Invalid cell "transformer": expected one of rnn, lstm, gru/],
    [{ numLayers: 0 }, /Invalid numLayers 0: expected an integer >= 1/],
    [{ numLayers: 1.5 }, /Invalid numLayers 1.5/],
    [{ dropout: 1, numLayers: 2 }, /Invalid dropout 1: expected a number >= 0 and < 1/],
    [{ dropout: -0.1, numLayers: 2 }, /Invalid dropout -0.1/],
    [{ dropout: 0.5 }, /Invalid dropout 0.5 with 1 layer: .*--num-layers/],
    [{ hiddenSize: 0 }, /Invalid hiddenSize 0/],
    // the ranges of the training config (MODEL_FIELDS is the one table of both)
    [
      { hiddenSize: 4097 },
      /^RangeError: Invalid hiddenSize 4097: expected an integer >= 1 and <= 4096$/,
    ],
    [{ numLayers: 9 }, /^RangeError: Invalid numLayers 9: expected an integer >= 1 and <= 8$/],
    [{ vocabSize: 0 }, /^RangeError: Invalid vocabSize 0: expected an integer >= 1$/],
  ];
  for (const [override, pattern] of cases) {
    assertThrows(() => resolveModelConfig({ ...base, ...override } as never), pattern);
    assertThrows(() => createModel({ ...base, ...override } as never, new Rng(1)), pattern);
  }
  assertThrows(
    () => createModel({ cell: "rnn", vocabSize: 4, hiddenSize: 3, dropout: 0.2 }, new Rng(1)),
    /with 1 layer/,
  );
});

Deno.test("dropout acts only in training forwards, and a frozen mask is reused", () => {
  const V = 6, T = 4, B = 2;
  const cfg = { cell: "gru", vocabSize: V, hiddenSize: 8, numLayers: 2 } as const;
  const m = model({ ...cfg, dropout: 0.5 });
  const plain = model({ ...cfg, dropout: 0 }); // same weights
  const { inputs, targets } = chunk(V, T, B, 2);
  const s = m.initialState(B);
  const evalLoss = m.forward(inputs, targets, cloneState(s));
  assertEquals(m.forward(inputs, targets, cloneState(s), { train: false }), evalLoss);
  assertEquals(plain.forward(inputs, targets, cloneState(s), { train: true }), evalLoss);
  const a = m.forward(inputs, targets, cloneState(s), { train: true });
  const b = m.forward(inputs, targets, cloneState(s), { train: true });
  assertOk(a !== evalLoss && b !== a, "fresh masks change the training loss");
  m.freezeMasks = true;
  assertEquals(m.forward(inputs, targets, cloneState(s), { train: true }), b);
  m.forward(inputs.subarray(0, B), targets.subarray(0, B), cloneState(s)); // eval, other shape
  assertEquals(m.forward(inputs, targets, cloneState(s), { train: true }), b);
  assertThrows(
    () => m.forward(inputs.subarray(0, B), targets.subarray(0, B), cloneState(s), { train: true }),
    /Cannot reuse the dropout mask: none was drawn for \(T, B\) = \(1, 2\)/,
  );
});

Deno.test("sequence dropout keeps each stream's mask over the chunk; position dropout does not", () => {
  const V = 5, H = 6, T = 4, B = 2;
  const cfg = { cell: "rnn", vocabSize: V, hiddenSize: H, numLayers: 2, dropout: 0.5 } as const;
  // With Wh = 0 and one input symbol, h_t is the same at every step, so the masked outputs
  // (seen through the head's input gradient pattern) repeat over t exactly when the mask does.
  for (const dropoutMask of ["sequence", "position"] as const) {
    const m = model({ ...cfg, dropoutMask });
    for (const k of [0, 1]) m.params[`l${k}.Wh`]!.data.fill(0);
    const ids = new Int32Array(T * B); // symbol 0 everywhere
    m.forward(ids, ids, m.initialState(B), { train: true });
    m.backward();
    const dOut = m.layers[0]!.gradOutput(); // (N, H): zero where layer 0's mask dropped
    const zeros = (t: number) =>
      Array.from(dOut.subarray(t * B * H, (t + 1) * B * H), (v) => v === 0);
    const same = [1, 2, 3].every((t) => zeros(t).join() === zeros(0).join());
    assertEquals(same, dropoutMask === "sequence", dropoutMask);
  }
});

Deno.test("weight drop: training runs on masked Wh, fresh per chunk; Wh, evaluation and step untouched", () => {
  const V = 5, H = 6, T = 4, B = 2, rng = new Rng(3);
  const cfg = { cell: "gru", vocabSize: V, hiddenSize: H, numLayers: 2 } as const;
  const m = model({ ...cfg, weightDrop: 0.5 }), plain = model(cfg);
  const Wh = Float64Array.from(m.params["l0.Wh"]!.data);
  const inputs = Int32Array.from({ length: T * B }, () => rng.int(V));
  const s = m.initialState(B), logits = new Float64Array(B * V), plainLogits = logits.slice();
  const a = m.forward(inputs, inputs, cloneState(s), { train: true });
  m.backward();
  const b = m.forward(inputs, inputs, cloneState(s), { train: true });
  const evalLoss = m.forward(inputs, inputs, cloneState(s));
  assertOk(a !== b && a !== evalLoss, `fresh masks per chunk change the loss: ${a} ${b}`);
  assertEquals(m.params["l0.Wh"]!.data, Wh, "the parameters stay unmasked");
  assertEquals(
    evalLoss,
    plain.forward(inputs, inputs, cloneState(s)),
    "no weight drop in evaluation",
  );
  m.step(inputs.subarray(0, B), cloneState(s), logits);
  plain.step(inputs.subarray(0, B), cloneState(s), plainLogits);
  assertEquals(logits, plainLogits, "none when sampling");
  assertThrows(() => resolveModelConfig({ ...cfg, weightDrop: 1 }), /Invalid weightDrop 1/);
});

Deno.test("a two-layer lstm with dropout trains well below ln(V)", () => {
  const vocab = buildVocab(REPETITIVE);
  const V = vocab.chars.length, T = 16, B = 4;
  const m = model({ cell: "lstm", vocabSize: V, hiddenSize: 32, numLayers: 2, dropout: 0.2 }, 3);
  const opt = createOptimizer("adam", m.params, { backend: m.backend });
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

for (const cell of KINDS) {
  Deno.test(`${cell} step reproduces forward, 1 and 3 layers`, () => {
    for (const numLayers of [1, 3]) {
      assertStepMatchesForward(model({ cell, vocabSize: 6, hiddenSize: 5, numLayers }, 2));
    }
  });

  Deno.test(`${cell} trains on a repetitive text well below ln(V), and samples it`, () => {
    for (const numLayers of [1, 2]) {
      const { first, last, lnV, text } = trainSmall(cell, { numLayers });
      console.log(
        `${cell} L=${numLayers}: loss ${first.toFixed(3)} -> ${last.toFixed(3)} (ln V = ` +
          `${lnV.toFixed(3)}); greedy sample ${JSON.stringify(text)}`,
      );
      assertOk(last < (cell === "rnn" ? 0.35 : 0.25) * lnV, `loss ${last} not well below ${lnV}`);
      assertEquals([...text].length, 60);
      assertOk(/the|sat|on/.test(text), `sample ${JSON.stringify(text)} learned nothing`);
    }
  });

  Deno.test(`${cell} checkpoint round trip restores the identical loss`, () => {
    assertCheckpointRoundTrip(
      model({ cell, vocabSize: 6, hiddenSize: 5, numLayers: 2, dropout: 0.2 }, 3),
    );
    assertCheckpointRoundTrip(model({ cell, vocabSize: 6, hiddenSize: 5 }, 3));
  });
}

for (const cell of KINDS) {
  Deno.test(`${cell} with layer norm: step reproduces forward, checkpoints restore it, it trains`, () => {
    const config = { cell, vocabSize: 6, hiddenSize: 5, numLayers: 2, norm: "layer" } as const;
    assertStepMatchesForward(model(config, 2));
    assertCheckpointRoundTrip(model({ ...config, dropout: 0.2 }, 3));
    const { last, lnV, text } = trainSmall(cell, { numLayers: 2, norm: "layer" });
    assertOk(last < 0.25 * lnV, `loss ${last} not well below ${lnV}`);
    assertOk(/the|sat|on/.test(text), `sample ${JSON.stringify(text)} learned nothing`);
  });
}

for (const cell of KINDS) {
  Deno.test(`${cell} with zoneout: step reproduces forward, checkpoints restore it, it trains`, () => {
    const config = { cell, vocabSize: 6, hiddenSize: 5, numLayers: 2, zoneout: 0.3 } as const;
    assertStepMatchesForward(model(config, 2));
    assertCheckpointRoundTrip(model({ ...config, dropout: 0.2 }, 3));
    const { last, lnV, text } = trainSmall(cell, { numLayers: 2, zoneout: 0.1 });
    assertOk(last < (cell === "rnn" ? 0.35 : 0.25) * lnV, `loss ${last} not well below ${lnV}`);
    assertOk(/the|sat|on/.test(text), `sample ${JSON.stringify(text)} learned nothing`);
  });
}

Deno.test("zoneout: training keeps each unit old or new; evaluation mixes them by z; bad rates refused", () => {
  const z = 0.5, B = 8, H = 16;
  for (const cell of KINDS) {
    const config = { cell, vocabSize: 6, hiddenSize: H } as const;
    const zoned = model({ ...config, zoneout: z }), plain = model(config); // the same weights
    const { inputs, targets } = chunk(6, 1, B, 4); // one step
    const start = zoned.initialState(B), rng = new Rng(5);
    for (const s of Object.values(start)) s.data.forEach((_, k) => s.data[k] = rng.normal());
    const run = (m: StackedRnn, train: boolean) => {
      const state = cloneState(start);
      m.forward(inputs, targets, state, { train });
      return state;
    };
    const fresh = run(plain, false), mixed = run(zoned, false), dropped = run(zoned, true);
    for (const [name, s] of Object.entries(start)) {
      let kept = 0;
      s.data.forEach((old, k) => {
        const next = fresh[name]!.data[k]!;
        assertClose(mixed[name]!.data[k]!, z * old + (1 - z) * next, 1e-12);
        const v = dropped[name]!.data[k]!, isOld = Math.abs(v - old) < 1e-12;
        assertOk(isOld || Math.abs(v - next) < 1e-12, `${cell} ${name}[${k}] is neither`);
        if (isOld) kept++;
      });
      assertOk(kept > 0.3 * B * H && kept < 0.7 * B * H, `${cell} ${name}: ${kept} kept`);
    }
  }
  const config = { cell: "gru", vocabSize: 6, hiddenSize: 4 } as const;
  assertThrows(() => resolveModelConfig({ ...config, zoneout: 1 }), /Invalid zoneout 1: expected/);
});

Deno.test("layer norm: gains gx, gh (R) at 1 in every layer; it changes the function; bad norms refused", () => {
  const config = { cell: "lstm", vocabSize: 6, hiddenSize: 4, numLayers: 2 } as const;
  const ln = model({ ...config, norm: "layer" }), plain = model(config);
  for (const k of [0, 1]) {
    for (const g of ["gx", "gh"]) {
      assertEquals(ln.params[`l${k}.${g}`]!.shape, [16]);
      assertOk(ln.params[`l${k}.${g}`]!.data.every((v) => v === 1));
    }
  }
  assertEquals(Object.keys(ln.params).length, Object.keys(plain.params).length + 4);
  for (const [name, p] of Object.entries(plain.params)) ln.params[name]!.data.set(p.data);
  const { inputs, targets } = chunk(6, 5, 2, 9);
  const a = ln.forward(inputs, targets, ln.initialState(2));
  const b = plain.forward(inputs, targets, plain.initialState(2));
  assertOk(Math.abs(a - b) > 1e-3, `layer norm left the loss at ${a} (plain ${b})`);
  assertThrows(
    () => resolveModelConfig({ ...config, norm: "batch" as never }),
    /Invalid norm "batch": expected one of none, layer/,
  );
});

Deno.test("parameter names, shapes, state names and initial biases of each cell", () => {
  const shapes = (m: StackedRnn) =>
    Object.fromEntries(Object.entries(m.params).map(([k, p]) => [k, p.shape]));
  const lstm = model({ cell: "lstm", vocabSize: 7, hiddenSize: 4, numLayers: 2 });
  assertEquals(shapes(lstm), {
    "l0.Wx": [16, 7],
    "l0.Wh": [16, 4],
    "l0.b": [16],
    "l1.Wx": [16, 4],
    "l1.Wh": [16, 4],
    "l1.b": [16],
    Why: [7, 4],
    by: [7],
  });
  assertEquals(Object.keys(lstm.initialState(3)), ["h.0", "c.0", "h.1", "c.1"]);
  assertEquals(lstm.initialState(3)["c.1"]!.shape, [3, 4]);
  for (const k of ["l0.b", "l1.b"]) { // forget-gate bias 1
    assertEquals(Array.from(lstm.params[k]!.data), [
      0,
      0,
      0,
      0,
      1,
      1,
      1,
      1,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    ]);
  }
  const gru = model({ cell: "gru", vocabSize: 7, hiddenSize: 4, numLayers: 2 });
  assertEquals(shapes(gru), {
    "l0.Wx": [12, 7],
    "l0.Wh": [12, 4],
    "l0.b": [12],
    "l0.bhn": [4],
    "l1.Wx": [12, 4],
    "l1.Wh": [12, 4],
    "l1.b": [12],
    "l1.bhn": [4],
    Why: [7, 4],
    by: [7],
  });
  assertEquals(Object.keys(gru.initialState(3)), ["h.0", "h.1"]);
  for (const k of ["l0.b", "l0.bhn", "l1.b", "l1.bhn", "by"]) {
    assertOk(gru.params[k]!.data.every((v) => v === 0));
  }
  const layer = (cell: CellKind) =>
    new RecurrentLayer(f64(), new Rng(1), { cell, inputSize: 3, hiddenSize: 2 }).stateNames;
  assertEquals([layer("rnn"), layer("lstm"), layer("gru")], [["h"], ["h", "c"], ["h"]]);
});

Deno.test("backward adds into grads and into dState: a second pass doubles them", () => {
  const V = 5, T = 3, B = 2;
  const m = model({ cell: "lstm", vocabSize: V, hiddenSize: 4, numLayers: 2 });
  const { inputs, targets } = chunk(V, T, B, 4);
  const s = m.initialState(B);
  for (const t of Object.values(s)) t.data.fill(0.3);
  const d = zerosLike(s);
  m.forward(inputs, targets, cloneState(s));
  m.backward(d);
  const once = zerosLike(m.grads);
  for (const [k, g] of Object.entries(m.grads)) once[k]!.data.set(g.data);
  const dOnce = cloneState(d);
  m.forward(inputs, targets, cloneState(s)); // the same pass again, without zeroing
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
  const m = model({ cell: "lstm", vocabSize: 4, hiddenSize: 3, numLayers: 2 });
  assertThrows(() => m.backward(), /Cannot run backward: call forward first/);
  const x = Int32Array.from([0, 1]), y = Int32Array.from([1, 2]);
  assertThrows(
    () => m.forward(x, y, { "h.0": m.initialState(1)["h.0"]! }),
    /Invalid LSTM state: expected float tensors h.0, c.0, h.1, c.1 of one shape \(B, 3\); "c.0" is missing/,
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
  const m = model({ cell: "gru", vocabSize: V, hiddenSize: 4, numLayers: 2 });
  const big = chunk(V, 6, 3, 1), small = chunk(V, 2, 1, 2);
  const l1 = m.forward(big.inputs, big.targets, m.initialState(3));
  const l2 = m.forward(small.inputs, small.targets, m.initialState(1));
  assertEquals(m.forward(big.inputs, big.targets, m.initialState(3)), l1);
  assertEquals(m.forward(small.inputs, small.targets, m.initialState(1)), l2);
});

Deno.test("lstm and gru reject dropout with one layer", () => {
  for (const cell of ["lstm", "gru"] as const) {
    assertThrows(
      () => model({ cell, vocabSize: 6, hiddenSize: 5, dropout: 0.3 }),
      /needs 2 or more layers/,
    );
  }
});
