/**
 * A tiny dense-tensor type: a flat row-major typed array plus its shape.
 *
 * Parameters, gradients and optimizer moments all use this one type, so a
 * named record of tensors (`Params`) can be looped over by key.
 *
 * @module
 */
import type { Rng } from "./rng.ts";

/** The floating-point storage a tensor may use. */
export type FloatArray = Float32Array | Float64Array;

/** A dense row-major tensor: `data.length === shape.reduce(*)`. */
export interface Tensor {
  /** Dimensions, outermost first, e.g. `[H, V]` for `Wxh`. */
  readonly shape: readonly number[];
  /** Row-major values. */
  readonly data: FloatArray;
}

/** A named record of tensors, e.g. `{ Wxh, Whh, Why, bh, by }`. */
export type Params = Record<string, Tensor>;

/**
 * Number of elements of a shape.
 *
 * @param shape Dimensions.
 * @returns Their product (1 for a scalar shape `[]`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(sizeOf([3, 4]), 12);
 * ```
 */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A zero-filled float64 tensor.
 *
 * @param shape Dimensions.
 * @returns A new tensor of zeros.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(zeros([2, 3]).data.length, 6);
 * ```
 */
export function zeros(shape: readonly number[]): Tensor {
  return { shape: [...shape], data: new Float64Array(sizeOf(shape)) };
}

/**
 * A float64 tensor of Gaussian values `N(0, scale^2)`, drawn from `rng` in row-major order.
 *
 * @param shape Dimensions.
 * @param options `scale`: the standard deviation; `rng`: the source.
 * @returns A new tensor.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * const a = gaussian([2, 2], { scale: 0.1, rng: new Rng(1) });
 * assert.deepEqual(a.data, gaussian([2, 2], { scale: 0.1, rng: new Rng(1) }).data);
 * ```
 */
export function gaussian(shape: readonly number[], options: { scale: number; rng: Rng }): Tensor {
  const t = zeros(shape);
  fillGaussian(t.data, options);
  return t;
}

/**
 * A tensor whose storage comes from a backend's `alloc`: zeros, or Gaussian values
 * `N(0, scale^2)` drawn from `rng` in row-major order (the same draws as {@linkcode gaussian}).
 *
 * @param backend Anything with `alloc(n)`: a model's backend.
 * @param shape Dimensions.
 * @param random Optional `scale` and `rng` for Gaussian values.
 * @returns The tensor.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const t = backendTensor({ alloc: (n) => new Float32Array(n) }, [2, 3]);
 * assert.deepEqual([t.shape, t.data.length], [[2, 3], 6]);
 * ```
 */
export function backendTensor(
  backend: { alloc(n: number): FloatArray },
  shape: readonly number[],
  random?: { scale: number; rng: Rng },
): Tensor {
  const t: Tensor = { shape: [...shape], data: backend.alloc(sizeOf(shape)) };
  if (random) fillGaussian(t.data, random);
  return t;
}

function fillGaussian(data: FloatArray, options: { scale: number; rng: Rng }): void {
  const { scale, rng } = options;
  for (let k = 0; k < data.length; k++) data[k] = rng.normal() * scale;
}

/**
 * A zero-filled tensor for every entry of `params`, with the same shapes and storage type.
 *
 * @param params The record to mirror.
 * @returns Same keys and shapes, all zeros.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const g = zerosLike({ w: zeros([2, 2]) });
 * assert.deepEqual(g.w!.shape, [2, 2]);
 * ```
 */
export function zerosLike(params: Params): Params {
  const out: Params = {};
  for (const [name, p] of Object.entries(params)) {
    const data = p.data instanceof Float32Array
      ? new Float32Array(p.data.length)
      : new Float64Array(p.data.length);
    out[name] = { shape: [...p.shape], data };
  }
  return out;
}

/**
 * A deep copy of a record of tensors: a model's state, or its parameters.
 *
 * @param state The record.
 * @returns Same names and shapes, copied data (same storage type).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = { h: zeros([1, 2]) };
 * const c = cloneState(s);
 * c.h!.data[0] = 1;
 * assert.deepEqual(s.h!.data[0], 0);
 * ```
 */
export function cloneState(state: Params): Params {
  const out: Params = {};
  for (const [name, t] of Object.entries(state)) {
    out[name] = { shape: [...t.shape], data: t.data.slice() };
  }
  return out;
}

/**
 * Total number of scalars in a record of tensors.
 *
 * @param params The record.
 * @returns Sum of element counts.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(countParams({ a: zeros([2, 3]), b: zeros([4]) }), 10);
 * ```
 */
export function countParams(params: Params): number {
  let n = 0;
  for (const p of Object.values(params)) n += p.data.length;
  return n;
}

/**
 * `acc += d`, elementwise.
 *
 * @param acc Accumulator, updated in place.
 * @param d Values to add, same length.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const acc = Float64Array.of(1, 2);
 * addInto(acc, Float64Array.of(3, 4));
 * assert.deepEqual([...acc], [4, 6]);
 * ```
 */
export function addInto(acc: FloatArray, d: FloatArray): void {
  for (let k = 0; k < acc.length; k++) acc[k] = acc[k]! + d[k]!;
}
