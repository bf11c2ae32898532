// Gradient checks of the vanilla RNN's backpropagation through time against
// centred differences in float64 (cs231n style), printed llm.c style.
// Legend: V = vocabulary size, H = hidden size, B = batch size, T = sequence length.
import { assertEquals, assertOk } from "../assert.ts";
import { gradCheck, type GradCheckRow } from "../../lib/train/gradcheck.ts";
import type { CharModel, State } from "../../lib/model/char_model.ts";
import { Rng } from "../../lib/core/rng.ts";
import { VanillaRnn } from "../../lib/model/vanilla_rnn.ts";
import { cloneState, zerosLike } from "../../lib/core/tensor.ts";

/** Every entry of every tensor: larger than any tensor of the tiny models below. */
const ALL = 1_000_000;

interface Problem {
  model: VanillaRnn;
  inputs: Int32Array; // (T, B)
  targets: Int32Array; // (T, B)
  state: State; // { h: (B, H) }, non-zero
}

/** A model with random weights AND random biases, a random chunk and a random initial state. */
function problem(
  seed: number,
  dims: { V: number; H: number; B: number; T: number; initScale?: number },
): Problem {
  const { V, H, B, T, initScale } = dims;
  const rng = new Rng(seed);
  const model = new VanillaRnn(rng, { vocabSize: V, hiddenSize: H, initScale });
  const biasScale = initScale ?? 0.3;
  for (const name of ["bh", "by"]) {
    const d = model.params[name]!.data;
    for (let k = 0; k < d.length; k++) d[k] = rng.normal() * biasScale;
  }
  const inputs = Int32Array.from({ length: T * B }, () => rng.int(V));
  const targets = Int32Array.from({ length: T * B }, () => rng.int(V));
  const state = model.initialState(B);
  const h = state.h!.data;
  for (let k = 0; k < h.length; k++) h[k] = 1.8 * rng.uniform() - 0.9; // in (-0.9, 0.9)
  return { model, inputs, targets, state };
}

/** Prints the llm.c-style table and returns the worst relative error. */
function report(title: string, rows: GradCheckRow[]): number {
  console.log(`\n${title}`);
  console.log(
    "tensor    entries   analytic (worst)      numeric (worst)       rel. error",
  );
  let worst = 0;
  for (const r of rows) {
    worst = Math.max(worst, r.relError);
    const status = r.relError < 1e-6 ? "OK" : "NOT OK";
    console.log(
      `${r.name.padEnd(9)} ${String(r.checked).padStart(7)}   ` +
        `${r.analytic.toExponential(12).padStart(20)}  ${
          r.numeric.toExponential(12).padStart(20)
        }  ` +
        `${r.relError.toExponential(3)}  ${status}`,
    );
  }
  console.log(
    `${worst < 1e-6 ? "OK" : "NOT OK"} maxdiff (worst relative error) ${worst.toExponential(3)}`,
  );
  return worst;
}

function expectedNames(model: CharModel): string[] {
  return [...Object.keys(model.params), "state.h"];
}

Deno.test("gradCheck: every entry of every parameter and of h0 matches (V=7, H=10, B=3, T=6)", () => {
  const { model, inputs, targets, state } = problem(2024, { V: 7, H: 10, B: 3, T: 6 });
  const before = cloneState(state);
  const rows = gradCheck(model, { inputs, targets, state, samples: ALL, rng: new Rng(1) });
  const worst = report("grad check V=7 H=10 B=3 T=6 (all entries)", rows);
  assertEquals(rows.map((r) => r.name), expectedNames(model));
  // every entry was checked: Wxh 70, Whh 100, Why 70, bh 10, by 7, h0 30
  assertEquals(rows.map((r) => r.checked), [70, 100, 70, 10, 7, 30]);
  assertOk(worst < 1e-6, `worst relative error ${worst}`);
  // the check is not vacuous: the worst entries have real gradients
  for (const r of rows) assertOk(Math.abs(r.analytic) > 1e-8, `${r.name} gradient is ~0`);
  assertEquals(state, before, "gradCheck must not modify the initial state");
});

Deno.test("gradCheck: B=1, T=1 edge case", () => {
  const { model, inputs, targets, state } = problem(7, { V: 7, H: 10, B: 1, T: 1 });
  const rows = gradCheck(model, { inputs, targets, state, samples: ALL, rng: new Rng(2) });
  const worst = report("grad check V=7 H=10 B=1 T=1 (all entries)", rows);
  assertEquals(rows.map((r) => r.checked), [70, 100, 70, 10, 7, 10]);
  assertOk(worst < 1e-6, `worst relative error ${worst}`);
});

Deno.test("gradCheck: large init scale 0.5 (tanh partly saturated), B=3, T=8", () => {
  const { model, inputs, targets, state } = problem(99, {
    V: 7,
    H: 10,
    B: 3,
    T: 8,
    initScale: 0.5,
  });
  // confirm the regime: some hidden units are close to +-1 after forward
  model.forward(inputs, targets, cloneState(state));
  const hT = cloneState(state);
  model.forward(inputs, targets, hT);
  const saturated = Array.from(hT.h!.data).filter((v) => Math.abs(v) > 0.9).length;
  assertOk(saturated > 0, "expected some saturated units");
  const rows = gradCheck(model, { inputs, targets, state, samples: ALL, rng: new Rng(3) });
  const worst = report(`grad check init 0.5 (${saturated} of 30 final units |h|>0.9)`, rows);
  assertOk(worst < 1e-6, `worst relative error ${worst}`);
});

Deno.test("gradCheck: samples limits the entries checked per tensor", () => {
  const { model, inputs, targets, state } = problem(5, { V: 7, H: 10, B: 2, T: 5 });
  const rows = gradCheck(model, { inputs, targets, state, samples: 5, rng: new Rng(4) });
  // tensors larger than 5 get 5 draws; `by` (7) too; none has fewer than 5 entries
  assertEquals(rows.map((r) => r.checked), [5, 5, 5, 5, 5, 5]);
  assertOk(rows.every((r) => r.relError < 1e-6));
});

Deno.test("gradCheck detects a wrong gradient (the checker is not vacuous)", () => {
  const { model, inputs, targets, state } = problem(11, { V: 7, H: 10, B: 3, T: 5 });
  // A model whose backward gets dWhh 1% too large and forgets dh0 entirely.
  const buggy: CharModel = {
    config: model.config,
    params: model.params,
    grads: model.grads,
    backend: model.backend,
    initialState: (b) => model.initialState(b),
    forward: (x, y, s) => model.forward(x, y, s),
    backward: () => {
      model.backward();
      const d = model.grads.Whh!.data;
      for (let k = 0; k < d.length; k++) d[k] = d[k]! * 1.01;
    },
    step: (x, s, l) => model.step(x, s, l),
  };
  const rows = gradCheck(buggy, { inputs, targets, state, samples: ALL, rng: new Rng(5) });
  const byName = Object.fromEntries(rows.map((r) => [r.name, r.relError]));
  assertOk(byName.Whh! > 1e-3, `Whh error ${byName.Whh}`);
  assertOk(byName["state.h"]! > 0.99, `state.h error ${byName["state.h"]}`);
  assertOk(byName.Wxh! < 1e-6 && byName.Why! < 1e-6);
});

/** Equal up to float64 summation-order rounding (accumulating into a non-zero buffer). */
function near(actual: number, expected: number, what: string): void {
  assertOk(
    Math.abs(actual - expected) <= 1e-13 * Math.abs(expected) + 1e-300,
    `${what}: ${actual} vs ${expected}`,
  );
}

Deno.test("backward adds into grads and dState: calling it twice doubles them", () => {
  const { model, inputs, targets, state } = problem(3, { V: 7, H: 10, B: 3, T: 6 });
  for (const g of Object.values(model.grads)) g.data.fill(0);
  const dState = zerosLike(state);
  model.forward(inputs, targets, cloneState(state));
  model.backward(dState);
  const once = zerosLike(model.grads);
  for (const [k, g] of Object.entries(model.grads)) once[k]!.data.set(g.data);
  const dOnce = dState.h!.data.slice();
  model.backward(dState);
  for (const [k, g] of Object.entries(model.grads)) {
    const a = once[k]!.data;
    assertOk(a.some((v) => v !== 0), `${k} has a non-zero gradient`);
    for (let i = 0; i < a.length; i++) near(g.data[i]!, 2 * a[i]!, `${k}[${i}]`);
  }
  for (let i = 0; i < dOnce.length; i++) near(dState.h!.data[i]!, 2 * dOnce[i]!, `h0[${i}]`);
  // a pre-existing gradient is kept: forward again and add on top of the doubled values
  model.forward(inputs, targets, cloneState(state));
  model.backward();
  for (const [k, g] of Object.entries(model.grads)) {
    const a = once[k]!.data;
    for (let i = 0; i < a.length; i++) near(g.data[i]!, 3 * a[i]!, `${k}[${i}]`);
  }
});

Deno.test("cloneState copies deeply", () => {
  const { model } = problem(1, { V: 3, H: 2, B: 2, T: 1 });
  const s = model.initialState(2);
  const c = cloneState(s);
  c.h!.data[3] = 5;
  assertEquals(s.h!.data[3], 0);
  assertEquals(c.h!.shape, [2, 2]);
  assertOk(c.h!.shape !== s.h!.shape);
});
