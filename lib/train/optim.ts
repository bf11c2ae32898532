/**
 * Optimizers: SGD (the seed's), Adagrad (min-char-rnn's), RMSProp (char-rnn's) and Adam. Each keeps
 * its state as tensors with the parameters' names and shapes, so an update is one loop over
 * keys, each a backend kernel, and the state goes into checkpoints as it is. The formulas are
 * the backend's (`backend/ts.ts`, `backend/wasm/kernels.as`):
 *
 *   sgd      w -= lr g
 *   adagrad  mem += g^2;  w -= lr g / sqrt(mem + eps)
 *   rmsprop  ms = rho ms + (1 - rho) g^2;  w -= lr g / (sqrt(ms) + eps)
 *   adam     m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *            w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *
 * With a weight decay wd, each weight matrix first shrinks, apart from its gradient
 * (decoupled weight decay, Loshchilov and Hutter 2019; with Adam it is AdamW):
 *
 *   W *= 1 - lr wd                (biases are not decayed)
 *
 * @module
 */
import type { Backend } from "../backend/types.ts";
import { backendTensor, type Params } from "../core/tensor.ts";

/** Optimizer names accepted by {@linkcode createOptimizer}. */
export const OPTIMIZERS = ["sgd", "adagrad", "rmsprop", "adam"] as const;
/** One of {@linkcode OPTIMIZERS}. */
export type OptimizerName = typeof OPTIMIZERS[number];

/** The state tensors of each optimizer, by name prefix. */
const MOMENTS: Readonly<Record<OptimizerName, readonly string[]>> = {
  sgd: [],
  adagrad: ["mem"],
  rmsprop: ["ms"],
  adam: ["m", "v"],
};

/** Adam's decays and eps when none are given (what every run of the workbench uses). */
export const ADAM_DEFAULTS: Readonly<{ beta1: number; beta2: number; eps: number }> = Object
  .freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8 });

/** Hyperparameters of the optimizers (each uses what applies to it). */
export interface OptimizerOptions {
  /** Adam's first-moment decay; default 0.9. */
  beta1?: number;
  /** Adam's second-moment decay; default 0.999. */
  beta2?: number;
  /** RMSProp's decay of the squared-gradient average; default 0.95 (char-rnn's). */
  rho?: number;
  /** Added to denominators; default 1e-8. */
  eps?: number;
}

/** Updates parameters from gradients. */
export interface Optimizer {
  /** Which algorithm. */
  readonly name: OptimizerName;
  /** Number of updates done so far. */
  steps: number;
  /** Moment tensors by `"<moment>.<param>"` name (empty for SGD), for checkpoints. */
  readonly state: Params;
  /**
   * Applies one update in place.
   *
   * @param params Parameters to update.
   * @param grads Their gradients.
   * @param lr Learning rate of this step.
   * @param weightDecay Decoupled weight decay of the matrices (see the module doc); default 0.
   */
  update(params: Params, grads: Params, lr: number, weightDecay?: number): void;
}

/**
 * Creates an optimizer whose state matches `params`, allocated on the model's backend; every
 * update is one backend kernel per tensor (`sgd`, `adagrad`, `rmsprop` or `adam`).
 *
 * @param name `"sgd"`, `"adagrad"`, `"rmsprop"` or `"adam"`.
 * @param params The parameters it will update (for state shapes).
 * @param options `backend`: the one the parameters live on (`model.backend`); hyperparameters.
 * @returns The optimizer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * const p = { w: { shape: [1], data: Float64Array.from([1]) } };
 * const g = { w: { shape: [1], data: Float64Array.from([0.5]) } };
 * createOptimizer("sgd", p, { backend: createBackend({ kind: "f64" }) }).update(p, g, 0.1);
 * assert.equal(p.w.data[0], 0.95);
 * ```
 */
export function createOptimizer(
  name: OptimizerName,
  params: Params,
  options: OptimizerOptions & { backend: Backend },
): Optimizer {
  const { beta1 = ADAM_DEFAULTS.beta1, beta2 = ADAM_DEFAULTS.beta2 } = options;
  const { backend, rho = 0.95, eps = ADAM_DEFAULTS.eps } = options;
  if (!OPTIMIZERS.includes(name)) {
    throw new RangeError(`Unknown optimizer "${name}": expected one of ${OPTIMIZERS.join(", ")}`);
  }
  const state: Params = {};
  for (const prefix of MOMENTS[name]) {
    for (const [k, p] of Object.entries(params)) {
      state[`${prefix}.${k}`] = backendTensor(backend, p.shape);
    }
  }
  const moment = (prefix: string, k: string) => state[`${prefix}.${k}`]!.data;
  return {
    name,
    steps: 0,
    state,
    update(params, grads, lr, weightDecay = 0) {
      const t = ++this.steps;
      const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t; // Adam's bias corrections
      for (const [k, p] of Object.entries(params)) {
        const w = p.data, g = grads[k]!.data;
        if (weightDecay > 0 && p.shape.length === 2) backend.scale(w, 1 - lr * weightDecay);
        if (name === "sgd") backend.sgd(w, g, lr);
        else if (name === "adagrad") backend.adagrad(w, g, moment("mem", k), { lr, eps });
        else if (name === "rmsprop") backend.rmsprop(w, g, moment("ms", k), { lr, rho, eps });
        else {backend.adam(w, g, [moment("m", k), moment("v", k)], {
            lr,
            beta1,
            beta2,
            c1,
            c2,
            eps,
          });}
      }
    },
  };
}
