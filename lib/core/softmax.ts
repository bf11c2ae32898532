/**
 * Numerically stable softmax and softmax cross-entropy over one row of logits.
 *
 * @module
 */

/**
 * Writes `softmax(logits[offset .. offset+n) / temperature)` into `out[offset ..]`.
 * Subtracts the maximum first, so large logits do not overflow.
 *
 * @param logits Source row(s).
 * @param out Destination (may be `logits` itself).
 * @param options Row `offset`, length `n`, and `temperature` (> 0, default 1).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = new Float64Array(2);
 * softmax(Float64Array.from([1000, 1000]), p, { n: 2 });
 * assert.ok(Math.abs(p[0]! - 0.5) <= 1e-9);
 * ```
 */
export function softmax(
  logits: ArrayLike<number>,
  out: Float64Array | Float32Array,
  options: { offset?: number; n: number; temperature?: number },
): void {
  const { offset = 0, n, temperature = 1 } = options;
  let max = -Infinity;
  for (let i = offset; i < offset + n; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = offset; i < offset + n; i++) {
    const e = Math.exp((logits[i]! - max) / temperature);
    out[i] = e;
    sum += e;
  }
  for (let i = offset; i < offset + n; i++) out[i] = out[i]! / sum;
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
  let max = -Infinity;
  for (let i = offset; i < offset + n; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = offset; i < offset + n; i++) {
    const e = Math.exp(logits[i]! - max);
    probs[i] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let i = offset; i < offset + n; i++) probs[i] = probs[i]! * inv;
  return Math.log(sum) + max - picked;
}

/**
 * `log(sum_i e^(logits[i]))` over one row, stable for large logits: the normaliser of a
 * log-softmax (`log p_v = logits[v] - logSumExp`).
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
  let max = -Infinity, sum = 0;
  for (let i = offset; i < offset + n; i++) if (logits[i]! > max) max = logits[i]!;
  for (let i = offset; i < offset + n; i++) sum += Math.exp(logits[i]! - max);
  return max + Math.log(sum);
}
