// The one model on every float32 backend against the same model on the f64 reference backend,
// for each cell and 1-2 layers (with dropout: the same masks from the same seed), printing the
// max difference per tensor as it goes. Tolerances: loss rel 1e-5; every gradient and dState
// within 1e-4 of the largest entry of the reference tensor; carried state and step() logits
// within 1e-5; a short training run ends within 0.02 nats of the reference's loss.
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../lib/io/checkpoint.ts";
import { makeConfig, type TrainConfig } from "../../lib/train/config.ts";
import { splitData } from "../../lib/text/data.ts";
import { createBackend } from "../../lib/backend/create.ts";
import type { Backend } from "../../lib/backend/types.ts";
import { backendTest, HAS_BLAS, maxDiff } from "../backend/backend_support.ts";
import type { CharModel, State } from "../../lib/model/char_model.ts";
import type { CellKind, ModelNorm } from "../../lib/model/model_config.ts";
import { createModel } from "../../lib/model/create.ts";
import { clipGradients } from "../../lib/train/clip.ts";
import { createOptimizer, type OptimizerName } from "../../lib/train/optim.ts";
import { Rng } from "../../lib/core/rng.ts";
import type { StackedRnn } from "../../lib/model/stacked.ts";
import type { Params } from "../../lib/core/tensor.ts";
import { Trainer } from "../../lib/train/trainer.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";
import type { DropoutMask } from "../../lib/model/dropout.ts";

const CELLS: CellKind[] = ["rnn", "lstm", "gru"];

interface Shape {
  cell: CellKind;
  V: number;
  H: number;
  L: number;
  dropout: number;
  /** Dropout masks per position (default) or per sequence. */
  mask?: DropoutMask;
  /** DropConnect rate on the recurrent weights; default 0. */
  weightDrop?: number;
  /** Layer-normalised cells; default none. */
  norm?: ModelNorm;
  /** Zoneout rate of the states; default 0. */
  zoneout?: number;
  T: number;
  B: number;
}

const f64 = () => createBackend({ kind: "f64" });

/** The model on the f64 backend and on a float32 one, with identical (float32) parameters. */
function twins(backend: Backend, s: Shape, seed: number) {
  const config = { cell: s.cell, vocabSize: s.V, hiddenSize: s.H, numLayers: s.L };
  const options = {
    ...config,
    dropout: s.dropout,
    dropoutMask: s.mask,
    weightDrop: s.weightDrop,
    norm: s.norm,
    zoneout: s.zoneout,
  };
  const fast = createModel(options, new Rng(seed), { initScale: 0.3, backend });
  const plain = createModel(options, new Rng(seed), { initScale: 0.3, backend: f64() });
  const rng = new Rng(seed + 100);
  for (const [name, t] of Object.entries(fast.params)) {
    if (/(^by|\.b|\.bhn)$/.test(name)) {
      for (let k = 0; k < t.data.length; k++) t.data[k] = rng.normal() * 0.2;
    }
    if (/\.g[xh]$/.test(name)) { // layer-norm gains off 1
      for (let k = 0; k < t.data.length; k++) t.data[k] = 1 + rng.normal() * 0.2;
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

/** A random float32-representable state for both models. */
function randomStates(fast: CharModel, plain: CharModel, B: number, rng: Rng): [State, State] {
  const f = fast.initialState(B), p = plain.initialState(B);
  for (const [name, t] of Object.entries(p)) {
    for (let k = 0; k < t.data.length; k++) t.data[k] = Math.fround(rng.normal() * 0.5);
    f[name]!.data.set(t.data);
  }
  return [f, p];
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

function assertSame(fast: Params, plain: Params, tol: number, what: string, print = false): void {
  for (const [name, t] of Object.entries(plain)) {
    if (print) maxDiff(`${what} d${name}`, fast[name]!.data, t.data, tol * maxAbs(t.data));
    const err = relError(fast[name]!.data, t.data);
    assertOk(err <= tol, `${what}: ${name} differs by ${err.toExponential(2)} (> ${tol})`);
  }
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]!));
  return m;
}

const SHAPES: Shape[] = CELLS.flatMap((cell) => [
  { cell, V: 11, H: 13, L: 1, dropout: 0, T: 7, B: 3 }, // sizes off the SIMD widths
  { cell, V: 11, H: 13, L: 2, dropout: 0.3, T: 5, B: 1 }, // batch 1: the gemv paths
  { cell, V: 40, H: 32, L: 2, dropout: 0, T: 12, B: 8 }, // N > V: the transposed gather
  { cell, V: 7, H: 16, L: 2, dropout: 0.2, T: 4, B: 3 },
  { cell, V: 7, H: 16, L: 2, dropout: 0.2, mask: "sequence", T: 4, B: 3 }, // variational
  { cell, V: 7, H: 16, L: 2, dropout: 0.2, weightDrop: 0.3, T: 4, B: 3 }, // DropConnect
  { cell, V: 11, H: 13, L: 2, dropout: 0.2, norm: "layer", T: 5, B: 3 }, // layer norm, H % 4 = 1
  { cell, V: 40, H: 32, L: 2, dropout: 0, norm: "layer", T: 12, B: 8 },
  { cell, V: 11, H: 13, L: 2, dropout: 0.2, zoneout: 0.3, T: 5, B: 3 }, // zoneout
]);

backendTest(
  "float32 vs f64: same loss, gradients, dState, state and steps",
  (backend) => {
    for (const s of SHAPES) {
      const what =
        `${s.cell} L${s.L} p${s.dropout}${s.mask === "sequence" ? " per sequence" : ""} ` +
        `${s.weightDrop ? `w${s.weightDrop} ` : ""}${s.norm === "layer" ? "LN " : ""}` +
        `${s.zoneout ? `z${s.zoneout} ` : ""}` +
        `V${s.V} H${s.H} T${s.T} B${s.B}`;
      console.log(`${backend.kind} ${what}:`);
      const { fast, plain } = twins(backend, s, 1);
      const rng = new Rng(2);
      const [sFast, sPlain] = randomStates(fast, plain, s.B, rng);
      // layer norm divides by each gate block's spread, which scales float32 rounding up
      const stateTol = s.norm === "layer" ? 3e-5 : 1e-5;
      for (let pass = 0; pass < 2; pass++) { // the second pass draws fresh dropout masks
        const { inputs, targets } = randomChunk(s.V, s.T, s.B, rng);
        for (const g of [...Object.values(fast.grads), ...Object.values(plain.grads)]) {
          g.data.fill(
            0,
          );
        }
        const lossFast = fast.forward(inputs, targets, sFast, { train: true });
        const lossPlain = plain.forward(inputs, targets, sPlain, { train: true });
        assertOk(
          Math.abs(lossFast - lossPlain) <= 1e-5 * lossPlain,
          `${what}: loss ${lossFast} vs ${lossPlain}`,
        );
        assertSame(sFast, sPlain, stateTol, `${what}: carried state`);
        const dFast = fast.initialState(s.B), dPlain = plain.initialState(s.B);
        fast.backward(dFast);
        plain.backward(dPlain);
        maxDiff(`loss (pass ${pass})`, [lossFast], [lossPlain], 1e-5 * lossPlain);
        assertSame(fast.grads, plain.grads, 1e-4, `${what}: gradient`, pass === 0);
        assertSame(dFast, dPlain, 1e-4, `${what}: dState`);
      }
      const lf = new Float64Array(s.B * s.V), lp = new Float64Array(s.B * s.V);
      for (let k = 0; k < 3; k++) {
        const x = randomChunk(s.V, 1, s.B, rng).inputs;
        fast.step(x, sFast, lf);
        plain.step(x, sPlain, lp);
        assertOk(relError(lf, lp) <= 1e-5, `${what}: step logits differ`);
        assertSame(sFast, sPlain, stateTol, `${what}: step state`);
      }
    }
  },
);

backendTest("float32: backward adds into the gradients; frozen masks repeat", (backend) => {
  for (const cell of CELLS) {
    const s = { cell, V: 9, H: 8, L: 2, dropout: 0.4, T: 5, B: 2 };
    const { fast } = twins(backend, s, 3);
    const { inputs, targets } = randomChunk(s.V, s.T, s.B, new Rng(4));
    const run = () => {
      const loss = fast.forward(inputs, targets, fast.initialState(s.B), { train: true });
      fast.backward();
      return loss;
    };
    const first = run();
    const once = Object.fromEntries(
      Object.entries(fast.grads).map(([k, g]) => [k, Float64Array.from(g.data)]),
    );
    fast.freezeMasks = true;
    assertEquals(run(), first);
    for (const [k, g] of Object.entries(fast.grads)) {
      assertOk(relError(g.data, once[k]!.map((v) => 2 * v)) <= 1e-6, `${cell}: d${k} not added`);
    }
    fast.freezeMasks = false;
    assertOk(run() !== first, `${cell}: fresh masks should change the loss`);
  }
});

Deno.test("float32 and f64: same seed, same initial weights (rounded) and dropout seed", () => {
  for (const cell of CELLS) {
    const config = { cell, vocabSize: 7, hiddenSize: 5, numLayers: 2, dropout: 0.1 };
    const fast = createModel(config, new Rng(9), { backend: createBackend({ kind: "ts" }) });
    const plain = createModel(config, new Rng(9), { backend: f64() });
    assertEquals(Object.keys(fast.params), Object.keys(plain.params));
    for (const [name, p] of Object.entries(plain.params)) {
      assertEquals(fast.params[name]!.shape, p.shape);
      assertEquals(Array.from(fast.params[name]!.data), Array.from(p.data, Math.fround));
    }
    assertEquals(fast.dropoutRng.getState(), plain.dropoutRng.getState());
    assertEquals(Object.keys(fast.initialState(2)), Object.keys(plain.initialState(2)));
  }
});

Deno.test("wasm: invalid chunks and states fail with clear errors before any kernel runs", () => {
  const m = createModel(
    { cell: "lstm", vocabSize: 4, hiddenSize: 3, numLayers: 2, dropout: 0.5 },
    new Rng(1),
    { backend: createBackend({ kind: "wasm" }) },
  );
  const ids = Int32Array.from([0, 1, 2, 3]);
  assertThrows(() => m.backward(), /call forward first/);
  assertThrows(
    () => m.forward(Int32Array.from([0, 4]), ids.subarray(0, 2), m.initialState(1)),
    /Invalid character index 4/,
  );
  assertThrows(() => m.forward(ids, ids.subarray(0, 3), m.initialState(1)), /Invalid chunk/);
  const { "c.1": _, ...partial } = m.initialState(1);
  assertThrows(() => m.forward(ids, ids, partial), /Invalid LSTM state.*"c\.1"/);
  m.freezeMasks = true;
  assertThrows(() => m.forward(ids, ids, m.initialState(1), { train: true }), /dropout mask/);
  assertThrows(
    () =>
      createModel({ cell: "gru", vocabSize: 4, hiddenSize: 3, dropout: 0.5 }, new Rng(1), {
        backend: createBackend({ kind: "ts" }),
      }),
    /2 or more layers/,
  );
});

const TEXT = "the quick fox saw a lazy dog nap in the sun; a dog and a fox ran off. ".repeat(40); // written for this test
const vocab = buildVocab(TEXT);
const V = vocab.chars.length;

function trainer(model: CharModel, overrides: Partial<TrainConfig> = {}): Trainer {
  const config = makeConfig({
    cell: model.config.cell,
    hiddenSize: model.config.hiddenSize,
    numLayers: model.config.numLayers ?? 1,
    dropout: model.config.dropout ?? 0,
    seqLength: 16,
    batchSize: 4,
    steps: 60,
    learningRate: 0.01,
    optimizer: "adam",
    evalEvery: 0,
    sampleEvery: 0,
    valFraction: 0.1,
    ...overrides,
  });
  const data = splitData(encode(vocab, TEXT), config.valFraction);
  const optimizer = createOptimizer(config.optimizer as OptimizerName, model.params, {
    backend: model.backend,
  });
  return new Trainer(model, { vocab, data, config, optimizer, rng: new Rng(5) });
}

async function lossCurve(model: CharModel, overrides: Partial<TrainConfig> = {}) {
  const losses: number[] = [];
  const t = trainer(model, overrides);
  await t.train({ onEvent: (e) => void (e.type === "step" && losses.push(e.loss)) });
  return { losses, val: t.evaluate() };
}

const TRAINED: { cell: CellKind; L: number; dropout: number; over?: Partial<TrainConfig> }[] = [
  { cell: "lstm", L: 2, dropout: 0.2 },
  { cell: "gru", L: 1, dropout: 0 },
  { cell: "rnn", L: 2, dropout: 0.1 },
  {
    cell: "rnn",
    L: 1,
    dropout: 0,
    over: { optimizer: "adagrad", clipMode: "value", learningRate: 0.1 },
  },
];

backendTest("float32: a short run reaches the f64 model's loss", async (backend) => {
  for (const { cell, L, dropout, over } of TRAINED) {
    const config = { cell, vocabSize: V, hiddenSize: 24, numLayers: L, dropout };
    const fast = await lossCurve(createModel(config, new Rng(12), { backend }), over);
    const plain = await lossCurve(createModel(config, new Rng(12), { backend: f64() }), over);
    const tail = (c: number[]) => c.slice(-10).reduce((a, b) => a + b, 0) / 10;
    const [f, p] = [tail(fast.losses), tail(plain.losses)];
    assertOk(p < 0.75 * Math.log(V), `${cell}: the reference did not learn (${p})`);
    assertOk(Math.abs(f - p) < 0.02, `${cell}: fast ${f} vs plain ${p}`);
    assertOk(Math.abs(fast.val - plain.val) < 0.02, `${cell}: val ${fast.val} vs ${plain.val}`);
  }
});

backendTest("float32: the same seed gives the identical loss curve", async (backend) => {
  const config = {
    cell: "lstm" as const,
    vocabSize: V,
    hiddenSize: 16,
    numLayers: 2,
    dropout: 0.3,
  };
  const curves = [];
  for (let run = 0; run < 2; run++) {
    curves.push(
      (await lossCurve(createModel(config, new Rng(11), { backend }), { steps: 20 }))
        .losses,
    );
  }
  assertEquals(curves[0], curves[1]);
});

Deno.test("checkpoints move between every backend", async () => {
  const wasm = createBackend({ kind: "wasm" });
  const others = [
    createBackend({ kind: "ts" }),
    f64(),
    ...(HAS_BLAS ? [createBackend({ kind: "openblas" })] : []),
  ];
  for (const cell of CELLS) {
    const config = { cell, vocabSize: V, hiddenSize: 12, numLayers: 2, dropout: 0.25 };
    const model = createModel(config, new Rng(3), { backend: wasm });
    const t = trainer(model, { steps: 5 });
    await t.train();
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
    const { inputs, targets } = randomChunk(V, 8, 2, new Rng(4));
    const lossOf = (m: CharModel) => m.forward(inputs, targets, m.initialState(2));
    const reference = lossOf(model);
    for (const backend of [wasm, ...others, undefined]) {
      const ckpt = decodeCheckpoint(bytes, { backend });
      assertEquals(ckpt.model.backend.kind, backend?.kind ?? (HAS_BLAS ? "openblas" : "wasm"));
      for (const [name, p] of Object.entries(model.params)) {
        assertEquals(Array.from(ckpt.model.params[name]!.data), Array.from(p.data));
      }
      for (const [name, s] of Object.entries(t.optimizer.state)) {
        assertEquals(Array.from(ckpt.optimizer.state[name]!.data), Array.from(s.data));
      }
      assertEquals(
        (ckpt.model as StackedRnn).dropoutRng.getState(),
        model.dropoutRng.getState(),
      );
      assertSame(ckpt.state, t.state, 0, `${cell}: carried state`);
      const loss = lossOf(ckpt.model);
      assertOk(Math.abs(loss - reference) <= 1e-5 * reference, `${cell}: ${loss} vs ${reference}`);
    }
  }
});

backendTest("float32 vs f64: every optimizer and clipping mode, step by step", (backend) => {
  const rng = new Rng(21);
  const pair = (n: number, scale: number) => {
    const a = backend.alloc(n), b = f64().alloc(n);
    for (let i = 0; i < n; i++) b[i] = a[i] = Math.fround(rng.normal() * scale);
    return [a, b] as const;
  };
  const tensors = (scale: number): [Params, Params] => {
    const [a1, a2] = pair(35, scale), [b1, b2] = pair(3, scale);
    return [
      { a: { shape: [5, 7], data: a1 }, b: { shape: [3], data: b1 } },
      { a: { shape: [5, 7], data: a2 }, b: { shape: [3], data: b2 } },
    ];
  };
  const ref = f64();
  for (const name of ["sgd", "adagrad", "rmsprop", "adam"] as const) {
    const [fastP, refP] = tensors(1), [fastG, refG] = tensors(3);
    const fast = createOptimizer(name, fastP, { backend });
    const plain = createOptimizer(name, refP, { backend: ref });
    for (const t of Object.values(fast.state)) {
      assertOk(t.data instanceof Float32Array, `${name}: state is float32 on ${backend.kind}`);
    }
    for (let step = 0; step < 3; step++) {
      const mode = step === 1 ? "norm" : "value";
      const a = clipGradients(fastG, { mode, limit: 2, backend });
      const b = clipGradients(refG, { mode, limit: 2, backend: ref });
      assertEquals(a.clipped, b.clipped);
      assertOk(Math.abs(a.gradNorm - b.gradNorm) <= 1e-6 * b.gradNorm, `${name}: norm`);
      fast.update(fastP, fastG, 0.05);
      plain.update(refP, refG, 0.05);
    }
    assertEquals(fast.steps, plain.steps);
    for (const [k, t] of Object.entries(refP)) {
      maxDiff(`${backend.kind} ${name} ${k}`, fastP[k]!.data, t.data, 1e-5);
    }
    assertSame(fastP, refP, 1e-5, `${name} parameters`);
    assertSame(fast.state, plain.state, 1e-5, `${name} state`);
  }
});
