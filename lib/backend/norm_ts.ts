/**
 * Layer normalisation (Ba, Kiros and Hinton 2016) of blocks of H values: the TypeScript
 * kernels behind {@linkcode Backend.layerNorm} and {@linkcode Backend.layerNormBackward},
 * generic over the float array type. The WebAssembly kernels (`wasm/kernels.as`) are the same
 * equations. A row `(R)` of the input holds G = R/H blocks side by side (a cell's gate blocks);
 * each block is normalised on its own, and its gain and bias are the block's slice of the
 * `(R)` vectors.
 *
 *   mu = mean(x),  s = 1 / sqrt(mean((x - mu)^2) + eps),  xhat = (x - mu) s
 *   y = gain xhat + bias                        (or y += ..., accumulating)
 *   backward, per block:  dxhat = gain dy
 *     dx = s (dxhat - mean(dxhat) - xhat mean(dxhat xhat)),  dgain += dy xhat,  dbias += dy
 *
 * Legend: M = rows, R = row length, H = block length, G = R/H blocks per row.
 *
 * @module
 */
import type { FloatArray } from "../core/tensor.ts";

/** The `eps` under the square root: keeps a constant block finite. */
export const LAYER_NORM_EPS = 1e-5;

/**
 * Layer normalisation forward of M rows; H = `x.length / rstd.length`.
 *
 * @param x `(M, R)` input.
 * @param gain `(R)` gain per block position.
 * @param bias `(R)` bias, or `null` for none.
 * @param y `(M, R)` output (may be `x`): `gain xhat + bias`, added to its values with `accumulate`.
 * @param xhat `(M, R)` output: the normalised input, kept for backward.
 * @param rstd `(M G)` output: `1 / sqrt(var + eps)` per block.
 * @param accumulate Add into `y` instead of overwriting it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const y = new Float64Array(2), xhat = new Float64Array(2), rstd = new Float64Array(1);
 * layerNormBlocksForward(Float64Array.from([1, 3]), Float64Array.from([2, 2]), null, y, xhat, rstd, false);
 * assert.ok(Math.abs(y[0]! + 2) < 1e-4 && Math.abs(y[1]! - 2) < 1e-4); // xhat = [-1, 1]
 * ```
 */
export function layerNormBlocksForward(
  x: FloatArray,
  gain: FloatArray,
  bias: FloatArray | null,
  y: FloatArray,
  xhat: FloatArray,
  rstd: FloatArray,
  accumulate: boolean,
): void {
  const H = x.length / rstd.length, R = gain.length;
  for (let k = 0; k < rstd.length; k++) {
    const o = k * H, p = o % R; // block k starts at x[o], its gain at gain[p]
    let mu = 0;
    for (let j = 0; j < H; j++) mu += x[o + j]!;
    mu /= H;
    let v = 0;
    for (let j = 0; j < H; j++) v += (x[o + j]! - mu) ** 2;
    const s = 1 / Math.sqrt(v / H + LAYER_NORM_EPS);
    rstd[k] = s;
    for (let j = 0; j < H; j++) {
      const xh = (x[o + j]! - mu) * s;
      xhat[o + j] = xh;
      const out = gain[p + j]! * xh + (bias ? bias[p + j]! : 0);
      y[o + j] = accumulate ? y[o + j]! + out : out;
    }
  }
}

/**
 * Layer normalisation backward of M rows; H = `dy.length / rstd.length`.
 *
 * @param dy `(M, R)` gradient w.r.t. the output.
 * @param xhat `(M, R)` the forward's normalised input.
 * @param rstd `(M G)` the forward's `1 / sqrt(var + eps)`.
 * @param gain `(R)` gain.
 * @param dgain `(R)` gain gradient accumulator.
 * @param dbias `(R)` bias gradient accumulator, or `null` when there is no bias.
 * @param dx `(M, R)` output (may be `dy`): gradient w.r.t. the input.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dgain = new Float64Array(2), dx = new Float64Array(2);
 * const xhat = Float64Array.from([-1, 1]), rstd = Float64Array.from([1]), gain = Float64Array.from([1, 1]);
 * layerNormBlocksBackward(Float64Array.from([1, 1]), xhat, rstd, gain, dgain, null, dx);
 * assert.deepEqual([...dx], [0, 0]); // a shift of the input does not move xhat
 * ```
 */
export function layerNormBlocksBackward(
  dy: FloatArray,
  xhat: FloatArray,
  rstd: FloatArray,
  gain: FloatArray,
  dgain: FloatArray,
  dbias: FloatArray | null,
  dx: FloatArray,
): void {
  const H = dy.length / rstd.length, R = gain.length;
  for (let k = 0; k < rstd.length; k++) {
    const o = k * H, p = o % R;
    let m1 = 0, m2 = 0; // sums of dxhat and of dxhat xhat
    for (let j = 0; j < H; j++) {
      const d = dy[o + j]!, xh = xhat[o + j]!, dxh = gain[p + j]! * d;
      m1 += dxh;
      m2 += dxh * xh;
      dgain[p + j] = dgain[p + j]! + d * xh;
      if (dbias) dbias[p + j] = dbias[p + j]! + d;
    }
    m1 /= H;
    m2 /= H;
    const s = rstd[k]!;
    for (let j = 0; j < H; j++) {
      dx[o + j] = s * (gain[p + j]! * dy[o + j]! - m1 - xhat[o + j]! * m2);
    }
  }
}
