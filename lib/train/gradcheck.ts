/**
 * Gradient checking with centred differences (cs231n style): perturb one
 * parameter entry by +-h, recompute the loss, and compare the slope with the
 * analytic gradient. Run it on the model that trains, built on the `f64` backend
 * (`createModel(config, rng, { backend: createBackend({ kind: "f64" }) })`): float32
 * arithmetic cannot resolve the centred differences.
 *
 * @module
 */
import type { CharModel, State } from "../model/char_model.ts";
import type { Rng } from "../core/rng.ts";
import { cloneState, type FloatArray, zerosLike } from "../core/tensor.ts";

/** The result for one parameter (or the initial state). */
export interface GradCheckRow {
  /** Parameter name, or `state.h` for the initial hidden state. */
  name: string;
  /** How many entries were checked. */
  checked: number;
  /** Analytic gradient at the worst entry. */
  analytic: number;
  /** Numerical gradient at the worst entry. */
  numeric: number;
  /** Worst relative error `|num - ana| / max(|num| + |ana|, tiny)` over the checked entries. */
  relError: number;
}

/** Options of {@linkcode gradCheck}. */
export interface GradCheckOptions {
  /** Input indices `(T, B)`. */
  inputs: Int32Array;
  /** Target indices `(T, B)`. */
  targets: Int32Array;
  /** Initial state (not modified). */
  state: State;
  /** Entries sampled per tensor (all when the tensor is smaller); default 20. */
  samples?: number;
  /** Step of the centred difference; default 1e-5. */
  h?: number;
  /** Chooses which entries to sample. */
  rng: Rng;
}

/**
 * Compares analytic and numerical gradients for every parameter and the initial state.
 *
 * @param model A model on the `f64` backend (or the seed's float64 `VanillaRnn`).
 * @param options The chunk, initial state, and sampling.
 * @returns One row per tensor, parameters first, then `state.<name>`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * import { VanillaRnn } from "../model/vanilla_rnn.ts";
 * const rng = new Rng(1);
 * const model = new VanillaRnn(rng, { vocabSize: 3, hiddenSize: 4 });
 * const rows = gradCheck(model, {
 *   inputs: Int32Array.from([0, 1, 2]),
 *   targets: Int32Array.from([1, 2, 0]),
 *   state: model.initialState(1),
 *   rng,
 * });
 * assert.ok(rows.every((r) => r.relError < 1e-6));
 * ```
 */
export function gradCheck(model: CharModel, options: GradCheckOptions): GradCheckRow[] {
  const { inputs, targets, state, rng, samples = 20, h = 1e-5 } = options;
  // analytic gradients of the mean loss, w.r.t. the parameters and the initial state
  for (const g of Object.values(model.grads)) g.data.fill(0);
  const dState = zerosLike(state);
  model.forward(inputs, targets, cloneState(state));
  model.backward(dState);
  const analytic = zerosLike(model.grads);
  for (const [name, g] of Object.entries(model.grads)) analytic[name]!.data.set(g.data);

  const probe = cloneState(state); // the state entries we perturb
  const loss = (): number => model.forward(inputs, targets, cloneState(probe));
  const check = (name: string, values: FloatArray, grad: FloatArray): GradCheckRow => {
    const n = values.length;
    const picks = n <= samples ? [...Array(n).keys()] : Array.from({ length: samples }, () => {
      return rng.int(n);
    });
    const row: GradCheckRow = { name, checked: picks.length, analytic: 0, numeric: 0, relError: 0 };
    for (const k of picks) {
      const old = values[k]!;
      values[k] = old + h;
      const plus = loss();
      values[k] = old - h;
      const minus = loss();
      values[k] = old;
      const num = (plus - minus) / (2 * h); // centred difference
      const ana = grad[k]!;
      const denom = Math.abs(num) + Math.abs(ana);
      const rel = denom < 1e-12 ? 0 : Math.abs(num - ana) / denom;
      if (rel >= row.relError) Object.assign(row, { analytic: ana, numeric: num, relError: rel });
    }
    return row;
  };
  return [
    ...Object.entries(model.params).map(([name, p]) => check(name, p.data, analytic[name]!.data)),
    ...Object.entries(probe).map(([name, s]) => check(`state.${name}`, s.data, dState[name]!.data)),
  ];
}
