// The shared training loop: it learns, it guards against NaN, it reports events
// on schedule, it is deterministic, and a resumed run equals an uninterrupted one.
import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import { encodeCheckpoint, loadCheckpoint } from "../../lib/io/checkpoint.ts";
import { makeConfig, modelConfigOf, type TrainConfig } from "../../lib/train/config.ts";
import { splitData } from "../../lib/text/data.ts";
import { createModel } from "../../lib/model/create.ts";
import { createOptimizer, type OptimizerName } from "../../lib/train/optim.ts";
import { mixSeed, Rng } from "../../lib/core/rng.ts";
import { sample } from "../../lib/generate/sample.ts";
import { type StepEvent, Trainer, type TrainEvent } from "../../lib/train/trainer.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";
import { needs } from "../permissions.ts";

const TEXT = "the cat sat on the mat. ".repeat(60); // 1440 characters, V = 11, written for this test
const vocab = buildVocab(TEXT);
const V = vocab.chars.length;
const LN_V = Math.log(V);

function makeTrainer(overrides: Partial<TrainConfig>): Trainer {
  const config = makeConfig({
    hiddenSize: 24,
    seqLength: 12,
    batchSize: 4,
    steps: 200,
    learningRate: 0.01,
    evalEvery: 0,
    sampleEvery: 0,
    sampleLength: 20,
    valFraction: 0.1,
    seed: 1,
    ...overrides,
  });
  const rng = new Rng(config.seed);
  const model = createModel(modelConfigOf(config, V), rng);
  const data = splitData(encode(vocab, TEXT), config.valFraction);
  const optimizer = createOptimizer(config.optimizer, model.params, { backend: model.backend });
  return new Trainer(model, { vocab, data, config, optimizer, rng });
}

for (const [optimizer, learningRate] of [["adam", 0.01], ["sgd", 1], ["adagrad", 0.1]] as const) {
  Deno.test(`training with ${optimizer} brings the loss well below ln(V)`, async () => {
    const t = makeTrainer({ optimizer: optimizer as OptimizerName, learningRate });
    const startVal = t.evaluate();
    assertOk(Math.abs(startVal - LN_V) < 0.5, `initial loss ${startVal} ~ ln V = ${LN_V}`);
    const losses: number[] = [];
    const result = await t.train({
      onEvent: (e) => void (e.type === "step" && losses.push(e.loss)),
    });
    assertEquals(result.steps, 200);
    assertEquals(result.stopped, false);
    const finalVal = t.evaluate();
    const lastLosses = losses.slice(-20).reduce((a, b) => a + b, 0) / 20;
    console.log(
      `${optimizer} lr ${learningRate}: ln V ${LN_V.toFixed(3)}, val ${startVal.toFixed(3)} -> ` +
        `${finalVal.toFixed(3)}, smoothed ${t.smoothLoss.toFixed(3)}, last-20 mean ${
          lastLosses.toFixed(3)
        }`,
    );
    assertOk(finalVal < 0.4 * LN_V, `${optimizer}: val loss ${finalVal}`);
    assertOk(t.smoothLoss < 0.4 * LN_V, `${optimizer}: smoothed loss ${t.smoothLoss}`);
    assertOk(lastLosses < 0.2 * losses[0]!, `${optimizer}: ${losses[0]} -> ${lastLosses}`);
  });
}

Deno.test("a NaN parameter makes trainStep throw 'diverged'", () => {
  const t = makeTrainer({});
  t.trainStep();
  t.model.params["l0.Wh"]!.data[3] = NaN;
  assertThrows(
    () => t.trainStep(),
    /^Error: Training diverged at step 2: loss is NaN, gradient norm NaN; lower --learning-rate or use --clip-mode norm$/,
  );
  assertEquals(t.step, 1, "the failed step is not counted");
  const inf = makeTrainer({ clipMode: "none" });
  inf.model.params.by!.data[0] = Infinity;
  assertThrows(() => inf.trainStep(), /diverged at step 1/);
});

Deno.test("run emits step, eval and sample events at the configured intervals", async () => {
  const t = makeTrainer({ steps: 10, evalEvery: 4, sampleEvery: 5, sampleLength: 15 });
  const events: TrainEvent[] = [];
  await t.train({ onEvent: (e) => void events.push(e) });
  const summary = events.map((e) => `${e.type}${e.step}`);
  assertEquals(summary, [
    "step1",
    "step2",
    "step3",
    "step4",
    "eval4",
    "step5",
    "sample5",
    "step6",
    "step7",
    "step8",
    "eval8",
    "step9",
    "step10",
    "eval10", // the last step always evaluates and samples
    "sample10",
  ]);
  for (const e of events) {
    if (e.type === "sample") {
      assertEquals([...e.text].length, 15);
      assertOk([...e.text].every((c) => vocab.charToIndex.has(c)));
    }
    if (e.type === "eval") {
      assertOk(Number.isFinite(e.valLoss));
      assertEquals(e.valBpc, e.valLoss / Math.LN2);
    }
    if (e.type === "step") {
      assertOk(e.charsPerSec > 0 && e.elapsedMs >= 0 && e.etaMs >= 0);
      assertEquals(e.lr, 0.01);
    }
  }
  const last = events.findLast((e) => e.type === "step") as StepEvent;
  assertEquals(last.etaMs, 0);
});

Deno.test("no eval events without validation data; 0 disables eval and samples", async () => {
  const t = makeTrainer({ steps: 6, evalEvery: 2, sampleEvery: 0, valFraction: 0 });
  assertOk(Number.isNaN(t.evaluate()));
  const types = new Set<string>();
  await t.train({ onEvent: (e) => void types.add(e.type) });
  assertEquals([...types], ["step"]);
});

Deno.test("run awaits async handlers and stops on abort after the current step", async () => {
  const t = makeTrainer({ steps: 50 });
  const controller = new AbortController();
  const seen: number[] = [];
  const result = await t.train({
    signal: controller.signal,
    onEvent: async (e) => {
      await new Promise((r) => setTimeout(r, 1));
      seen.push(e.step);
      if (e.step === 7) controller.abort();
    },
  });
  assertEquals(result, {
    steps: 7,
    charsPerSec: result.charsPerSec,
    stopped: true,
    outOfTime: false,
  });
  assertEquals(seen, [1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("the learning-rate schedule and clipping are reported per step", () => {
  const t = makeTrainer({ learningRate: 0.1, lrDecay: 0.5, lrDecayEvery: 2, clip: 0.01 });
  const reports = Array.from({ length: 5 }, () => t.trainStep());
  assertEquals(reports.map((r) => r.lr), [0.1, 0.1, 0.05, 0.05, 0.025]);
  assertOk(reports.every((r) => r.clipped && r.gradNorm > 0.01));
  assertEquals(reports.map((r) => r.step), [1, 2, 3, 4, 5]);
  // smoothLoss is the 0.99 moving average started at ln V
  let s = LN_V;
  for (const r of reports) {
    s = 0.99 * s + 0.01 * r.loss;
    assertEquals(r.smoothLoss, s);
  }
});

Deno.test("the carried state is reset when the data wraps around", () => {
  // train split: 1296 characters; B = 4 -> segments of 323; T = 12 -> 26 chunks, then a wrap
  const t = makeTrainer({});
  for (let k = 0; k < 26; k++) t.trainStep();
  assertOk(t.state["h.0"]!.data.some((v) => v !== 0));
  assertEquals(t.stream.position, 312);
  // on the wrapping step the state starts from zero: same loss as a fresh zero-state forward
  const probe = makeTrainer({});
  for (const [k, p] of Object.entries(t.model.params)) probe.model.params[k]!.data.set(p.data);
  const fresh = probe.model.initialState(4);
  const first = probe.stream.next();
  const expected = probe.model.forward(first.inputs, first.targets, fresh);
  assertEquals(t.trainStep().loss, expected);
});

Deno.test("same seed gives an identical loss sequence", async () => {
  const run = async () => {
    const t = makeTrainer({ steps: 30, sampleEvery: 10, evalEvery: 10 });
    const out: (number | string)[] = [];
    await t.train({
      onEvent: (e) =>
        void out.push(
          e.type === "step"
            ? e.loss
            : e.type === "eval"
            ? e.valLoss
            : e.type === "sample"
            ? e.text
            : "",
        ),
    });
    return { out, params: t.model.params };
  };
  const a = await run(), b = await run();
  assertEquals(a.out, b.out);
  assertEquals(a.params, b.params);
  const c = makeTrainer({ steps: 30, seed: 2 });
  assertOk(c.trainStep().loss !== a.out[0], "a different seed gives different weights");
});

const RESUME_CASES: [string, Partial<TrainConfig>][] = [
  ["rnn", {}],
  ["lstm, 2 layers, dropout", { cell: "lstm", numLayers: 2, dropout: 0.2, hiddenSize: 12 }],
  ["gru, 2 layers, dropout, rmsprop, cosine", {
    cell: "gru",
    numLayers: 2,
    dropout: 0.1,
    hiddenSize: 12,
    optimizer: "rmsprop",
    lrSchedule: "cosine",
    lrDecay: 0.1,
  }],
  ["gru, weight averaging", { cell: "gru", hiddenSize: 12, weightAverage: 0.9 }],
];
for (const [name, modelOverrides] of RESUME_CASES) {
  Deno.test(`resuming from a checkpoint gives bit-identical final params (${name})`, {
    ignore: needs("read", "write"),
  }, async () => {
    const overrides = {
      steps: 40,
      evalEvery: 6,
      sampleEvery: 5,
      sampleLength: 10,
      ...modelOverrides,
    };
    // the uninterrupted run
    const full = makeTrainer(overrides);
    const fullEvents: TrainEvent[] = [];
    await full.train({ onEvent: (e) => void fullEvents.push(e) });
    const strip = (es: TrainEvent[]) =>
      es.map((e) => (e.type === "step" ? { ...e, charsPerSec: 0, elapsedMs: 0, etaMs: 0 } : e));

    const dir = await Deno.makeTempDir({ prefix: "resume_test_" });
    try {
      // k = 10: mid-stream; k = 26: the next chunk wraps around (state reset on resume too)
      for (const k of [10, 26]) {
        const first = makeTrainer(overrides);
        const controller = new AbortController();
        const events: TrainEvent[] = [];
        await first.train({
          signal: controller.signal,
          onEvent: (e) => {
            events.push(e);
            if (e.type === "step" && e.step === k) controller.abort();
          },
        });
        assertEquals(first.step, k);
        const path = `${dir}/step${k}.safetensors`;
        const bytes = first.withAverage((average) =>
          encodeCheckpoint({
            model: first.model,
            vocab: first.vocab,
            config: first.config,
            optimizer: first.optimizer,
            step: first.step,
            position: first.stream.position,
            state: first.state,
            smoothLoss: first.smoothLoss,
            rng: first.rng.getState(),
            corpus: "cat.txt",
            bestValLoss: null,
            elapsedMs: first.elapsedMs,
            ...(average ? { average } : {}),
          })
        );
        await Deno.writeFile(path, bytes);
        const ckpt = await loadCheckpoint(path);
        assertEquals(ckpt.elapsedMs, Math.round(first.elapsedMs), "the time spent is kept");
        const rng = new Rng(0);
        rng.setState(ckpt.rng);
        const resumed = new Trainer(ckpt.model, {
          vocab: ckpt.vocab,
          data: splitData(encode(ckpt.vocab, TEXT), ckpt.config.valFraction),
          config: ckpt.config,
          optimizer: ckpt.optimizer,
          rng,
          resume: {
            step: ckpt.step,
            position: ckpt.position,
            state: ckpt.state,
            smoothLoss: ckpt.smoothLoss,
            elapsedMs: ckpt.elapsedMs,
            average: ckpt.average,
          },
        });
        await resumed.train({ onEvent: (e) => void events.push(e) });
        assertEquals(resumed.step, 40);
        assertEquals(resumed.model.params, full.model.params, `params after resuming at ${k}`);
        assertEquals(resumed.optimizer.state, full.optimizer.state);
        assertEquals(resumed.optimizer.steps, full.optimizer.steps);
        assertEquals(resumed.state, full.state);
        assertEquals(resumed.smoothLoss, full.smoothLoss);
        assertEquals(resumed.rng.getState(), full.rng.getState());
        assertEquals(resumed.average?.values, full.average?.values);
        assertEquals(resumed.average?.updates, full.average?.updates);
        assertEquals(strip(events), strip(fullEvents), "the same losses, evals and samples");
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("sampleText continues from stream 0's state without advancing it", () => {
  const t = makeTrainer({ sampleTemperature: 0.7 });
  for (let k = 0; k < 20; k++) t.trainStep();
  const before = t.state["h.0"]!.data.slice();
  const rngBefore = t.rng.getState();
  const a = t.sampleText(30);
  assertEquals([...a].length, 30);
  assertEquals(t.state["h.0"]!.data, before, "the training state is not advanced by sampling");
  // the same as sample() from a copy of stream 0's state with the step's own generator
  const rng = new Rng(mixSeed(t.config.seed, 20));
  const H = t.model.config.hiddenSize;
  const state = { "h.0": { shape: [1, H], data: before.slice(0, H) } };
  assertEquals(sample(t.model, vocab, { length: 30, rng, state, temperature: 0.7 }), a);
  assertEquals(t.rng.getState(), rngBefore, "the run's generator is not used by samples");
  assertEquals(t.sampleText(30), a, "drawing again at the same step repeats the sample");
});

Deno.test("a sample depends on the seed and step only, not on earlier samples", async () => {
  // a run that samples every 10 steps, and one that also sampled at its end, step 25, and was
  // then resumed to 40 (as `--steps 25`, then `--resume --steps 40` do)
  const samplesOf = (events: TrainEvent[]) =>
    events.flatMap((e) => e.type === "sample" ? [`${e.step}:${e.text}`] : []);
  const overrides = { steps: 40, sampleEvery: 10, sampleLength: 30, evalEvery: 0 };
  const full = makeTrainer(overrides);
  const fullEvents: TrainEvent[] = [];
  await full.train({ onEvent: (e) => void fullEvents.push(e) });
  const first = makeTrainer({ ...overrides, steps: 25 });
  const events: TrainEvent[] = [];
  await first.train({ onEvent: (e) => void events.push(e) });
  assertEquals(samplesOf(events).map((s) => s.split(":")[0]), ["10", "20", "25"]);
  const second = new Trainer(first.model, {
    vocab,
    data: splitData(encode(vocab, TEXT), first.config.valFraction),
    config: makeConfig({ ...first.config, steps: 40 }),
    optimizer: first.optimizer,
    rng: first.rng,
    resume: {
      step: first.step,
      position: first.stream.position,
      state: first.state,
      smoothLoss: first.smoothLoss,
    },
  });
  await second.train({ onEvent: (e) => void events.push(e) });
  const resumed = samplesOf(events).filter((s) => !s.startsWith("25:"));
  assertEquals(resumed, samplesOf(fullEvents));
  assertEquals(second.model.params, full.model.params);
});

Deno.test("afterStep runs once per step, after that step's eval and sample events", async () => {
  const trainer = makeTrainer({ steps: 6, evalEvery: 3, sampleEvery: 2, sampleLength: 5 });
  const log: string[] = [];
  await trainer.train({
    onEvent: (e) => void log.push(`${e.type}${e.step}`),
    afterStep: (step) => void log.push(`after${step}`),
  });
  assertEquals(log, [
    "step1",
    "after1",
    "step2",
    "sample2",
    "after2",
    "step3",
    "eval3",
    "after3",
    "step4",
    "sample4",
    "after4",
    "step5",
    "after5",
    "step6",
    "eval6",
    "sample6",
    "after6",
  ]);
});

Deno.test("a time budget ends the run, anneals the cosine over it and evaluates at the end", async () => {
  const t = makeTrainer({
    steps: 10_000_000,
    maxMinutes: 0.005, // 300 ms
    lrSchedule: "cosine",
    lrDecay: 0.1,
    evalEvery: 1_000_000, // only the final pass
  });
  const steps: StepEvent[] = [];
  let evals = 0;
  const result = await t.train({
    onEvent: (e) => void (e.type === "step" ? steps.push(e) : e.type === "eval" && evals++),
  });
  assertEquals([result.stopped, result.outOfTime], [false, true]);
  assertOk(result.steps > 5 && result.steps < 10_000_000, `${result.steps} steps`);
  assertEquals(evals, 1, "the last step is evaluated");
  assertOk(t.elapsedMs >= 300 && t.elapsedMs < 2_000, `${t.elapsedMs} ms`);
  const first = steps[0]!, last = steps.at(-1)!;
  assertClose(first.lr, 0.01, 1e-4, `the full rate at the start: ${first.lr}`);
  assertOk(last.progress > 0.8 && last.lr < 0.0025, `progress ${last.progress}, lr ${last.lr}`);
  assertOk(steps.every((e, i) => i === 0 || e.progress >= steps[i - 1]!.progress), "monotone");
  // a run resumed with its budget spent trains no more; a larger budget continues it
  const resumed = makeTrainer({ steps: 10_000_000, maxMinutes: 0.005 });
  resumed.elapsedMs = t.elapsedMs;
  assertEquals((await resumed.train()).steps, 0);
});

Deno.test("a run the budget ends has used all of it, though it stopped a validation pass early", async () => {
  // a fake clock: each step takes 10 ms, validation 30 ms until the last pass, which takes 1
  let t = 0, evals = 0;
  class Timed extends Trainer {
    override evaluate(): number {
      t += ++evals < 3 ? 30 : 1;
      return super.evaluate();
    }
  }
  const base = makeTrainer({ maxMinutes: 100 / 60_000, evalEvery: 1 }); // 100 ms
  const { config } = base;
  const timed = new Timed(base.model, {
    vocab,
    data: splitData(encode(vocab, TEXT), config.valFraction),
    config,
    optimizer: base.optimizer,
    now: () => t,
  });
  const result = await timed.train({ onEvent: (e) => void (e.type === "step" && (t += 10)) });
  // steps end at 10, 50, 90 ms; at 90 the next 30 ms pass would not fit, so step 3 is the last
  assertEquals([result.steps, result.outOfTime, evals], [3, true, 3]);
  assertEquals(timed.elapsedMs, 100, "the 9 ms left are less than a pass: the budget is used");
  assertEquals(timed.progress(), 1);
  const again = await timed.train();
  assertEquals([again.steps, again.outOfTime], [3, true], "run again, it trains no more");
});

Deno.test("warmup ramps the rate linearly; weight decay reaches the optimizer", async () => {
  const rates: number[] = [];
  const t = makeTrainer({ steps: 6, warmupSteps: 4 });
  await t.train({ onEvent: (e) => void (e.type === "step" && rates.push(e.lr)) });
  assertEquals(rates, [0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01]);
  const plain = makeTrainer({ steps: 3 }), decayed = makeTrainer({ steps: 3, weightDecay: 0.5 });
  await plain.train();
  await decayed.train();
  const norm = (tr: Trainer, name: string) => Math.hypot(...tr.model.params[name]!.data);
  assertOk(norm(decayed, "Why") < norm(plain, "Why"), "the matrices shrink");
});

Deno.test("weight averaging: validation and samples use the average, training the raw weights", async () => {
  const averaged = makeTrainer({ steps: 40, weightAverage: 0.95 }),
    plain = makeTrainer({ steps: 40 });
  await averaged.train();
  await plain.train();
  assertEquals(averaged.model.params, plain.model.params, "the average does not change training");
  assertEquals(averaged.average!.updates, 40);
  // a trainer without averaging, on the averaged weights, scores and samples the same
  const onAverage = makeTrainer({ steps: 40 });
  for (const [name, p] of Object.entries(onAverage.model.params)) {
    p.data.set(averaged.average!.values[name]!.data);
  }
  assertEquals(averaged.evaluate(), onAverage.evaluate());
  assertOk(averaged.evaluate() !== plain.evaluate(), "the average is not the raw weights");
  for (const [name, t] of Object.entries(onAverage.state)) t.data.set(averaged.state[name]!.data);
  assertEquals(averaged.sampleText(30, new Rng(5)), onAverage.sampleText(30, new Rng(5)));
  assertEquals(averaged.model.params, plain.model.params, "evaluate put the raw weights back");
  assertEquals(plain.average, null);
});
