/**
 * Weight averaging: a moving average of the parameters over the optimizer steps (Polyak and
 * Juditsky 1992, in its exponential form). The average is what a run evaluates, samples and
 * saves as its model; the optimizer keeps training the raw weights.
 *
 *   after update n (n = 1, 2, ...):  beta_n = min(beta, 1 - 1/n)
 *                                    avg = beta_n avg + (1 - beta_n) theta
 *
 * That is the plain mean of the weights after each update for the first 1 / (1 - beta)
 * updates, then an exponential average over about that many: the initial weights never weigh
 * in, however long the horizon.
 *
 * @module
 */
import { cloneState, type Params } from "../core/tensor.ts";

/**
 * What a checkpoint keeps of an averaged run besides its model, which holds the average: the
 * raw weights the optimizer trains and the updates averaged so far.
 */
export interface AveragedWeights {
  /** The trained (raw) weights, by parameter name. */
  trained: Params;
  /** Updates averaged in so far. */
  updates: number;
}

/** An exponential moving average of a model's parameters; see the module doc. */
export class WeightAverage {
  /** Beta, the weight of the past per update, in `(0, 1)`. */
  readonly beta: number;
  /** The averaged weights (the same names, shapes and float type as the parameters). */
  readonly values: Params;
  /** Updates averaged in so far (n). */
  updates: number;

  /**
   * Starts an average at the current parameters.
   *
   * @param params The parameters to average (copied).
   * @param options `beta` in `(0, 1)`; `updates`: the count of a resumed average (default 0).
   * @throws {RangeError} for a beta outside `(0, 1)`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const params = { w: { shape: [1], data: Float64Array.of(0) } };
   * const avg = new WeightAverage(params, { beta: 0.5 });
   * params.w.data[0] = 4;
   * avg.update(params); // beta_1 = 0: the mean of one update
   * params.w.data[0] = 2;
   * avg.update(params); // beta_2 = 0.5
   * assert.equal(avg.values.w!.data[0], 3);
   * ```
   */
  constructor(params: Params, options: { beta: number; updates?: number }) {
    const { beta, updates = 0 } = options;
    if (!(beta > 0 && beta < 1)) {
      throw new RangeError(`Invalid weight-average beta ${beta}: expected a number > 0 and < 1`);
    }
    this.beta = beta;
    this.updates = updates;
    this.values = cloneState(params);
  }

  /**
   * Averages in the parameters after an optimizer step.
   *
   * @param params The same parameters the average started from.
   */
  update(params: Params): void {
    this.updates++;
    const beta = Math.min(this.beta, 1 - 1 / this.updates);
    for (const [name, p] of Object.entries(params)) {
      const avg = this.values[name]!.data, theta = p.data;
      for (let k = 0; k < avg.length; k++) avg[k] = avg[k]! + (1 - beta) * (theta[k]! - avg[k]!);
    }
  }

  /**
   * Exchanges the averaged values with the parameters' in place: the model then runs on the
   * average, and this holds the raw weights until the next swap puts them back.
   *
   * @param params The averaged parameters.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const params = { w: { shape: [1], data: Float32Array.of(1) } };
   * const avg = new WeightAverage(params, { beta: 0.9 });
   * avg.values.w!.data[0] = 2;
   * avg.swap(params);
   * assert.deepEqual([params.w.data[0], avg.values.w!.data[0]], [2, 1]);
   * ```
   */
  swap(params: Params): void {
    for (const [name, p] of Object.entries(params)) {
      const avg = this.values[name]!.data, theta = p.data;
      for (let k = 0; k < avg.length; k++) {
        const t = theta[k]!;
        theta[k] = avg[k]!;
        avg[k] = t;
      }
    }
  }
}
