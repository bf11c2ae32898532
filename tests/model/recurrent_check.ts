/**
 * Shared helpers of the recurrent-model tests (lstm, gru, stacked): gradient
 * checks of small models over every entry of every tensor, a training run, a
 * sampling run, a step-versus-forward comparison and a checkpoint round trip.
 *
 * On the gradient-check bound: `lib/train/gradcheck.ts` reports the worst relative
 * error `|num - ana| / (|num| + |ana|)` per tensor. Centred differences with
 * h = 1e-5 on a loss of ~2 nats resolve a slope only to ~1e-11 (a few float64
 * ulps of the loss over 2h), so an entry whose gradient is below ~1e-5 cannot
 * show a relative error below 1e-6 however exact the backward is. Its table is
 * printed as is; the assertion checks every entry individually: relative error
 * < 1e-6 where `|num| + |ana| >= RESOLUTION`, absolute error < 1e-6 * RESOLUTION
 * (5e-11, the roundoff floor) below it.
 *
 * @module
 */
import { assertClose, assertEquals, assertOk } from "../assert.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../lib/io/checkpoint.ts";
import { makeConfig } from "../../lib/train/config.ts";
import { gradCheck } from "../../lib/train/gradcheck.ts";
import type { CharModel, State } from "../../lib/model/char_model.ts";
import type { CellKind, ModelNorm } from "../../lib/model/model_config.ts";
import type { DropoutMask } from "../../lib/model/dropout.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { Rng } from "../../lib/core/rng.ts";
import { sample } from "../../lib/generate/sample.ts";
import { createBackend } from "../../lib/backend/create.ts";
import type { Backend } from "../../lib/backend/types.ts";
import { StackedRnn } from "../../lib/model/stacked.ts";
import { cloneState, zerosLike } from "../../lib/core/tensor.ts";
import { Trainer } from "../../lib/train/trainer.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";

/** A float64 reference backend for the checked models. */
export function f64(): Backend {
  return createBackend({ kind: "f64" });
}

/** The sizes of the checked models. */
export const SMALL = { vocabSize: 6, hiddenSize: 5, seqLength: 4, batchSize: 2 } as const;
/** Below this `|num| + |ana|`, centred differences cannot resolve a 1e-6 relative error. */
export const RESOLUTION = 5e-5;
/** The relative-error bound. */
export const BOUND = 1e-6;

/** One checked configuration. */
export interface CheckResult {
  /** e.g. `lstm L=2 dropout=0.3`. */
  label: string;
  /** `lib/train/gradcheck.ts` table, one line per tensor. */
  table: string;
  /** Worst relative error reported by `gradCheck` (all entries). */
  gradCheckWorst: number;
  /** Worst relative error over entries with `|num| + |ana| >= RESOLUTION`. */
  worstResolved: number;
  /** Worst absolute error over the entries below `RESOLUTION`. */
  worstTinyAbs: number;
  /** Entries checked. */
  entries: number;
  /** Entries below `RESOLUTION`. */
  tiny: number;
}

/**
 * The model a check runs on: layers, dropout (and its masks), weight drop, norm, zoneout,
 * seed; `evaluate` checks the evaluation forward (no masks; zoneout mixes by its rate).
 */
export interface CheckOptions {
  numLayers: number;
  dropout: number;
  dropoutMask?: DropoutMask;
  weightDrop?: number;
  norm?: ModelNorm;
  zoneout?: number;
  evaluate?: boolean;
  seed?: number;
}

/**
 * A small stacked model, its chunk and a random non-zero initial state; with
 * dropout, the masks of one training forward are frozen.
 *
 * @param cell The cell.
 * @param options Layers, dropout and seed.
 * @returns The model (in training view), chunk and state.
 */
export function smallSetup(
  cell: CellKind,
  options: CheckOptions,
): { model: StackedRnn; inputs: Int32Array; targets: Int32Array; state: State; rng: Rng } {
  const { numLayers, dropout, dropoutMask, weightDrop, norm, zoneout, seed = 7 } = options;
  const { vocabSize: V, hiddenSize: H, seqLength: T, batchSize: B } = SMALL;
  const rng = new Rng(seed);
  const model = new StackedRnn(rng, {
    cell,
    vocabSize: V,
    hiddenSize: H,
    numLayers,
    dropout,
    dropoutMask,
    weightDrop,
    norm,
    zoneout,
    backend: f64(),
  });
  for (const p of Object.values(model.params)) { // move biases off their special init values
    for (let k = 0; k < p.data.length; k++) p.data[k] = p.data[k]! + 0.1 * rng.normal();
  }
  const inputs = Int32Array.from({ length: T * B }, () => rng.int(V));
  const targets = Int32Array.from({ length: T * B }, () => rng.int(V));
  const state = model.initialState(B);
  for (const s of Object.values(state)) {
    for (let k = 0; k < s.data.length; k++) s.data[k] = 0.5 * rng.normal();
  }
  model.forward(inputs, targets, cloneState(state), { train: true }); // draws the masks
  model.freezeMasks = true;
  return { model, inputs, targets, state, rng };
}

/**
 * Gradient-checks every entry of every parameter and initial-state tensor.
 *
 * @param cell The cell.
 * @param options Layers, dropout and seed.
 * @returns The gradCheck table and the per-entry figures.
 */
export function checkStacked(
  cell: CellKind,
  options: CheckOptions,
): CheckResult {
  const { model, inputs, targets, state, rng } = smallSetup(cell, options);
  const view = options.evaluate ? model : trainingView(model);
  const rows = gradCheck(view, { inputs, targets, state, rng, samples: Number.MAX_SAFE_INTEGER });
  const table = rows.map((r) => {
    return `  ${r.name.padEnd(10)} ${String(r.checked).padStart(4)} ` +
      `${r.analytic.toExponential(6).padStart(14)} ${r.numeric.toExponential(6).padStart(14)} ` +
      `${r.relError.toExponential(2)}`;
  }).join("\n");
  // the same centred differences, entry by entry
  for (const g of Object.values(model.grads)) g.data.fill(0);
  const dState = zerosLike(state);
  view.forward(inputs, targets, cloneState(state));
  view.backward(dState);
  const h = 1e-5;
  const result: CheckResult = {
    label: `${cell} L=${options.numLayers} dropout=${options.dropout}` +
      (options.dropoutMask === "sequence" ? " per sequence" : "") +
      (options.weightDrop ? ` weight drop ${options.weightDrop}` : "") +
      (options.zoneout ? ` zoneout ${options.zoneout}` : "") +
      (options.evaluate ? " (evaluation)" : ""),
    table,
    gradCheckWorst: Math.max(...rows.map((r) => r.relError)),
    worstResolved: 0,
    worstTinyAbs: 0,
    entries: 0,
    tiny: 0,
  };
  const pairs = [
    ...Object.keys(model.params).map((k) => [model.params[k]!.data, model.grads[k]!.data]),
    ...Object.keys(state).map((k) => [state[k]!.data, dState[k]!.data]),
  ];
  for (const [values, grad] of pairs) {
    for (let k = 0; k < values!.length; k++) {
      const old = values![k]!;
      values![k] = old + h;
      const plus = view.forward(inputs, targets, cloneState(state));
      values![k] = old - h;
      const minus = view.forward(inputs, targets, cloneState(state));
      values![k] = old;
      const num = (plus - minus) / (2 * h), ana = grad![k]!;
      const abs = Math.abs(num - ana), size = Math.abs(num) + Math.abs(ana);
      result.entries++;
      if (size >= RESOLUTION) {
        result.worstResolved = Math.max(result.worstResolved, abs / size);
      } else {
        result.tiny++;
        result.worstTinyAbs = Math.max(result.worstTinyAbs, abs);
      }
    }
  }
  return result;
}

/**
 * Asserts the bound and prints the gradCheck table with the per-entry figures.
 *
 * @param result A check.
 */
export function assertCheck(result: CheckResult): void {
  console.log(
    `${result.label}: gradCheck worst ${result.gradCheckWorst.toExponential(2)}; ` +
      `${result.entries} entries, worst rel ${result.worstResolved.toExponential(2)} ` +
      `(|g| >= ${RESOLUTION}), ${result.tiny} tiny with worst abs ` +
      `${
        result.worstTinyAbs.toExponential(2)
      }\n  name        n       analytic        numeric  rel\n` +
      result.table,
  );
  assertOk(result.worstResolved < BOUND, `${result.label}: relative error above ${BOUND}`);
  assertOk(result.worstTinyAbs < BOUND * RESOLUTION, `${result.label}: absolute error too large`);
}

/**
 * The model with `forward` always in training mode (dropout on), for gradCheck.
 *
 * @param model The model.
 * @returns A CharModel view of it.
 */
export function trainingView(model: CharModel): CharModel {
  return {
    config: model.config,
    params: model.params,
    grads: model.grads,
    backend: model.backend,
    initialState: (b) => model.initialState(b),
    forward: (x, y, s) => model.forward(x, y, s, { train: true }),
    backward: (d) => model.backward(d),
    step: (x, s, l) => model.step(x, s, l),
  };
}

/** A short repetitive text written for these tests. */
export const REPETITIVE = "the cat sat on the mat. the dog sat on the log. ".repeat(30);

/**
 * Trains a small model with the shared Trainer and returns the first and last losses.
 *
 * @param cell The cell.
 * @param options Layers, steps, norm and zoneout.
 * @returns Losses, `ln V`, and the trained model with its vocabulary.
 */
export function trainSmall(
  cell: CellKind,
  options: { numLayers?: number; steps?: number; norm?: ModelNorm; zoneout?: number } = {},
): { first: number; last: number; lnV: number; model: CharModel; text: string } {
  const { numLayers = 1, steps = 150, norm, zoneout } = options;
  const vocab = buildVocab(REPETITIVE);
  const ids = encode(vocab, REPETITIVE);
  const V = vocab.chars.length;
  const config = makeConfig({
    cell,
    hiddenSize: 24,
    numLayers,
    seqLength: 16,
    batchSize: 4,
    steps,
    learningRate: 1e-2,
    evalEvery: 0,
    sampleEvery: 0,
  });
  const model = new StackedRnn(new Rng(3), {
    cell,
    vocabSize: V,
    hiddenSize: 24,
    numLayers,
    norm,
    zoneout,
    backend: f64(),
  });
  const trainer = new Trainer(model, {
    vocab,
    data: { train: ids, val: new Int32Array(0) },
    config,
    optimizer: createOptimizer("adam", model.params, { backend: model.backend }),
    rng: new Rng(4),
  });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(trainer.trainStep().loss);
  const tail = losses.slice(-10);
  const text = sample(model, vocab, { length: 60, rng: new Rng(5), prime: "the ", temperature: 0 });
  return {
    first: losses[0]!,
    last: tail.reduce((a, b) => a + b, 0) / tail.length,
    lnV: Math.log(V),
    model,
    text,
  };
}

/**
 * Asserts that feeding a chunk through `step` gives the same probabilities and
 * final state as an evaluation `forward`.
 *
 * @param model The model.
 */
export function assertStepMatchesForward(model: CharModel): void {
  const { vocabSize: V } = model.config;
  const T = 5, B = 3, rng = new Rng(11);
  const inputs = Int32Array.from({ length: T * B }, () => rng.int(V));
  const targets = Int32Array.from({ length: T * B }, () => rng.int(V));
  const s1 = model.initialState(B), s2 = model.initialState(B);
  for (const [name, s] of Object.entries(s1)) {
    for (let k = 0; k < s.data.length; k++) s.data[k] = s2[name]!.data[k] = 0.3 * rng.normal();
  }
  const loss = model.forward(inputs, targets, s1);
  const logits = new Float64Array(B * V);
  let total = 0;
  for (let t = 0; t < T; t++) {
    model.step(inputs.subarray(t * B, (t + 1) * B), s2, logits);
    for (let b = 0; b < B; b++) {
      const row = logits.subarray(b * V, (b + 1) * V);
      const max = Math.max(...row);
      const lse = Math.log(row.reduce((a, y) => a + Math.exp(y - max), 0)) + max;
      total += lse - row[targets[t * B + b]!]!;
    }
  }
  assertClose(total / (T * B), loss, 1e-12);
  for (const [name, s] of Object.entries(s1)) {
    s.data.forEach((v, k) => assertClose(v, s2[name]!.data[k]!, 1e-12));
  }
}

/**
 * Saves a model with a carried state and an optimizer to checkpoint bytes,
 * loads it, and asserts the restored model gives the identical loss.
 *
 * @param model The model (its config must be rebuildable by `createModel`).
 */
export function assertCheckpointRoundTrip(model: CharModel): void {
  const vocab = buildVocab("abcdefghijklmnop".slice(0, model.config.vocabSize));
  const rng = new Rng(21);
  const optimizer = createOptimizer("adam", model.params, { backend: model.backend });
  const B = 2, T = 6, V = model.config.vocabSize;
  const inputs = Int32Array.from({ length: T * B }, () => rng.int(V));
  const targets = Int32Array.from({ length: T * B }, () => rng.int(V));
  const state = model.initialState(B);
  model.forward(inputs, targets, state); // a non-zero carried state
  model.backward();
  optimizer.update(model.params, model.grads, 1e-3);
  const bytes = encodeCheckpoint({
    model,
    vocab,
    config: makeConfig({
      cell: model.config.cell,
      hiddenSize: model.config.hiddenSize,
      numLayers: model.config.numLayers ?? 1,
      dropout: model.config.dropout ?? 0,
      batchSize: B,
    }),
    optimizer,
    step: 1,
    position: 0,
    state,
    smoothLoss: 1,
    rng: rng.getState(),
    corpus: "test",
    bestValLoss: null,
  });
  const ckpt = decodeCheckpoint(bytes, { backend: f64() });
  assertEquals(ckpt.model.config, model.config);
  assertEquals(Object.keys(ckpt.model.params), Object.keys(model.params));
  assertEquals(Object.keys(ckpt.state), Object.keys(state));
  const a = model.forward(inputs, targets, cloneState(state));
  const b = ckpt.model.forward(inputs, targets, cloneState(ckpt.state));
  assertEquals(b, a);
  assertEquals(ckpt.optimizer.state["m.Why"]!.data, optimizer.state["m.Why"]!.data);
}
