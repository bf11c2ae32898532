/**
 * The softmax of one row of logits, tempered, numerically stable (the maximum is subtracted
 * first), and what is built on it: softmax cross-entropy and the log-sum-exp.
 *
 *   p_i = e^((y_i - max) / T) / sum_j e^((y_j - max) / T)
 *   log Z = max / T + log sum_j e^((y_j - max) / T),   log p_i = y_i / T - log Z
 *   loss = -log p_target = log Z - y_target            (T = 1)
 *
 * The backends' batched softmax of the training loss (`Backend.softmaxRows`) is the same
 * equation, as a kernel per backend.
 *
 * @module
 */

/** Where a row is and how to temper it. */
export interface SoftmaxRow {
  /** Start of the row in the logits; default 0. */
  offset?: number;
  /** Row length. */
  n: number;
  /** Temperature T > 0; default 1. */
  temperature?: number;
  /** Start of the row in the output; default `offset` (the same layout as the logits). */
  outOffset?: number;
}

/**
 * Writes `softmax(logits[offset .. offset+n) / temperature)` into `out[outOffset ..]` and
 * returns the log of its normaliser, `log Z`, so that `log p_i = logits_i / T - log Z`.
 *
 * @param logits Source row(s).
 * @param out Destination (may be `logits` itself).
 * @param options Row `offset`, length `n`, `temperature` and `outOffset`.
 * @returns `log Z = log sum_i e^(logits_i / T)`: at temperature 1, the log-sum-exp.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = new Float64Array(2);
 * const logZ = softmax(Float64Array.from([1000, 1000]), p, { n: 2 });
 * assert.ok(Math.abs(p[0]! - 0.5) <= 1e-9 && Math.abs(logZ - (1000 + Math.log(2))) < 1e-9);
 * ```
 */
export function softmax(
  logits: ArrayLike<number>,
  out: Float64Array | Float32Array,
  options: SoftmaxRow,
): number {
  const { offset = 0, n, temperature = 1, outOffset = offset } = options;
  const max = rowMax(logits, offset, n);
  const sum = expSum(logits, offset, n, max, temperature, out, outOffset);
  for (let i = outOffset; i < outOffset + n; i++) out[i] = out[i]! / sum;
  return max / temperature + Math.log(sum);
}

/**
 * Softmax cross-entropy of one row: fills `probs` with the softmax and returns
 * `-log p[target]` computed as `logsumexp(logits) - logits[target]` (finite
 * even when `p[target]` underflows).
 *
 * @param logits Source row(s).
 * @param probs Destination for the probabilities (same layout as `logits`; may be `logits`).
 * @param options Row `offset`, length `n` and the `target` index within the row.
 * @returns The loss in nats.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = new Float64Array(4);
 * const loss = softmaxCrossEntropy(new Float64Array(4), p, { n: 4, target: 1 });
 * assert.ok(Math.abs(loss - (Math.log(4))) <= 1e-9);
 * ```
 */
export function softmaxCrossEntropy(
  logits: ArrayLike<number>,
  probs: Float64Array | Float32Array,
  options: { offset?: number; n: number; target: number },
): number {
  const { offset = 0, n, target } = options;
  const picked = logits[offset + target]!; // read first: `probs` may alias `logits`
  return softmax(logits, probs, { offset, n }) - picked;
}

/**
 * `log(sum_i e^(logits[i]))` over one row, stable for large logits: the normaliser of a
 * log-softmax (`log p_v = logits[v] - logSumExp`), without writing the probabilities.
 *
 * @param logits Source row(s).
 * @param options Row `offset` and length `n`.
 * @returns The log of the sum of exponentials.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(Math.abs(logSumExp(Float64Array.of(1000, 1000), { n: 2 }) - (1000 + Math.log(2))) < 1e-9);
 * ```
 */
export function logSumExp(
  logits: ArrayLike<number>,
  options: { offset?: number; n: number },
): number {
  const { offset = 0, n } = options;
  const max = rowMax(logits, offset, n);
  return max + Math.log(expSum(logits, offset, n, max, 1, null, 0));
}

function rowMax(logits: ArrayLike<number>, offset: number, n: number): number {
  let max = -Infinity;
  for (let i = offset; i < offset + n; i++) if (logits[i]! > max) max = logits[i]!;
  return max;
}

// sum_i e^((logits_i - max) / T) over the row at `offset`, each term also written to
// `out[outOffset + i]` when given. Positional, as the backends' kernels: it runs once per
// generated character and per position of the seed's RNN.
function expSum(
  logits: ArrayLike<number>,
  offset: number,
  n: number,
  max: number,
  temperature: number,
  out: Float64Array | Float32Array | null,
  outOffset: number,
): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[offset + i]! - max) / temperature);
    if (out) out[outOffset + i] = e;
    sum += e;
  }
  return sum;
}
