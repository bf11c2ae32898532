// The float32 fast RNN against the float64 reference (lib/rnn.ts) on every backend.
// Tolerances: loss rel 1e-5; every gradient (and dState, the carried state, step logits)
// within 1e-4 of the largest entry of the reference tensor (float32 rounding over T*B
// positions); a short training run ends within 0.02 nats of the reference's loss.
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { makeConfig, type TrainConfig } from "../../lib/train/config.ts";
import { splitData } from "../../lib/text/data.ts";
import { createEngine, type Engine } from "../../lib/backend/create.ts";
import { backendTest } from "../backend/backend_support.ts";
import type { CharModel, State } from "../../lib/model/char_model.ts";
import { createOptimizer, type OptimizerName } from "../../lib/train/optim.ts";
import { Rng } from "../../lib/core/rng.ts";
import { VanillaRnn } from "../../lib/model/vanilla_rnn.ts";
import { FastRnn } from "../../lib/model/rnn_fast.ts";
import type { Params } from "../../lib/core/tensor.ts";
import { Trainer } from "../../lib/train/trainer.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";

/** A plain model and a fast one with identical (float32-representable) weights. */
function twins(engine: Engine, V: number, H: number, seed: number) {
  const fast = new FastRnn(new Rng(seed), { vocabSize: V, hiddenSize: H, initScale: 0.3, engine });
  const plain = new VanillaRnn(new Rng(seed), { vocabSize: V, hiddenSize: H, initScale: 0.3 });
  const rng = new Rng(seed + 100);
  for (const [name, t] of Object.entries(fast.params)) {
    if (name === "bh" || name === "by") {
      for (let k = 0; k < t.data.length; k++) t.data[k] = rng.normal() * 0.1;
    }
    plain.params[name]!.data.set(t.data);
  }
  return { fast, plain };
}

function randomChunk(V: number, T: number, B: number, rng: Rng) {
  const inputs = new Int32Array(T * B), targets = new Int32Array(T * B);
  for (let n = 0; n < T * B; n++) (inputs[n] = rng.int(V), targets[n] = rng.int(V));
  return { inputs, targets };
}

function randomState(model: CharModel, B: number, rng: Rng): State {
  const s = model.initialState(B);
  for (let k = 0; k < s.h!.data.length; k++) s.h!.data[k] = rng.normal() * 0.5;
  return s;
}

/** max |a - b| / max |b| over one tensor (0 when both are zero). */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0, scale = 0;
  for (let k = 0; k < b.length; k++) {
    diff = Math.max(diff, Math.abs(a[k]! - b[k]!));
    scale = Math.max(scale, Math.abs(b[k]!));
  }
  return scale === 0 ? diff : diff / scale;
}

function assertSameGrads(fast: Params, plain: Params, tol: number, what: string): void {
  for (const [name, g] of Object.entries(plain)) {
    const err = relError(fast[name]!.data, g.data);
    assertOk(err <= tol, `${what}: d${name} differs by ${err.toExponential(2)} (> ${tol})`);
  }
}

const SHAPES = [
  { V: 11, H: 13, T: 7, B: 1 }, // sizes off the SIMD widths; batch 1 takes the gemv path
  { V: 11, H: 13, T: 5, B: 3 },
  { V: 40, H: 64, T: 12, B: 1 },
  { V: 40, H: 64, T: 10, B: 8 },
];

backendTest(
  "fast RNN: same loss, gradients, dState and carried state as the float64 RNN",
  (engine) => {
    for (const { V, H, T, B } of SHAPES) {
      const what = `V${V} H${H} T${T} B${B}`;
      const { fast, plain } = twins(engine, V, H, 1);
      const rng = new Rng(2);
      const { inputs, targets } = randomChunk(V, T, B, rng);
      const sFast = randomState(fast, B, rng);
      const h0 = Float64Array.from(sFast.h!.data);
      const sPlain = { h: { shape: sFast.h!.shape, data: Float64Array.from(h0) } };
      const lossFast = fast.forward(inputs, targets, sFast);
      const lossPlain = plain.forward(inputs, targets, sPlain);
      assertOk(
        Math.abs(lossFast - lossPlain) <= 1e-5 * lossPlain,
        `${what}: loss ${lossFast} vs ${lossPlain}`,
      );
      assertOk(relError(sFast.h!.data, sPlain.h.data) <= 1e-5, `${what}: carried state differs`);
      const dFast = fast.initialState(B), dPlain = plain.initialState(B);
      fast.backward(dFast);
      plain.backward(dPlain);
      assertSameGrads(fast.grads, plain.grads, 1e-4, what);
      assertOk(relError(dFast.h!.data, dPlain.h!.data) <= 1e-4, `${what}: dState differs`);
      // backward adds: a second pass doubles every gradient
      fast.forward(inputs, targets, { h: { shape: [B, H], data: h0 } });
      const first = Object.fromEntries(
        Object.entries(fast.grads).map(([k, g]) => [k, Float64Array.from(g.data)]),
      );
      fast.backward();
      for (const [k, g] of Object.entries(fast.grads)) {
        assertOk(
          relError(g.data, first[k]!.map((v) => 2 * v)) <= 1e-4,
          `${what}: d${k} not accumulated`,
        );
      }
    }
  },
);

backendTest("fast RNN: step() gives the float64 RNN's logits and state", (engine) => {
  const { fast, plain } = twins(engine, 11, 13, 3);
  const rng = new Rng(4);
  const B = 2;
  const sFast = randomState(fast, B, rng);
  const sPlain = { h: { shape: sFast.h!.shape, data: Float64Array.from(sFast.h!.data) } };
  const lf = new Float64Array(B * 11), lp = new Float64Array(B * 11);
  for (const x of [[1, 2], [10, 0], [3, 3]]) {
    fast.step(Int32Array.from(x), sFast, lf);
    plain.step(Int32Array.from(x), sPlain, lp);
    assertOk(relError(lf, lp) <= 1e-5, "step logits differ");
    assertOk(relError(sFast.h!.data, sPlain.h.data) <= 1e-5, "step state differs");
  }
});

Deno.test("fast RNN: invalid chunks and states fail with clear errors", () => {
  const m = new FastRnn(new Rng(1), {
    vocabSize: 4,
    hiddenSize: 3,
    engine: createEngine({ kind: "wasm" }),
  });
  const ids = Int32Array.from([0, 1, 2, 3]);
  assertThrows(
    () => m.forward(Int32Array.from([0, 4]), ids.subarray(0, 2), m.initialState(1)),
    /Invalid token index at position 1/,
  );
  assertThrows(() => m.forward(ids, ids.subarray(0, 3), m.initialState(1)), /Invalid chunk/);
  assertThrows(
    () => m.forward(ids, ids, { h: { shape: [2], data: new Float64Array(2) } }),
    /Invalid RNN state/,
  );
  assertThrows(() => m.backward(), /call forward first/);
  assertThrows(
    () => new FastRnn(new Rng(1), { vocabSize: 0, hiddenSize: 3 }),
    /Invalid vocabSize 0/,
  );
});

Deno.test("fast RNN: same seed, same initial weights as the float64 RNN (rounded to float32)", () => {
  const fast = new FastRnn(new Rng(9), {
    vocabSize: 7,
    hiddenSize: 5,
    engine: createEngine({ kind: "ts" }),
  });
  const plain = new VanillaRnn(new Rng(9), { vocabSize: 7, hiddenSize: 5 });
  for (const [name, p] of Object.entries(plain.params)) {
    assertEquals(fast.params[name]!.shape, p.shape);
    assertEquals(Array.from(fast.params[name]!.data), Array.from(p.data, Math.fround));
  }
});

const TEXT = "a bat and a cat sat on a mat; the rat ran at the cat. ".repeat(40); // written for this test
const vocab = buildVocab(TEXT);

function trainer(model: CharModel, overrides: Partial<TrainConfig>): Trainer {
  const config = makeConfig({
    hiddenSize: model.config.hiddenSize,
    seqLength: 16,
    batchSize: 4,
    steps: 60,
    learningRate: 0.01,
    evalEvery: 0,
    sampleEvery: 0,
    valFraction: 0.1,
    ...overrides,
  });
  const data = splitData(encode(vocab, TEXT), config.valFraction);
  const optimizer = createOptimizer(config.optimizer as OptimizerName, model.params);
  return new Trainer(model, { vocab, data, config, optimizer, rng: new Rng(5) });
}

async function lossCurve(model: CharModel, overrides: Partial<TrainConfig>): Promise<number[]> {
  const losses: number[] = [];
  await trainer(model, overrides).run({
    onEvent: (e) => void (e.type === "step" && losses.push(e.loss)),
  });
  return losses;
}

backendTest("fast RNN: the same seed gives the identical loss curve", async (engine) => {
  const V = vocab.chars.length;
  for (const optimizer of ["adam", "adagrad"] as const) {
    const curves = [];
    for (let run = 0; run < 2; run++) {
      const model = new FastRnn(new Rng(11), { vocabSize: V, hiddenSize: 32, engine });
      curves.push(await lossCurve(model, { optimizer, steps: 30 }));
    }
    assertEquals(curves[0], curves[1]);
  }
});

backendTest("fast RNN: a short run reaches the float64 RNN's loss", async (engine) => {
  const V = vocab.chars.length;
  for (const [optimizer, clipMode] of [["adam", "norm"], ["adagrad", "value"]] as const) {
    const fast = await lossCurve(
      new FastRnn(new Rng(12), { vocabSize: V, hiddenSize: 32, engine }),
      { optimizer, clipMode },
    );
    const plain = await lossCurve(new VanillaRnn(new Rng(12), { vocabSize: V, hiddenSize: 32 }), {
      optimizer,
      clipMode,
    });
    const tail = (c: number[]) => c.slice(-10).reduce((a, b) => a + b, 0) / 10;
    assertOk(
      tail(plain) < 0.75 * Math.log(V),
      `${optimizer}: the reference did not learn (${tail(plain)})`,
    );
    assertOk(
      Math.abs(tail(fast) - tail(plain)) < 0.02,
      `${optimizer}: fast ${tail(fast)} vs plain ${tail(plain)}`,
    );
  }
});

Deno.test("optimizers and clipping run as wasm kernels on the fast engine's tensors, same results", async () => {
  const { createOptimizer } = await import("../../lib/train/optim.ts");
  const { clipGradients } = await import("../../lib/train/clip.ts");
  const { workspaceOf } = await import("../../lib/backend/create.ts");
  const ws = createEngine({ kind: "wasm" }).createWorkspace();
  const rng = new Rng(21);
  const make = (n: number, scale: number) => {
    const a = ws.alloc(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
    return a;
  };
  for (const name of ["adagrad", "adam", "sgd", "rmsprop"] as const) {
    const fastP: Params = {
      a: { shape: [5, 7], data: make(35, 1) },
      b: { shape: [3], data: make(3, 1) },
    };
    const fastG: Params = {
      a: { shape: [5, 7], data: make(35, 3) },
      b: { shape: [3], data: make(3, 3) },
    };
    const copy = (p: Params): Params =>
      Object.fromEntries(
        Object.entries(p).map(([k, t]) => [k, { shape: t.shape, data: Float64Array.from(t.data) }]),
      );
    const refP = copy(fastP), refG = copy(fastG);
    const fast = createOptimizer(name, fastP), ref = createOptimizer(name, refP);
    for (const t of Object.values(fast.state)) assertEquals(workspaceOf(t.data), ws);
    for (let step = 0; step < 3; step++) {
      assertEquals(
        clipGradients(fastG, { mode: step === 1 ? "norm" : "value", limit: 2 }).clipped,
        clipGradients(refG, { mode: step === 1 ? "norm" : "value", limit: 2 }).clipped,
      );
      fast.update(fastP, fastG, 0.05);
      ref.update(refP, refG, 0.05);
    }
    assertEquals(fast.steps, ref.steps);
    assertSameGrads(fastP, refP, 1e-5, name);
    assertSameGrads(fast.state, ref.state, 1e-5, `${name} state`);
  }
});

Deno.test("createModel and checkpoints build the fast RNN when given an engine", async () => {
  const { createModel } = await import("../../lib/model/create.ts");
  const { decodeCheckpoint, encodeCheckpoint } = await import("../../lib/io/checkpoint.ts");
  const engine = createEngine({ kind: "wasm" });
  const V = vocab.chars.length;
  const model = createModel({ kind: "rnn", vocabSize: V, hiddenSize: 16 }, new Rng(3), { engine });
  assertOk(model instanceof FastRnn);
  assertOk(
    createModel({ kind: "rnn", vocabSize: V, hiddenSize: 16 }, new Rng(3)) instanceof VanillaRnn,
  );
  const t = trainer(model, { optimizer: "adam", steps: 5, hiddenSize: 16 });
  await t.run();
  const bytes = encodeCheckpoint({
    model,
    vocab,
    config: t.config,
    optimizer: t.optimizer,
    step: t.step,
    position: t.stream.position,
    state: t.state,
    smoothLoss: t.smoothLoss,
    rng: new Rng(1).getState(),
    corpus: "test",
    bestValLoss: null,
  });
  const fast = decodeCheckpoint(bytes, { engine });
  const plain = decodeCheckpoint(bytes);
  assertOk(fast.model instanceof FastRnn && plain.model instanceof VanillaRnn);
  for (const [name, p] of Object.entries(model.params)) {
    assertEquals(Array.from(fast.model.params[name]!.data), Array.from(p.data));
    assertEquals(Array.from(plain.model.params[name]!.data), Array.from(p.data));
  }
  for (const [name, s] of Object.entries(t.optimizer.state)) {
    assertEquals(Array.from(fast.optimizer.state[name]!.data), Array.from(s.data));
  }
  const { inputs, targets } = randomChunk(V, 8, 2, new Rng(4));
  const lossOf = (m: CharModel) => m.forward(inputs, targets, m.initialState(2));
  assertEquals(lossOf(fast.model), lossOf(model));
  assertOk(Math.abs(lossOf(plain.model) - lossOf(model)) < 1e-5);
});
