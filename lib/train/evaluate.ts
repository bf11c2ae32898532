/**
 * The validation loss (nanoGPT's `estimate_loss`): the mean loss per character over a whole
 * split, with the hidden state carried from chunk to chunk as in training.
 *
 * @module
 */
import type { CharModel } from "../model/char_model.ts";
import { BatchStream, type TokenIds } from "../text/data.ts";

/**
 * Mean loss per character over a whole split, in chunks of `T = seqLength` characters of `B`
 * streams (`batchSize`, fewer when the split is short), the state carried across chunks.
 *
 * @param model The model (its weights do not change).
 * @param ids The split.
 * @param options `seqLength` and `batchSize` (a `TrainConfig` has them).
 * @returns Nats per character, or `NaN` when the split is shorter than `seqLength + 1`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * const model = createModel({ cell: "rnn", vocabSize: 4, hiddenSize: 8 }, new Rng(1));
 * const ids = Int32Array.from({ length: 41 }, (_, i) => i % 4);
 * const loss = evaluateLoss(model, ids, { seqLength: 5, batchSize: 2 });
 * assert.ok(loss > 0 && loss < 2 * Math.log(4)); // untrained: near a uniform guess, ln 4
 * assert.ok(Number.isNaN(evaluateLoss(model, ids.subarray(0, 5), { seqLength: 5, batchSize: 2 })));
 * ```
 */
export function evaluateLoss(
  model: CharModel,
  ids: TokenIds,
  options: { seqLength: number; batchSize: number },
): number {
  const { seqLength: T, batchSize } = options;
  if (ids.length < T + 1) return NaN;
  const B = Math.max(1, Math.min(batchSize, Math.floor((ids.length - 1) / T)));
  const stream = new BatchStream(ids, { seqLength: T, batchSize: B });
  const state = model.initialState(B);
  const chunks = Math.floor(stream.segmentLength / T);
  let total = 0;
  for (let k = 0; k < chunks; k++) {
    const batch = stream.next();
    total += model.forward(batch.inputs, batch.targets, state);
  }
  return total / chunks;
}
