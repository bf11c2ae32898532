// The vanilla RNN against a direct transcription of the seed notebook's
// rnn_forward_backward (one stream, column vectors), plus state carrying and step().
// Legend: V = vocabulary size, H = hidden size, B = batch size, T = sequence length.
import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import { cloneState } from "../../lib/core/tensor.ts";
import { createModel } from "../../lib/model/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { VANILLA_TO_STACKED, VanillaRnn } from "../../lib/model/vanilla_rnn.ts";

type Mat = number[][];

/** The seed's forward/backward for ONE stream: summed loss, summed gradients, h_last. */
function seedForwardBackward(
  xs: number[],
  ys: number[],
  hPrev: number[],
  p: { Wxh: Mat; Whh: Mat; Why: Mat; bh: number[]; by: number[] },
) {
  const H = p.Whh.length, V = p.Why.length;
  const hs: number[][] = [hPrev];
  const ps: number[][] = [];
  let loss = 0;
  for (let t = 0; t < xs.length; t++) {
    const h = Array.from({ length: H }, (_, i) => {
      let a = p.Wxh[i]![xs[t]!]! + p.bh[i]!;
      for (let j = 0; j < H; j++) a += p.Whh[i]![j]! * hs[t]![j]!;
      return Math.tanh(a);
    });
    hs.push(h);
    const y = Array.from({ length: V }, (_, v) => {
      let s = p.by[v]!;
      for (let i = 0; i < H; i++) s += p.Why[v]![i]! * h[i]!;
      return s;
    });
    const e = y.map(Math.exp); // moderate logits: the naive softmax is fine here
    const z = e.reduce((a, b) => a + b, 0);
    ps.push(e.map((v) => v / z));
    loss += -Math.log(ps[t]![ys[t]!]!);
  }
  const zero = (r: number, c: number): Mat => Array.from({ length: r }, () => Array(c).fill(0));
  const g = {
    Wxh: zero(H, V),
    Whh: zero(H, H),
    Why: zero(V, H),
    bh: Array(H).fill(0) as number[],
    by: Array(V).fill(0) as number[],
    h0: Array(H).fill(0) as number[],
  };
  let dhNext: number[] = Array(H).fill(0);
  for (let t = xs.length - 1; t >= 0; t--) {
    const dy = ps[t]!.slice();
    dy[ys[t]!]! -= 1;
    const h = hs[t + 1]!, hp = hs[t]!;
    const dh = dhNext.slice();
    for (let v = 0; v < V; v++) {
      g.by[v]! += dy[v]!;
      for (let i = 0; i < H; i++) {
        g.Why[v]![i]! += dy[v]! * h[i]!;
        dh[i]! += p.Why[v]![i]! * dy[v]!;
      }
    }
    const dt = h.map((hv, i) => (1 - hv * hv) * dh[i]!);
    for (let i = 0; i < H; i++) {
      g.bh[i]! += dt[i]!;
      g.Wxh[i]![xs[t]!]! += dt[i]!;
      for (let j = 0; j < H; j++) g.Whh[i]![j]! += dt[i]! * hp[j]!;
    }
    dhNext = Array.from({ length: H }, (_, j) => {
      let s = 0;
      for (let i = 0; i < H; i++) s += p.Whh[i]![j]! * dt[i]!;
      return s;
    });
  }
  g.h0 = dhNext;
  return { loss, g, hLast: hs[xs.length]! };
}

function toMat(data: Float64Array | Float32Array, rows: number, cols: number): Mat {
  return Array.from(
    { length: rows },
    (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols)),
  );
}

function setup(seed: number, V: number, H: number, B: number, T: number) {
  const rng = new Rng(seed);
  const model = new VanillaRnn(rng, { vocabSize: V, hiddenSize: H });
  for (const k of ["bh", "by"]) {
    const d = model.params[k]!.data;
    for (let i = 0; i < d.length; i++) d[i] = 0.2 * rng.normal();
  }
  const inputs = Int32Array.from({ length: T * B }, () => rng.int(V)); // (T, B)
  const targets = Int32Array.from({ length: T * B }, () => rng.int(V)); // (T, B)
  const state = model.initialState(B);
  for (let k = 0; k < B * H; k++) state.h!.data[k] = rng.uniform() - 0.5;
  return { model, inputs, targets, state };
}

Deno.test("forward/backward equal the seed notebook's per-stream BPTT (mean over T*B)", () => {
  const V = 6, H = 5, B = 3, T = 7;
  const { model, inputs, targets, state } = setup(1, V, H, B, T);
  const P = model.params;
  const ref = {
    Wxh: toMat(P.Wxh!.data, H, V),
    Whh: toMat(P.Whh!.data, H, H),
    Why: toMat(P.Why!.data, V, H),
    bh: Array.from(P.bh!.data),
    by: Array.from(P.by!.data),
  };
  const h0 = cloneState(state);
  const dState = model.initialState(B);
  const loss = model.forward(inputs, targets, state);
  model.backward(dState);
  let total = 0;
  const expected: Record<string, number[]> = {
    Wxh: Array(H * V).fill(0),
    Whh: Array(H * H).fill(0),
    Why: Array(V * H).fill(0),
    bh: Array(H).fill(0),
    by: Array(V).fill(0),
  };
  for (let b = 0; b < B; b++) {
    const xs = Array.from({ length: T }, (_, t) => inputs[t * B + b]!);
    const ys = Array.from({ length: T }, (_, t) => targets[t * B + b]!);
    const hPrev = Array.from(h0.h!.data.subarray(b * H, (b + 1) * H));
    const r = seedForwardBackward(xs, ys, hPrev, ref);
    total += r.loss;
    for (const k of ["Wxh", "Whh", "Why"] as const) {
      r.g[k].flat().forEach((v, i) => (expected[k]![i]! += v / (T * B)));
    }
    r.g.bh.forEach((v, i) => (expected.bh![i]! += v / (T * B)));
    r.g.by.forEach((v, i) => (expected.by![i]! += v / (T * B)));
    // the carried state is h_T of each stream; dh0 is that stream's gradient / (T*B)
    for (let i = 0; i < H; i++) {
      assertClose(state.h!.data[b * H + i]!, r.hLast[i]!, 1e-14);
      assertClose(dState.h!.data[b * H + i]!, r.g.h0[i]! / (T * B), 1e-14);
    }
  }
  assertClose(loss, total / (T * B), 1e-13);
  for (const k of Object.keys(expected)) {
    const got = model.grads[k]!.data;
    expected[k]!.forEach((v, i) => assertClose(got[i]!, v, 1e-14, `${k}[${i}]`));
  }
});

Deno.test("carrying the state over two half chunks gives the full chunk's loss", () => {
  const V = 5, H = 6, B = 2, T = 8;
  const { model, inputs, targets, state } = setup(2, V, H, B, T);
  const full = cloneState(state);
  const lossFull = model.forward(inputs, targets, full);
  const half = T / 2 * B;
  const s = cloneState(state);
  const l1 = model.forward(inputs.subarray(0, half), targets.subarray(0, half), s);
  const l2 = model.forward(inputs.subarray(half), targets.subarray(half), s);
  assertClose((l1 + l2) / 2, lossFull, 1e-14);
  assertEquals(s, full, "the same final state");
});

Deno.test("streams are independent: stream b of a batch equals running it alone", () => {
  const V = 5, H = 4, B = 3, T = 5;
  const { model, inputs, targets, state } = setup(3, V, H, B, T);
  const batched = cloneState(state);
  const lossB = model.forward(inputs, targets, batched);
  let sum = 0;
  for (let b = 0; b < B; b++) {
    const x = Int32Array.from({ length: T }, (_, t) => inputs[t * B + b]!);
    const y = Int32Array.from({ length: T }, (_, t) => targets[t * B + b]!);
    const s = model.initialState(1);
    s.h!.data.set(state.h!.data.subarray(b * H, (b + 1) * H));
    sum += model.forward(x, y, s);
    for (let i = 0; i < H; i++) assertClose(s.h!.data[i]!, batched.h!.data[b * H + i]!, 1e-15);
  }
  assertClose(sum / B, lossB, 1e-14);
});

Deno.test("step() reproduces forward's hidden states and logits", () => {
  const V = 5, H = 4, B = 2, T = 4;
  const { model, inputs, targets, state } = setup(4, V, H, B, T);
  const viaForward = cloneState(state);
  const loss = model.forward(inputs, targets, viaForward);
  const s = cloneState(state);
  const logits = new Float64Array(B * V); // (B, V)
  let total = 0;
  for (let t = 0; t < T; t++) {
    model.step(inputs.subarray(t * B, (t + 1) * B), s, logits);
    for (let b = 0; b < B; b++) {
      const row = logits.subarray(b * V, (b + 1) * V);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      total += lse - row[targets[t * B + b]!]!;
    }
  }
  assertClose(total / (T * B), loss, 1e-13);
  for (let k = 0; k < B * H; k++) assertClose(s.h!.data[k]!, viaForward.h!.data[k]!, 1e-15);
});

Deno.test("a chunk of another shape after a big one gives the same loss and gradients", () => {
  const V = 5, H = 4;
  const big = setup(5, V, H, 4, 6);
  const small = setup(6, V, H, 6, 1); // 6 ids to cut into (T, B) chunks
  const m = big.model;
  m.forward(big.inputs, big.targets, cloneState(big.state)); // fills the larger cache
  m.backward();
  for (const shape of [[2, 3], [3, 2], [1, 6]] as const) {
    const [B, T] = shape;
    const x = small.inputs.subarray(0, B * T), y = small.targets.subarray(0, B * T);
    const s = m.initialState(B);
    for (let k = 0; k < B * H; k++) s.h!.data[k] = 0.5 * Math.sin(k + 1); // non-zero h0
    for (const g of Object.values(m.grads)) g.data.fill(0);
    const lossReused = m.forward(x, y, cloneState(s));
    m.backward();
    const f = new VanillaRnn(new Rng(5), { vocabSize: V, hiddenSize: H });
    for (const [k, t] of Object.entries(m.params)) f.params[k]!.data.set(t.data);
    const lossFresh = f.forward(x, y, cloneState(s));
    f.backward();
    assertEquals(lossReused, lossFresh, `B=${B} T=${T}`);
    assertEquals(m.grads, f.grads, `B=${B} T=${T}`);
  }
});

Deno.test("initial weights: shapes, zero biases, standard deviation and determinism", () => {
  const m = new VanillaRnn(new Rng(1), { vocabSize: 30, hiddenSize: 40 });
  assertEquals(
    Object.fromEntries(Object.entries(m.params).map(([k, t]) => [k, t.shape])),
    { Wxh: [40, 30], Whh: [40, 40], Why: [30, 40], bh: [40], by: [30] },
  );
  assertOk(m.params.bh!.data.every((v) => v === 0) && m.params.by!.data.every((v) => v === 0));
  const rms = (w: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i]! * w[i]!;
    return Math.sqrt(s / w.length);
  };
  assertClose(rms(m.params.Whh!.data), 1 / Math.sqrt(40), 0.02); // default 1/sqrt(H)
  const seedLike = new VanillaRnn(new Rng(1), { vocabSize: 30, hiddenSize: 40, initScale: 0.01 });
  assertClose(rms(seedLike.params.Whh!.data), 0.01, 0.001);
  assertEquals(new VanillaRnn(new Rng(1), { vocabSize: 30, hiddenSize: 40 }).params, m.params);
  assertEquals(m.config, { cell: "rnn", vocabSize: 30, hiddenSize: 40 });
  assertEquals(m.grads.Why!.shape, [30, 40]);
});

Deno.test("invalid sizes and states are rejected with clear messages", () => {
  assertThrows(() => new VanillaRnn(new Rng(1), { vocabSize: 0, hiddenSize: 4 }), /vocabSize 0/);
  assertThrows(() => new VanillaRnn(new Rng(1), { vocabSize: 3, hiddenSize: 2.5 }), /hiddenSize/);
  const m = new VanillaRnn(new Rng(1), { vocabSize: 3, hiddenSize: 4 });
  assertThrows(
    () =>
      m.forward(new Int32Array(1), new Int32Array(1), {
        h: { shape: [1, 3], data: new Float64Array(3) },
      }),
    /Invalid RNN state: expected \{ h: Float64Array of shape \(B, 4\) \}/,
  );
  assertThrows(() => m.step(new Int32Array(1), {}, new Float64Array(3)), /Invalid RNN state/);
});

Deno.test("createModel's one-layer rnn has the seed RNN's weights by name; unknown kinds fail", () => {
  const backend = createBackend({ kind: "f64" });
  const renamed = (m: VanillaRnn) =>
    Object.fromEntries(Object.entries(m.params).map(([k, p]) => [VANILLA_TO_STACKED[k]!, p]));
  const m = createModel({ cell: "rnn", vocabSize: 4, hiddenSize: 3 }, new Rng(1), {
    initScale: 0.5,
    backend,
  });
  const same = new VanillaRnn(new Rng(1), { vocabSize: 4, hiddenSize: 3, initScale: 0.5 });
  assertEquals(m.params, renamed(same));
  // initScale 0 means the model's default
  const d = createModel({ cell: "rnn", vocabSize: 4, hiddenSize: 3 }, new Rng(1), {
    initScale: 0,
    backend,
  });
  assertEquals(d.params, renamed(new VanillaRnn(new Rng(1), { vocabSize: 4, hiddenSize: 3 })));
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => createModel({ cell: "transformer" as any, vocabSize: 4, hiddenSize: 3 }, new Rng(1)),
    /Invalid cell "transformer": expected one of rnn, lstm, gru/,
  );
});
