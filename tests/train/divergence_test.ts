// The divergence guard: quiet on normal runs and on hard text, a forced explosion caught within
// the patience and rolled back exactly, stop mode, the rollback limit, NaN, a read-only probe,
// and the seed's own blow-up caught within a few steps.
import { assertEquals, assertOk, assertRejects } from "../assert.ts";
import { makeConfig, modelConfigOf, type TrainConfig } from "../../lib/train/config.ts";
import { type Split, splitData } from "../../lib/text/data.ts";
import { createModel } from "../../lib/model/create.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { Rng } from "../../lib/core/rng.ts";
import type { FloatArray } from "../../lib/core/tensor.ts";
import { Trainer, type TrainEvent } from "../../lib/train/trainer.ts";
import {
  DIVERGENCE_RULE,
  type DivergenceEvent,
  TrainingDivergedError,
} from "../../lib/train/divergence.ts";
import { buildVocab, encode, type Vocab } from "../../lib/text/vocab.ts";
import { loadCorpus } from "../../lib/text/corpus.ts";
import { needs } from "../permissions.ts";

const TEXT = "the cat sat on the mat. a dog ran to the old tree. ".repeat(40); // ours
const vocab = buildVocab(TEXT);

function makeTrainer(
  overrides: Partial<TrainConfig>,
  options: { text?: string; vocab?: Vocab; data?: Split } = {},
): Trainer {
  const v = options.vocab ?? vocab;
  const config = makeConfig({
    hiddenSize: 24,
    seqLength: 12,
    batchSize: 4,
    steps: 150,
    learningRate: 0.01,
    evalEvery: 0,
    sampleEvery: 0,
    valFraction: 0.1,
    seed: 1,
    ...overrides,
  });
  const rng = new Rng(config.seed);
  const model = createModel(modelConfigOf(config, v.chars.length), rng, {
    initScale: config.initScale,
  });
  const data = options.data ??
    splitData(encode(v, options.text ?? TEXT), config.valFraction);
  const optimizer = createOptimizer(config.optimizer, model.params, { backend: model.backend });
  return new Trainer(model, { vocab: v, data, config, optimizer, rng });
}

/** Multiplies every weight: the loss explodes from the next step on. */
function blowUp(t: Trainer, factor = 40): void {
  for (const p of Object.values(t.model.params)) {
    for (let i = 0; i < p.data.length; i++) p.data[i] = p.data[i]! * factor;
  }
}

/** Everything a rollback restores, copied. */
function stateOf(t: Trainer) {
  const copy = (r: Record<string, { data: FloatArray }>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.from(v.data)]));
  const dropout = (t.model as { dropoutRng?: Rng }).dropoutRng?.getState();
  return {
    step: t.step,
    position: t.stream.position,
    smoothLoss: t.smoothLoss,
    params: copy(t.model.params),
    moments: copy(t.optimizer.state),
    optimizerSteps: t.optimizer.steps,
    state: copy(t.state),
    dropout,
    average: t.average && { values: copy(t.average.values), updates: t.average.updates },
  };
}

Deno.test("normal runs never trip the guard (Adam, SGD, one noisy stream)", async () => {
  const configs: Partial<TrainConfig>[] = [
    { optimizer: "adam", learningRate: 0.01 },
    { optimizer: "sgd", learningRate: 1 },
    { optimizer: "adam", learningRate: 0.02, batchSize: 1, seqLength: 3, steps: 400 },
    { cell: "lstm", numLayers: 2, dropout: 0.2, learningRate: 0.01 },
  ];
  for (const overrides of configs) {
    const t = makeTrainer(overrides);
    const kinds = new Set<string>();
    let suspect = 0;
    await t.train({
      onEvent: (e) => {
        kinds.add(e.type);
        if (e.type === "step" && e.suspect) suspect++;
      },
    });
    console.log(
      `${JSON.stringify(overrides)}: smoothed ${t.smoothLoss.toFixed(3)}, ${suspect} suspect steps`,
    );
    assertEquals([...kinds], ["step"], JSON.stringify(overrides));
    assertEquals(t.guard.lrScale, 1);
  }
});

Deno.test("a forced explosion is caught after 3 steps and rolled back exactly", async () => {
  const t = makeTrainer({
    cell: "lstm",
    numLayers: 2,
    dropout: 0.2,
    hiddenSize: 16,
    weightAverage: 0.9,
  });
  const kept = new Map<number, ReturnType<typeof stateOf>>();
  const events: TrainEvent[] = [];
  let restored: ReturnType<typeof stateOf> | undefined;
  await t.train({
    onEvent: (e) => {
      events.push(e);
      if (e.type === "divergence") restored = stateOf(t);
    },
    afterStep: (step) => {
      if (step % DIVERGENCE_RULE.snapshotEvery === 0) kept.set(step, stateOf(t));
      if (step === 70 && restored === undefined) blowUp(t);
    },
  });
  const divergences = events.filter((e): e is DivergenceEvent => e.type === "divergence");
  assertEquals(divergences.length, 1);
  const d = divergences[0]!;
  assertEquals([d.step, d.action, d.toStep, d.lrScale, d.rollbacks], [73, "rollback", 50, 0.5, 1]);
  assertOk(d.loss > d.threshold && d.threshold >= Math.log(vocab.chars.length), `${d.loss}`);
  assertOk(
    /for 3 steps in a row, and [\d.]+ on that chunk against [\d.]+ with the weights of step 50$/
      .test(d.reason),
    d.reason,
  );
  assertEquals(restored, kept.get(50), "weights, average, moments, state, position, dropout rng");
  assertEquals(restored?.average?.updates, 50);
  // training goes on from step 51 at half the rate, and finishes normally
  const after = events.slice(events.indexOf(d) + 1).find((e) => e.type === "step");
  assertEquals([after?.step, after?.type === "step" && after.lr], [51, 0.005]);
  assertEquals(d.lr, 0.005);
  assertEquals(t.step, 150);
  assertOk(t.smoothLoss < Math.log(vocab.chars.length), `${t.smoothLoss}`);
});

Deno.test("onDivergence stop: a divergence event, then TrainingDivergedError", async () => {
  const t = makeTrainer({ onDivergence: "stop" });
  const events: TrainEvent[] = [];
  await assertRejects(
    () =>
      t.train({
        onEvent: (e) => void events.push(e),
        afterStep: (step) => void (step === 40 && blowUp(t)),
      }),
    /^TrainingDivergedError: Training diverged at step 43: loss [\d.]+ nats\/char, above/,
  );
  const last = events.at(-1) as DivergenceEvent;
  assertEquals([last.type, last.action, last.step, last.toStep, last.lrScale], [
    "divergence",
    "stop",
    43,
    undefined,
    1,
  ]);
  assertEquals(t.step, 43, "no rollback");
});

Deno.test("after 3 rollbacks in a row the run stops", async () => {
  const t = makeTrainer({});
  const events: DivergenceEvent[] = [];
  let error: unknown;
  try {
    await t.train({
      onEvent: (e) => void (e.type === "divergence" && events.push(e)),
      afterStep: (step) => void (step === 55 && blowUp(t)), // every pass through 55 blows up
    });
  } catch (e) {
    error = e;
  }
  assertOk(error instanceof TrainingDivergedError, String(error));
  assertEquals(events.map((e) => [e.step, e.action, e.toStep, e.lrScale]), [
    [58, "rollback", 50, 0.5],
    [58, "rollback", 50, 0.25],
    [58, "rollback", 50, 0.125],
    [58, "stop", undefined, 0.125],
  ]);
  assertOk(
    /still diverging after 3 rollbacks in a row \(learning rate x0.125\)/.test(String(error)),
  );
});

Deno.test("the rollback count starts over once a good state past the divergence is kept", async () => {
  const t = makeTrainer({ steps: 300 });
  const events: DivergenceEvent[] = [];
  const blown = new Set<number>();
  await t.train({
    onEvent: (e) => void (e.type === "divergence" && events.push(e)),
    afterStep: (step) => {
      if ([70, 170, 270].includes(step) && !blown.has(step)) {
        blown.add(step);
        blowUp(t);
      }
    },
  });
  assertEquals(events.map((e) => [e.step, e.toStep, e.rollbacks, e.lrScale]), [
    [73, 50, 1, 0.5],
    [173, 150, 1, 0.25],
    [273, 250, 1, 0.125],
  ]);
  assertEquals(t.step, 300);
});

Deno.test("a NaN is a divergence at once, rolled back to the start when nothing newer is kept", async () => {
  const t = makeTrainer({});
  const events: TrainEvent[] = [];
  await t.train({
    onEvent: (e) => void events.push(e),
    afterStep: (step) => {
      if (step === 30 && t.guard.rollbacks === 0) t.model.params["l0.Wh"]!.data[0] = NaN;
    },
  });
  const d = events.find((e) => e.type === "divergence") as DivergenceEvent;
  assertEquals([d.step, d.toStep, d.reason], [31, 0, "loss is NaN, gradient norm NaN"]);
  assertOk(Number.isNaN(d.loss));
  assertOk(!events.some((e) => e.type === "step" && Number.isNaN(e.loss)), "no NaN step event");
  assertEquals(t.step, 150);
});

Deno.test("hard text (characters never seen) is suspect but not a divergence", async () => {
  // one stream walks the text in order: 160 steps of familiar text, then characters it has not
  // met, which every set of weights scores badly
  const familiar = "the cat sat on the mat. ".repeat(80); // 1920 characters
  const novel = "XQZ JVK WQX ZJQ VKW ".repeat(40);
  const text = familiar + novel;
  const v = buildVocab(text);
  const t = makeTrainer({ batchSize: 1, steps: 200, valFraction: 0 }, { text, vocab: v });
  let suspect = 0;
  const kinds = new Set<string>();
  await t.train({
    onEvent: (e) => {
      kinds.add(e.type);
      if (e.type === "step" && e.suspect) suspect++;
    },
  });
  console.log(`${suspect} suspect steps on the unseen characters`);
  assertOk(suspect >= DIVERGENCE_RULE.patience, `only ${suspect} suspect steps`);
  assertEquals([...kinds], ["step"]);
});

Deno.test("isSound probes the next chunk without changing anything", () => {
  const a = makeTrainer({ cell: "gru", numLayers: 2, dropout: 0.1, hiddenSize: 12 });
  const b = makeTrainer({ cell: "gru", numLayers: 2, dropout: 0.1, hiddenSize: 12 });
  for (let k = 0; k < 10; k++) [a.trainStep(), b.trainStep()];
  const before = stateOf(a);
  assertOk(a.isSound());
  assertEquals(stateOf(a), before);
  assertEquals(a.trainStep().loss, b.trainStep().loss, "the next step is the same");
  blowUp(a);
  assertEquals(a.isSound(), false);
});

Deno.test("a resumed trainer keeps the learning-rate factor and best smoothed loss", () => {
  const t = makeTrainer({});
  t.trainStep();
  const resumed = new Trainer(t.model, {
    vocab,
    data: splitData(encode(vocab, TEXT), 0.1),
    config: t.config,
    optimizer: t.optimizer,
    resume: {
      step: 1,
      position: t.stream.position,
      state: t.state,
      smoothLoss: t.smoothLoss,
      divergence: { bestSmoothLoss: 0.7, lrScale: 0.25, rollbacks: 2, lastDivergence: 1 },
    },
  });
  assertEquals(resumed.trainStep().lr, 0.0025);
  assertEquals(resumed.guard.threshold, Math.log(vocab.chars.length)); // max(ln V, 2 * 0.7)
  assertEquals(resumed.guard.divergenceState.rollbacks, 2);
});

Deno.test("the seed's replay (SGD, H 512, T 50, sliding window, no clipping) is caught", {
  ignore: needs("read"),
}, async () => {
  const { text } = await loadCorpus("brown");
  const v = buildVocab(text);
  const lnV = Math.log(v.chars.length);
  const t = makeTrainer({
    hiddenSize: 512,
    seqLength: 50,
    batchSize: 1,
    stride: 1,
    steps: 450,
    optimizer: "sgd",
    learningRate: 5e-3 * 50,
    clipMode: "none",
    initScale: 0.01,
    valFraction: 0,
    seed: 42,
  }, { vocab: v, data: { train: encode(v, text.slice(0, 200_000)), val: new Int32Array(0) } });
  let firstAboveLnV = 0;
  const divergences: DivergenceEvent[] = [];
  const controller = new AbortController();
  await t.train({
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === "step" && e.loss > lnV && firstAboveLnV === 0) firstAboveLnV = e.step;
      if (e.type === "divergence") {
        divergences.push(e);
        controller.abort();
      }
    },
  });
  const d = divergences[0];
  console.log(`loss first above ln V at step ${firstAboveLnV}; caught at ${d?.step}: ${d?.reason}`);
  assertOk(d !== undefined, "not caught");
  assertOk(firstAboveLnV > 200, `the loss left the normal range at step ${firstAboveLnV}`);
  assertOk(d.step >= firstAboveLnV && d.step - firstAboveLnV <= 5, `caught at ${d.step}`);
});
