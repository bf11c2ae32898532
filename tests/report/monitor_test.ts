// Training monitor: curves, redraw schedule, progress and summary text, samples, figure thinning,
// and a real Trainer run feeding it.
import { assertEquals, assertOk, assertRejects, assertThrows } from "../assert.ts";
import { thinIndices } from "../../lib/report/curves.ts";
import { TrainingMonitor } from "../../lib/report/monitor.ts";
import type { PlotlyFigure } from "../../lib/report/plot.ts";
import { type LivePlot, livePlot } from "../../lib/report/plot_live.ts";
import type { RawDisplayOptions } from "../../lib/report/notebook/send.ts";
import type { EvalEvent, SampleEvent, StepEvent } from "../../lib/train/trainer.ts";
import { Trainer } from "../../lib/train/trainer.ts";
import { makeConfig, modelConfigOf } from "../../lib/train/config.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { createModel } from "../../lib/model/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { buildVocab, encode } from "../../lib/text/vocab.ts";
import { splitData } from "../../lib/text/data.ts";

function stepEvent(step: number, loss = 4 - step / 100): StepEvent {
  return {
    type: "step",
    step,
    loss,
    smoothLoss: loss + 0.5,
    gradNorm: 1.25,
    clipped: false,
    lr: 2e-3,
    charsPerSec: 12_345,
    elapsedMs: step * 100,
    etaMs: (100 - step) * 100,
    progress: step / 100,
  };
}

function evalEvent(step: number, valLoss: number): EvalEvent {
  return { type: "eval", step, valLoss, valBpc: valLoss / Math.LN2 };
}

/** A live plot that keeps every figure it is asked to draw. */
function recordingPlot(): LivePlot & { figures: PlotlyFigure[] } {
  const figures: PlotlyFigure[] = [];
  return {
    divId: "test-plot",
    figures,
    update(figure: PlotlyFigure): Promise<void> {
      figures.push(structuredClone(figure));
      return Promise.resolve();
    },
  };
}

type Trace = { name: string; x: number[]; y: number[] };
const traces = (figure: PlotlyFigure) => figure.data as unknown as Trace[];
const titleOf = (figure: PlotlyFigure) =>
  figure.layout.title as { text: string; subtitle: { text: string } };

Deno.test("record: step, eval and sample events go to their curves and lists", () => {
  const monitor = new TrainingMonitor({ steps: 100 }, { log: null });
  assertEquals(monitor.lastStep, undefined);
  assertEquals(monitor.lastSample, undefined);
  monitor.record(stepEvent(1, 3));
  monitor.record(stepEvent(2, 2.5));
  monitor.record(evalEvent(2, 2.75));
  monitor.record({ type: "sample", step: 2, text: "first" });
  monitor.record({ type: "sample", step: 2, text: "second" });
  assertEquals(monitor.curves, {
    step: [1, 2],
    loss: [3, 2.5],
    smoothLoss: [3.5, 3],
    valStep: [2],
    valLoss: [2.75],
    valBpc: [2.75 / Math.LN2],
    rolledBackStep: [],
    rolledBackLoss: [],
  });
  assertEquals(monitor.lastStep?.step, 2);
  assertEquals(monitor.lastEval?.valLoss, 2.75);
  assertEquals(monitor.samples.map((s) => s.text), ["first", "second"]);
  assertEquals(monitor.lastSample, "second");
});

Deno.test("onEvent redraws every plotEvery steps, not on evals, and logs samples only", async () => {
  const plot = recordingPlot();
  const log: string[] = [];
  const monitor = new TrainingMonitor({ steps: 10, sampleTemperature: 0.5 }, {
    plot,
    plotEvery: 4,
    log: (text) => void log.push(text),
  });
  const { onEvent } = monitor; // passed around unbound, as in trainer.train({ onEvent })
  for (let step = 1; step <= 10; step++) {
    await onEvent(stepEvent(step));
    if (step % 5 === 0) await onEvent(evalEvent(step, 3));
  }
  await onEvent({ type: "sample", step: 10, text: "abc" });
  assertEquals(plot.figures.map((f) => traces(f)[0]!.x.length), [4, 8]);
  assertEquals(log, ["----- sample at step 10 (temperature 0.5) -----\nabc\n" + "-".repeat(47)]);
  await monitor.finish({ steps: 10, charsPerSec: 20_000 });
  assertEquals(plot.figures.length, 3);
  assertEquals(traces(plot.figures[2]!)[0]!.x.length, 10);
  assertEquals(log.length, 2);
  assertEquals(log.at(-1), monitor.summary({ steps: 10, charsPerSec: 20_000 }));
  assertOk(log.at(-1)!.startsWith("10 steps in 1.0s (20.0k chars/s)"), log.at(-1));
});

Deno.test("plotEvery 0 draws only in finish; the default draws every 50 steps", async () => {
  for (const [plotEvery, expected] of [[0, 1], [undefined, 3]] as const) {
    const plot = recordingPlot();
    const monitor = new TrainingMonitor({ steps: 120 }, { plot, plotEvery, log: null });
    for (let step = 1; step <= 120; step++) await monitor.onEvent(stepEvent(step));
    await monitor.finish();
    assertEquals(plot.figures.length, expected, `plotEvery ${plotEvery}`);
  }
});

Deno.test("a sample without a run temperature gets a plain header", () => {
  const monitor = new TrainingMonitor({ steps: 10 }, { log: null });
  const sample: SampleEvent = { type: "sample", step: 3, text: "hi\nthere" };
  assertEquals(monitor.sampleText(sample).split("\n"), [
    "----- sample at step 3 -----",
    "hi",
    "there",
    "-".repeat(28),
  ]);
});

Deno.test("figure: curves in nats over the whole run, validation only once measured", () => {
  const monitor = new TrainingMonitor({ steps: 100 }, { title: "Loss", log: null });
  monitor.record(stepEvent(1, 3));
  monitor.record(stepEvent(2, 2));
  let figure = monitor.figure();
  assertEquals(traces(figure).map((t) => t.name), ["loss per character", "smoothed"]);
  assertEquals(traces(figure)[0]!.y, [3, 2]);
  assertEquals(traces(figure)[1]!.y, [3.5, 2.5]);
  assertEquals((figure.layout.xaxis as { range: number[] }).range, [0, 100]);
  assertEquals(
    (figure.layout.yaxis as { title: { text: string } }).title.text,
    "nats per character",
  );
  assertEquals(titleOf(figure), { text: "Loss", subtitle: { text: monitor.progress } });
  monitor.record(evalEvent(2, 2.25));
  figure = monitor.figure();
  assertEquals(traces(figure)[2], {
    type: "scatter",
    mode: "lines",
    name: "validation",
    x: [2],
    y: [2.25],
  } as unknown as Trace);
  JSON.stringify(figure); // plain JSON, as the display sends it
});

Deno.test("figure: long curves are thinned to maxPoints, keeping the last point; curves keep all", () => {
  const monitor = new TrainingMonitor({ steps: 5000 }, { maxPoints: 100, log: null });
  for (let step = 1; step <= 5000; step++) monitor.record(stepEvent(step, 1 / step));
  const [loss, smooth] = traces(monitor.figure());
  assertOk(loss!.x.length <= 100 && loss!.x.length >= 90, `kept ${loss!.x.length} points`);
  assertEquals(loss!.x[0], 1);
  assertEquals(loss!.x.at(-1), 5000);
  assertEquals(loss!.y.at(-1), 1 / 5000);
  assertEquals(smooth!.x, loss!.x);
  assertEquals(monitor.curves.step.length, 5000);
});

Deno.test("thinIndices: all points up to max, else an even subset that ends at the last", () => {
  assertEquals(thinIndices(0, 10), []);
  assertEquals(thinIndices(5, 5), [0, 1, 2, 3, 4]);
  assertEquals(thinIndices(11, 6), [0, 2, 4, 6, 8, 10]);
  for (const [n, max] of [[1001, 10], [12345, 2000], [7, 2], [100, 99]]) {
    const kept = thinIndices(n!, max!);
    assertOk(kept.length <= max!, `${n}, ${max}: ${kept.length} kept`);
    assertEquals([kept[0], kept.at(-1)], [0, n! - 1]);
    assertOk(kept.every((k, i) => i === 0 || k > kept[i - 1]!));
  }
});

Deno.test("progress: the trainer's progress line, cut to fit, with the latest validation loss", () => {
  const monitor = new TrainingMonitor({ steps: 100 }, { log: null, progressColumns: 70 });
  assertEquals(monitor.progress, "waiting for the first step");
  monitor.record(stepEvent(5, 2.5));
  assertEquals(
    monitor.progress,
    "step   5/100 | loss 2.5000 | smooth 3.0000 | grad 1.25 | ETA 10s",
  );
  monitor.record(evalEvent(5, 2.125));
  assertOk(monitor.progress.endsWith(" | val 2.1250"), monitor.progress);
  assertOk(monitor.progress.length <= 70, monitor.progress);
  const wide = new TrainingMonitor({ steps: 100 }, { log: null, progressColumns: 200 });
  wide.record(stepEvent(5, 2.5));
  assertOk(wide.progress.includes("12.3k chars/s") && wide.progress.includes("elapsed 1s"));
});

Deno.test("summary: steps, time, speed, smoothed and validation loss; stopped runs say so", () => {
  const monitor = new TrainingMonitor({ steps: 50 }, { log: null });
  assertEquals(monitor.summary(), "Stopped at step 0 of 50; no step was trained");
  for (let step = 1; step <= 50; step++) monitor.record(stepEvent(step));
  assertEquals(
    monitor.summary({ steps: 50, charsPerSec: 123_456 }),
    "50 steps in 5.0s (123k chars/s); smoothed loss 4.0000 nats/char",
  );
  monitor.record(evalEvent(50, Math.LN2));
  assertEquals(
    monitor.summary(),
    "50 steps in 5.0s (12.3k chars/s); smoothed loss 4.0000 nats/char; " +
      "validation 0.6931 nats/char (1.000 bits/char) at step 50",
  );
  const long = new TrainingMonitor({ steps: 50 }, { log: null });
  long.record({ ...stepEvent(50), elapsedMs: 65_000 });
  assertOk(long.summary().startsWith("50 steps in 1m05s (12.3k chars/s)"), long.summary());
  const stopped = new TrainingMonitor({ steps: 50 }, { log: null });
  stopped.record(stepEvent(20));
  assertOk(
    stopped.summary({ steps: 20, charsPerSec: 1, stopped: true }).startsWith(
      "Stopped at step 20 of 50 in 2.0s",
    ),
  );
});

Deno.test("the constructor rejects a bad step count or redraw interval", () => {
  assertThrows(() => new TrainingMonitor({ steps: -1 }), /steps -1/);
  assertThrows(() => new TrainingMonitor({ steps: 10 }, { plotEvery: 2.5 }), /plotEvery 2.5/);
});

Deno.test("the default plot is a live plot: outside the kernel the first draw says why it fails", async () => {
  const monitor = new TrainingMonitor({ steps: 10 }, { log: null });
  await assertRejects(() => monitor.draw(), /only defined inside the Deno Jupyter kernel/);
});

Deno.test("with a live plot, the first draw adds the output and later draws replace it", async () => {
  const sent: RawDisplayOptions[] = [];
  const plot = livePlot("monitor", { display: (_bundle, options) => void sent.push(options) });
  const monitor = new TrainingMonitor({ steps: 4 }, { plot, plotEvery: 2, log: null });
  for (let step = 1; step <= 4; step++) await monitor.onEvent(stepEvent(step));
  const updates = sent.filter((o) => o.display_id === plot.divId).map((o) => o.update);
  assertEquals(updates, [false, true]);
});

Deno.test("a real Trainer run feeds the monitor one point per step and per validation", async () => {
  const text = "the cat sat on the mat. ".repeat(40);
  const vocab = buildVocab(text);
  const config = makeConfig({
    hiddenSize: 8,
    steps: 12,
    seqLength: 8,
    batchSize: 2,
    valFraction: 0.2,
    evalEvery: 5,
    sampleEvery: 6,
    sampleLength: 10,
  });
  const model = createModel(modelConfigOf(config, vocab.chars.length), new Rng(1));
  const trainer = new Trainer(model, {
    vocab,
    data: splitData(encode(vocab, text), config.valFraction),
    config,
    optimizer: createOptimizer(config.optimizer, model.params, { backend: model.backend }),
    rng: new Rng(2),
  });
  const plot = recordingPlot();
  const log: string[] = [];
  const monitor = new TrainingMonitor(config, { plot, plotEvery: 4, log: (t) => void log.push(t) });
  const result = await trainer.train({ onEvent: monitor.onEvent });
  await monitor.finish(result);
  assertEquals(monitor.curves.step, [...Array(12).keys()].map((i) => i + 1));
  assertEquals(monitor.curves.valStep, [5, 10, 12]);
  assertEquals(monitor.samples.map((s) => s.step), [6, 12]);
  assertEquals([...monitor.lastSample!].length, 10);
  assertEquals(plot.figures.length, 4); // steps 4, 8, 12 and the final draw
  assertEquals(monitor.lastStep?.smoothLoss, trainer.smoothLoss);
  assertEquals(log.length, 3); // two samples, then the summary
  assertOk(log[2]!.startsWith("12 steps in "), log[2]);
  assertOk(log[2]!.includes("at step 12"), log[2]);
});

Deno.test("a rollback moves the undone steps to their own curve and logs one line", async () => {
  const log: string[] = [];
  const monitor = new TrainingMonitor({ steps: 100 }, { plotEvery: 0, log: (t) => log.push(t) });
  for (let k = 1; k <= 8; k++) await monitor.onEvent(stepEvent(k, k > 5 ? 40 : 3));
  await monitor.onEvent(evalEvent(4, 2.9));
  await monitor.onEvent(evalEvent(6, 35));
  await monitor.onEvent({
    type: "divergence",
    step: 8,
    loss: 40,
    threshold: 6,
    reason: "loss 40.00 nats/char",
    action: "rollback",
    toStep: 5,
    lr: 5e-4,
    lrScale: 0.5,
    rollbacks: 1,
  });
  await monitor.onEvent(stepEvent(6, 2.9));
  const c = monitor.curves;
  assertEquals([c.step, c.rolledBackStep, c.rolledBackLoss], [[1, 2, 3, 4, 5, 6], [6, 7, 8], [
    40,
    40,
    40,
  ]]);
  assertEquals([c.valStep, c.smoothLoss.length], [[4], 6]);
  assertEquals(log, [
    "Divergence at step 8: loss 40.00 nats/char; rolled back to step 5, learning rate x0.5 " +
    "(5.00e-4 now), rollback 1 of 3",
  ]);
  // a second rollback: its stretch follows a gap, not a line from the first one
  await monitor.onEvent(stepEvent(7, 50));
  await monitor.onEvent({
    type: "divergence",
    step: 7,
    loss: 50,
    threshold: 6,
    reason: "again",
    action: "rollback",
    toStep: 6,
    lrScale: 0.25,
    rollbacks: 2,
  });
  assertEquals([c.rolledBackStep, c.rolledBackLoss], [[6, 7, 8, 6, 7], [40, 40, 40, NaN, 50]]);
  assertEquals(c.step, [1, 2, 3, 4, 5, 6]);
  const names = monitor.figure().data.map((t) => (t as { name?: string }).name);
  assertOk(names.includes("rolled back (diverged)"), names.join(", "));
  assertOk(monitor.summary().endsWith("; 2 rollbacks"), monitor.summary());
});
