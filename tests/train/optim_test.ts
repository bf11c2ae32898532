// Each optimizer step against values computed by hand (arithmetic in the comments).
import { createBackend } from "../../lib/backend/create.ts";
import { assertClose, assertEquals, assertThrows } from "../assert.ts";
import { createOptimizer, type OptimizerName, OPTIMIZERS } from "../../lib/train/optim.ts";
import type { Params } from "../../lib/core/tensor.ts";
import type { Backend } from "../../lib/backend/types.ts";
import { backendTest } from "../backend/backend_support.ts";

const F64 = createBackend({ kind: "f64" });

function vec(...v: number[]): Params[string] {
  return { shape: [v.length], data: Float64Array.from(v) };
}

Deno.test("SGD: w -= lr * g", () => {
  const p = { w: vec(1, -2), b: vec(0.5) };
  const opt = createOptimizer("sgd", p, { backend: F64 });
  assertEquals(opt.state, {}, "SGD has no state");
  opt.update(p, { w: vec(0.5, -1), b: vec(2) }, 0.1);
  // w: 1 - 0.1 * 0.5 = 0.95;  -2 - 0.1 * (-1) = -1.9;  b: 0.5 - 0.1 * 2 = 0.3
  assertClose(p.w.data[0]!, 0.95, 1e-15);
  assertClose(p.w.data[1]!, -1.9, 1e-15);
  assertClose(p.b.data[0]!, 0.3, 1e-15);
  assertEquals(opt.steps, 1);
  opt.update(p, { w: vec(0, 0), b: vec(-1) }, 0.5);
  // b: 0.3 - 0.5 * (-1) = 0.8; w unchanged
  assertClose(p.b.data[0]!, 0.8, 1e-15);
  assertClose(p.w.data[0]!, 0.95, 1e-15);
  assertEquals(opt.steps, 2);
});

Deno.test("Adagrad, two steps: the memory accumulates squared gradients", () => {
  const p = { w: vec(1, 0) };
  const opt = createOptimizer("adagrad", p, { backend: F64 }); // eps = 1e-8
  assertEquals(Object.keys(opt.state), ["mem.w"]);
  // step 1, g = 0.5, lr = 0.1:
  //   mem = 0 + 0.5^2 = 0.25
  //   w   = 1 - 0.1 * 0.5 / sqrt(0.25 + 1e-8) = 1 - 0.05 / 0.50000001 = 0.900000002
  opt.update(p, { w: vec(0.5, 0) }, 0.1);
  assertClose(opt.state["mem.w"]!.data[0]!, 0.25, 1e-15);
  assertClose(p.w.data[0]!, 0.900000002, 1e-12);
  // step 2, g = 1.5:
  //   mem = 0.25 + 1.5^2 = 2.5
  //   w   = 0.900000002 - 0.1 * 1.5 / sqrt(2.5 + 1e-8)
  //       = 0.900000002 - 0.15 / 1.58113883 = 0.900000002 - 0.09486832... = 0.80513167238...
  opt.update(p, { w: vec(1.5, 0) }, 0.1);
  assertClose(opt.state["mem.w"]!.data[0]!, 2.5, 1e-15);
  assertClose(p.w.data[0]!, 0.8051316723846852, 1e-12);
  // a zero gradient never moves a weight (0 / sqrt(0 + eps) = 0)
  assertEquals(p.w.data[1], 0);
  assertEquals(opt.state["mem.w"]!.data[1], 0);
  assertEquals(opt.steps, 2);
});

Deno.test("Adam, two steps with bias correction", () => {
  const p = { w: vec(1) };
  const opt = createOptimizer("adam", p, { backend: F64 }); // beta1 0.9, beta2 0.999, eps 1e-8
  assertEquals(Object.keys(opt.state).sort(), ["m.w", "v.w"]);
  const m = opt.state["m.w"]!.data, v = opt.state["v.w"]!.data;
  // step 1, g = 0.5, lr = 0.01:
  //   m = 0.9 * 0 + 0.1 * 0.5 = 0.05         m^ = 0.05 / (1 - 0.9)      = 0.5
  //   v = 0.999 * 0 + 0.001 * 0.25 = 0.00025  v^ = 0.00025 / (1 - 0.999) = 0.25
  //   w = 1 - 0.01 * 0.5 / (sqrt(0.25) + 1e-8) = 1 - 0.005 / 0.50000001 = 0.9900000002
  opt.update(p, { w: vec(0.5) }, 0.01);
  assertClose(m[0]!, 0.05, 1e-15);
  assertClose(v[0]!, 0.00025, 1e-18);
  assertClose(p.w.data[0]!, 0.9900000002, 1e-13);
  // step 2, g = -0.25:
  //   m = 0.9 * 0.05 + 0.1 * (-0.25) = 0.045 - 0.025 = 0.02
  //   v = 0.999 * 0.00025 + 0.001 * 0.0625 = 0.00024975 + 0.0000625 = 0.00031225
  //   m^ = 0.02 / (1 - 0.9^2) = 0.02 / 0.19 = 0.105263157894...
  //   v^ = 0.00031225 / (1 - 0.999^2) = 0.00031225 / 0.001999 = 0.156203101550...
  //   w = 0.9900000002 - 0.01 * 0.1052631579 / (sqrt(0.1562031016) + 1e-8)
  //     = 0.9900000002 - 0.01 * 0.1052631579 / 0.3952253826 = 0.9900000002 - 0.0026633703
  //     = 0.98733662987...
  opt.update(p, { w: vec(-0.25) }, 0.01);
  assertClose(m[0]!, 0.02, 1e-15);
  assertClose(v[0]!, 0.00031225, 1e-18);
  assertClose(p.w.data[0]!, 0.9873366298707846, 1e-13);
  assertEquals(opt.steps, 2);
});

Deno.test("Adam's first step moves every weight by about lr, whatever the gradient's scale", () => {
  const p = { w: vec(0, 0, 0) };
  createOptimizer("adam", p, { backend: F64 }).update(p, { w: vec(1e-6, -3, 1e4) }, 0.001);
  // m^ = g, v^ = g^2, so the step is lr * g / (|g| + eps) ~ lr * sign(g)
  assertClose(p.w.data[0]!, -0.001 * 1e-6 / (1e-6 + 1e-8), 1e-15);
  assertClose(p.w.data[1]!, 0.001, 1e-11);
  assertClose(p.w.data[2]!, -0.001, 1e-11);
});

Deno.test("Adam hyperparameters are honoured", () => {
  const p = { w: vec(1) };
  const opt = createOptimizer("adam", p, { backend: F64, beta1: 0.5, beta2: 0.5, eps: 1 });
  opt.update(p, { w: vec(2) }, 0.1);
  // m = 0.5 * 2 = 1, m^ = 1 / 0.5 = 2; v = 0.5 * 4 = 2, v^ = 2 / 0.5 = 4
  // w = 1 - 0.1 * 2 / (sqrt(4) + 1) = 1 - 0.2 / 3 = 0.9333...
  assertClose(p.w.data[0]!, 1 - 0.2 / 3, 1e-15);
});

Deno.test("optimizer state mirrors the parameters' names and shapes, on their backend", () => {
  const p = {
    Wxh: { shape: [2, 3], data: new Float64Array(6) },
    by: { shape: [3], data: new Float32Array(3) },
  };
  const adam = createOptimizer("adam", p, { backend: F64 });
  assertEquals(Object.keys(adam.state).sort(), ["m.Wxh", "m.by", "v.Wxh", "v.by"]);
  assertEquals(adam.state["v.Wxh"]!.shape, [2, 3]);
  assertEquals(adam.state["m.by"]!.data.constructor, Float64Array); // the f64 backend's
  const ts = createOptimizer("adam", p, { backend: createBackend({ kind: "ts" }) });
  assertEquals(ts.state["m.Wxh"]!.data.constructor, Float32Array);
  assertEquals(adam.name, "adam");
  assertEquals([...OPTIMIZERS], ["sgd", "adagrad", "rmsprop", "adam"]);
  assertEquals(Object.keys(createOptimizer("rmsprop", p, { backend: F64 }).state).sort(), [
    "ms.Wxh",
    "ms.by",
  ]);
  assertThrows(
    () => createOptimizer("lbfgs" as OptimizerName, p, { backend: F64 }),
    /Unknown optimizer "lbfgs": expected one of sgd, adagrad, rmsprop, adam/,
  );
});

Deno.test("RMSProp: two steps against hand-computed values", () => {
  const p = { w: { shape: [1], data: Float64Array.from([1]) } };
  const g = { w: { shape: [1], data: Float64Array.from([0.5]) } };
  const opt = createOptimizer("rmsprop", p, { backend: F64, rho: 0.9, eps: 0 });
  // step 1: ms = 0.9*0 + 0.1*0.25 = 0.025; w = 1 - 0.1*0.5/sqrt(0.025) = 1 - 0.316227766...
  opt.update(p, g, 0.1);
  assertClose(p.w.data[0]!, 1 - 0.05 / Math.sqrt(0.025), 1e-12);
  // step 2, g = -1: ms = 0.9*0.025 + 0.1*1 = 0.1225; w += 0.1*1/0.35 = 0.285714...
  g.w.data[0] = -1;
  opt.update(p, g, 0.1);
  assertClose(p.w.data[0]!, 1 - 0.05 / Math.sqrt(0.025) + 0.1 / 0.35, 1e-12);
  assertClose(opt.state["ms.w"]!.data[0]!, 0.1225, 1e-15);
  assertEquals(opt.steps, 2);
});

/** Weight decay on one backend: hand-computed SGD and AdamW steps. */
function checkWeightDecay(backend: Backend): void {
  const kind = backend.kind;
  const tensor = (shape: number[], v: number[]) => {
    const t = { shape, data: backend.alloc(v.length) };
    t.data.set(v);
    return t;
  };
  const p = { W: tensor([1, 2], [1, -2]), b: tensor([1], [0.5]) };
  const g = { W: tensor([1, 2], [0, 0.5]), b: tensor([1], [0]) };
  createOptimizer("sgd", p, { backend }).update(p, g, 0.1, 0.5);
  // W = (1 - 0.1 * 0.5) W - 0.1 g = 0.95 * (1, -2) - (0, 0.05) = (0.95, -1.95); b untouched
  assertClose(p.W.data[0]!, 0.95, 1e-7, kind);
  assertClose(p.W.data[1]!, -1.95, 1e-7, kind);
  assertEquals(p.b.data[0], 0.5, kind);
  // AdamW: with a zero gradient the Adam step is 0, so only the decay acts
  const q = { W: tensor([1, 1], [2]) };
  createOptimizer("adam", q, { backend }).update(q, { W: tensor([1, 1], [0]) }, 0.01, 0.1);
  assertClose(q.W.data[0]!, 2 * (1 - 0.001), 1e-7, kind);
}

Deno.test("weight decay shrinks the matrices by lr * wd before the step, never the biases (f64)", () => {
  checkWeightDecay(F64);
});
backendTest(
  "weight decay shrinks the matrices by lr * wd before the step, never the biases",
  checkWeightDecay,
);
