/**
 * What the divergence guard may do to a trainer, and no more: read its step, copy its state and
 * put it back (`snapshot.ts`), and score chunks without training on them.
 *
 * @module
 */
import type { State } from "../model/char_model.ts";
import type { Batch } from "../text/data.ts";
import type { GuardedRun } from "./divergence.ts";
import {
  copyRecord,
  restoreSnapshot,
  setRecord,
  takeSnapshot,
  type TrainerSnapshot,
  type TrainerState,
} from "./snapshot.ts";

/**
 * The divergence guard's view of a trainer.
 *
 * @param trainer The trainer.
 * @returns Its step, copies of its state, and losses on chunks.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeConfig, modelConfigOf } from "./config.ts";
 * import { createModel } from "../model/create.ts";
 * import { createOptimizer } from "./optim.ts";
 * import { Rng } from "../core/rng.ts";
 * import { splitData } from "../text/data.ts";
 * import { buildVocab, encode } from "../text/vocab.ts";
 * import { Trainer } from "./trainer.ts";
 * const text = "a cat sat on a mat. ".repeat(20);
 * const vocab = buildVocab(text);
 * const config = makeConfig({ hiddenSize: 8, seqLength: 5, batchSize: 2 });
 * const model = createModel(modelConfigOf(config, vocab.chars.length), new Rng(1));
 * const optimizer = createOptimizer("adam", model.params, { backend: model.backend });
 * const trainer = new Trainer(model, {
 *   vocab, data: splitData(encode(vocab, text), 0.1), config, optimizer,
 * });
 * const run = guardedRun(trainer);
 * const start = run.save();
 * const loss = run.probe(); // the loss the first step will train on
 * assert.equal(trainer.trainStep().loss, loss);
 * assert.equal(run.step, 1);
 * run.restore(start);
 * assert.equal(trainer.step, 0);
 * ```
 */
export function guardedRun(trainer: TrainerState): GuardedRun {
  return {
    get step() {
      return trainer.step;
    },
    save: () => takeSnapshot(trainer),
    restore: (snapshot) => restoreSnapshot(trainer, snapshot),
    probe: () => probe(trainer),
    score: (batch, snapshot) => score(trainer, batch, snapshot),
  };
}

/** The loss the current weights score on the next chunk from the carried state, changing nothing. */
function probe(trainer: TrainerState): number {
  const position = trainer.stream.position;
  const batch = trainer.stream.next();
  trainer.stream.position = position;
  const state: State = {};
  for (const [name, t] of Object.entries(trainer.state)) {
    const data = t.data.slice();
    if (batch.wrapped) data.fill(0);
    state[name] = { shape: t.shape, data };
  }
  return trainer.model.forward(batch.inputs, batch.targets, state);
}

/** The loss on a chunk from a zero state: of the current weights, or of a snapshot's. */
function score(trainer: TrainerState, batch: Batch, snapshot?: TrainerSnapshot): number {
  const { model, stream } = trainer;
  if (!snapshot) {
    return model.forward(batch.inputs, batch.targets, model.initialState(stream.batchSize));
  }
  const current = copyRecord(model.params);
  setRecord(model.params, snapshot.params);
  const loss = model.forward(batch.inputs, batch.targets, model.initialState(stream.batchSize));
  setRecord(model.params, current);
  return loss;
}
