/**
 * Optimizers: SGD (the seed's), Adagrad (min-char-rnn's), RMSProp (char-rnn's) and Adam. Each keeps
 * its state as tensors with the parameters' names and shapes, so an update is
 * one loop over keys and the state goes into checkpoints as it is.
 *
 * @module
 */
import { workspaceOf } from "../backend/wasm.ts";
import { type FloatArray, type Params, zerosLike } from "../core/tensor.ts";

/** Optimizer names accepted by {@linkcode createOptimizer}. */
export const OPTIMIZERS = ["sgd", "adagrad", "rmsprop", "adam"] as const;
/** One of {@linkcode OPTIMIZERS}. */
export type OptimizerName = typeof OPTIMIZERS[number];

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
   */
  update(params: Params, grads: Params, lr: number): void;
}

/**
 * Creates an optimizer whose state matches `params`.
 *
 * @param name `"sgd"`, `"adagrad"`, `"rmsprop"` or `"adam"`.
 * @param params The parameters it will update (for state shapes).
 * @param options Hyperparameters.
 * @returns The optimizer.
 * @example
 * ```ts
 * import { assertClose } from "../../tests/assert.ts";
 * const p = { w: { shape: [1], data: Float64Array.from([1]) } };
 * const g = { w: { shape: [1], data: Float64Array.from([0.5]) } };
 * createOptimizer("sgd", p).update(p, g, 0.1);
 * assertClose(p.w.data[0]!, 0.95);
 * ```
 */
export function createOptimizer(
  name: OptimizerName,
  params: Params,
  options: OptimizerOptions = {},
): Optimizer {
  const { beta1 = 0.9, beta2 = 0.999, rho = 0.95, eps = 1e-8 } = options;
  const prefixed = (prefix: string): Params => {
    const out: Params = {};
    for (const [k, t] of Object.entries(zerosLike(params))) out[`${prefix}.${k}`] = t;
    for (const [k, p] of Object.entries(params)) { // fast engine: state beside the parameters
      const ws = workspaceOf(p.data);
      if (ws) out[`${prefix}.${k}`] = { shape: [...p.shape], data: ws.alloc(p.data.length) };
    }
    return out;
  };
  /** An optimizer that applies `step` to each (parameter, gradient) pair of an update. */
  const build = (
    state: Params,
    step: (key: string, w: FloatArray, g: FloatArray, lr: number, t: number) => void,
  ): Optimizer => ({
    name,
    steps: 0,
    state,
    update(params, grads, lr) {
      const t = ++this.steps;
      for (const [k, p] of Object.entries(params)) step(k, p.data, grads[k]!.data, lr, t);
    },
  });
  switch (name) {
    case "sgd":
      return build({}, (_k, w, g, lr) => {
        for (let i = 0; i < w.length; i++) w[i] = w[i]! - lr * g[i]!; // w -= lr g
      });
    case "adagrad": {
      const state = prefixed("mem");
      return build(state, (k, w, g, lr) => {
        const mem = state[`mem.${k}`]!.data;
        const ws = sameWorkspace(w, g, mem);
        if (ws) {
          return ws.adagrad(w as Float32Array, g as Float32Array, mem as Float32Array, { lr, eps });
        }
        for (let i = 0; i < w.length; i++) {
          mem[i] = mem[i]! + g[i]! * g[i]!; // mem += g^2
          w[i] = w[i]! - lr * g[i]! / Math.sqrt(mem[i]! + eps); // w -= lr g / sqrt(mem + eps)
        }
      });
    }
    case "rmsprop": {
      const state = prefixed("ms");
      return build(state, (k, w, g, lr) => {
        const ms = state[`ms.${k}`]!.data;
        for (let i = 0; i < w.length; i++) {
          ms[i] = rho * ms[i]! + (1 - rho) * g[i]! * g[i]!; // ms = rho ms + (1 - rho) g^2
          w[i] = w[i]! - lr * g[i]! / (Math.sqrt(ms[i]!) + eps); // w -= lr g / (sqrt(ms) + eps)
        }
      });
    }
    case "adam": {
      const state = { ...prefixed("m"), ...prefixed("v") };
      return build(state, (k, w, g, lr, t) => {
        const m = state[`m.${k}`]!.data, v = state[`v.${k}`]!.data;
        const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t; // bias corrections
        const ws = sameWorkspace(w, g, m, v);
        if (ws) {
          const moments: [Float32Array, Float32Array] = [m as Float32Array, v as Float32Array];
          const hyper = { lr, beta1, beta2, c1, c2, eps };
          return ws.adam(w as Float32Array, g as Float32Array, moments, hyper);
        }
        for (let i = 0; i < w.length; i++) {
          m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!; // m = b1 m + (1 - b1) g
          v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!; // v = b2 v + (1 - b2) g^2
          w[i] = w[i]! - lr * (m[i]! / c1) / (Math.sqrt(v[i]! / c2) + eps);
        }
      });
    }
    default:
      throw new RangeError(
        `Unknown optimizer "${name}": expected one of ${OPTIMIZERS.join(", ")}`,
      );
  }
}

/**
 * The WebAssembly workspace holding all of `arrays` (the fast engine's float32 tensors), so
 * an update can run as one SIMD kernel with the same formula; `undefined` otherwise.
 */
function sameWorkspace(...arrays: ArrayBufferView[]): ReturnType<typeof workspaceOf> {
  const ws = workspaceOf(arrays[0]!);
  if (!ws) return undefined;
  for (const a of arrays) {
    if (!(a instanceof Float32Array) || workspaceOf(a) !== ws) return undefined;
  }
  return ws;
}

/** Learning-rate schedules accepted by {@linkcode learningRateAt}. */
export const LR_SCHEDULES = ["step", "cosine"] as const;

/**
 * A learning-rate schedule:
 * - `"step"`: `lr * decay^floor(step / decayEvery)` (constant when `decay` is 1);
 * - `"cosine"`: from `lr` down to `lr * decay` along half a cosine over `totalSteps`.
 */
export interface LrSchedule {
  /** Base learning rate. */
  lr: number;
  /** Which schedule; default `"step"`. */
  kind?: typeof LR_SCHEDULES[number];
  /** Step decay: factor per `decayEvery` steps; cosine: final fraction of `lr`. Default 1. */
  decay?: number;
  /** Steps between step decays; default 1000. */
  decayEvery?: number;
  /** Length of the cosine; default 1. */
  totalSteps?: number;
}

/**
 * The learning rate at `step` (0-based).
 *
 * @param schedule The schedule.
 * @param step Update index.
 * @returns The rate.
 * @example
 * ```ts
 * import { assertClose } from "../../tests/assert.ts";
 * assertClose(learningRateAt({ lr: 1, decay: 0.5, decayEvery: 10 }, 25), 0.25);
 * assertClose(learningRateAt({ lr: 1, kind: "cosine", decay: 0, totalSteps: 100 }, 50), 0.5);
 * ```
 */
export function learningRateAt(schedule: LrSchedule, step: number): number {
  const { lr, kind = "step", decay = 1, decayEvery = 1000, totalSteps = 1 } = schedule;
  if (kind === "cosine") {
    const progress = Math.min(1, step / totalSteps);
    const floor = lr * decay;
    return floor + 0.5 * (lr - floor) * (1 + Math.cos(Math.PI * progress));
  }
  return lr * decay ** Math.floor(step / decayEvery);
}
