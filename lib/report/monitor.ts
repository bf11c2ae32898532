/**
 * A training monitor for notebooks: pass its `onEvent` to `Trainer.train` and it records the loss
 * curves, redraws a live loss plot in place with a progress line under the title, prints the
 * samples as they come, and ends with a one-line summary.
 *
 * Recording, the figure and the texts are plain functions of the events seen, so `deno test`
 * checks them; only drawing needs the Deno kernel (or a {@linkcode LivePlot} given in options).
 *
 * @module
 */
import { flushOutput } from "./notebook/flush.ts";
import type { EvalEvent, SampleEvent, StepEvent, TrainEvent } from "../train/events.ts";
import type { DivergenceEvent } from "../train/divergence.ts";
import { curveSeries, rollBackCurves, type TrainingCurves } from "./curves.ts";
import { lineFigure, type PlotlyFigure } from "./plot.ts";
import { type LivePlot, livePlot } from "./plot_live.ts";
import {
  endStep,
  formatCount,
  formatDivergence,
  formatDuration,
  formatProgress,
  formatSample,
} from "./progress.ts";

/**
 * The part of a training config the monitor reads: its steps and sample temperature (a whole
 * `TrainConfig` will do).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config: MonitoredConfig = { steps: 100, sampleTemperature: 0.8 };
 * const monitor = new TrainingMonitor(config, { log: null });
 * assert.ok(monitor.sampleText({ type: "sample", step: 1, text: "a" }).includes("temperature 0.8"));
 * ```
 */
export interface MonitoredConfig {
  /** Total steps of the run. */
  steps: number;
  /** Temperature of the trainer's samples, shown in their headers. */
  sampleTemperature?: number;
}

/**
 * Options of {@linkcode TrainingMonitor}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const options: MonitorOptions = { title: "Names", plotEvery: 20, log: null };
 * const figure = new TrainingMonitor({ steps: 100 }, options).figure();
 * assert.equal((figure.layout.title as { text: string }).text, "Names");
 * ```
 */
export interface MonitorOptions {
  /** Figure title (default "Training"); the progress line is its subtitle. */
  title?: string;
  /** Redraw the plot every this many steps (default 50; 0: only in `finish`). */
  plotEvery?: number;
  /** Where to draw (default: a new `livePlot("training")`, made on the first draw). */
  plot?: LivePlot;
  /** Where samples and the summary go (default `console.log`; `null`: nowhere). */
  log?: ((text: string) => void) | null;
  /** Most points per training curve in the figure (default 2000); the curves keep all. */
  maxPoints?: number;
  /** Longest progress line; less useful fields are dropped to fit (default 100). */
  progressColumns?: number;
}

/**
 * What `Trainer.train` resolves to, as far as the summary uses it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const result: TrainingResult = { steps: 0, charsPerSec: 0, stopped: true };
 * const monitor = new TrainingMonitor({ steps: 10 }, { log: null });
 * assert.equal(monitor.summary(result), "Stopped at step 0 of 10; no step was trained");
 * ```
 */
export interface TrainingResult {
  /** Steps completed. */
  steps: number;
  /** Training throughput, characters per second. */
  charsPerSec: number;
  /** Whether the run stopped before its last step. */
  stopped?: boolean;
}

/**
 * Watches a training run: records curves, draws them live, prints samples.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const log: string[] = [];
 * const monitor = new TrainingMonitor({ steps: 2, sampleTemperature: 0.8 }, {
 *   plotEvery: 0,
 *   log: (text) => void log.push(text),
 * });
 * const step = { type: "step", gradNorm: 1, clipped: false, lr: 1e-3, charsPerSec: 1e4, etaMs: 0 } as const;
 * await monitor.onEvent({ ...step, step: 1, loss: 3, smoothLoss: 3.2, elapsedMs: 10, progress: 0.5 });
 * await monitor.onEvent({ ...step, step: 2, loss: 2, smoothLoss: 3.1, elapsedMs: 20, progress: 1 });
 * await monitor.onEvent({ type: "eval", step: 2, valLoss: 2.5, valBpc: 2.5 / Math.LN2 });
 * await monitor.onEvent({ type: "sample", step: 2, text: "hello" });
 * assert.deepEqual(monitor.curves.loss, [3, 2]);
 * assert.equal(monitor.lastSample, "hello");
 * assert.equal(log[0]!.split("\n")[1], "hello");
 * assert.equal(monitor.figure().data.length, 3);
 * ```
 */
export class TrainingMonitor {
  /** The recorded curves. */
  readonly curves: TrainingCurves = {
    step: [],
    loss: [],
    smoothLoss: [],
    valStep: [],
    valLoss: [],
    valBpc: [],
    rolledBackStep: [],
    rolledBackLoss: [],
  };
  /** The samples, in order. */
  readonly samples: SampleEvent[] = [];
  /** The divergences the trainer caught, in order. */
  readonly divergences: DivergenceEvent[] = [];
  /** The latest step event, if any. */
  lastStep: StepEvent | undefined;
  /** The latest validation event, if any. */
  lastEval: EvalEvent | undefined;
  readonly #config: MonitoredConfig;
  readonly #title: string;
  readonly #plotEvery: number;
  readonly #log: ((text: string) => void) | null;
  readonly #maxPoints: number;
  readonly #columns: number;
  #plot: LivePlot | undefined;

  /**
   * A monitor that has seen a finished run's events, e.g. a run folder's history, to show its
   * figure and summary; it draws nothing by itself.
   *
   * @param events Trainer events in order (steps, validation passes, samples).
   * @param config Total steps and sample temperature, e.g. the run's `TrainConfig`.
   * @param options As for the constructor (`log` defaults to none here).
   * @returns The monitor, its curves filled in.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const events = [{ type: "eval", step: 5, valLoss: 1, valBpc: 1 / Math.LN2 }] as const;
   * const monitor = TrainingMonitor.fromEvents(events, { steps: 10 });
   * assert.deepEqual(monitor.curves.valStep, [5]);
   * ```
   */
  static fromEvents(
    events: readonly TrainEvent[],
    config: MonitoredConfig,
    options: MonitorOptions = {},
  ): TrainingMonitor {
    const monitor = new TrainingMonitor(config, { log: null, ...options });
    for (const event of events) monitor.record(event);
    return monitor;
  }

  /**
   * Prepares a monitor; nothing is drawn until the first redraw.
   *
   * @param config Total steps and sample temperature, e.g. the run's `TrainConfig`.
   * @param options Title, redraw interval, plot, log, figure size limit.
   * @throws {RangeError} When `config.steps` or `plotEvery` is negative or not an integer.
   */
  constructor(config: MonitoredConfig, options: MonitorOptions = {}) {
    const plotEvery = options.plotEvery ?? 50;
    for (const [name, value] of [["steps", config.steps], ["plotEvery", plotEvery]] as const) {
      if (!Number.isInteger(value) || value < 0) {
        throw new RangeError(
          `Cannot monitor a run with ${name} ${value}: pass a whole number of steps, 0 or more`,
        );
      }
    }
    this.#config = { steps: config.steps, sampleTemperature: config.sampleTemperature };
    this.#title = options.title ?? "Training";
    this.#plotEvery = plotEvery;
    this.#plot = options.plot;
    this.#log = options.log === undefined ? (text) => console.log(text) : options.log;
    this.#maxPoints = options.maxPoints ?? 2000;
    this.#columns = options.progressColumns ?? 100;
  }

  /**
   * The handler for `trainer.train({ onEvent })`: records the event, redraws the plot every
   * `plotEvery` steps and on a divergence, and logs each sample and divergence. A bound
   * function, so it can be passed as is.
   *
   * @param event A trainer event.
   */
  readonly onEvent = async (event: TrainEvent): Promise<void> => {
    this.record(event);
    if (event.type === "step") {
      if (this.#plotEvery > 0 && event.step % this.#plotEvery === 0) await this.draw();
    } else if (event.type === "sample") {
      this.#log?.(this.sampleText(event));
    } else if (event.type === "divergence") {
      this.#log?.(formatDivergence(event));
      if (this.#plotEvery > 0) await this.draw();
    }
  };

  /**
   * Adds an event to the curves, the samples or the latest step, without drawing or logging.
   * A rollback moves the training points after the restored step to the rolled-back curve
   * and drops the validation points after it.
   *
   * @param event A trainer event.
   */
  record(event: TrainEvent): void {
    const c = this.curves;
    if (event.type === "divergence") {
      this.divergences.push(event);
      if (event.toStep !== undefined) rollBackCurves(c, event.toStep);
    } else if (event.type === "step") {
      c.step.push(event.step);
      c.loss.push(event.loss);
      c.smoothLoss.push(event.smoothLoss);
      this.lastStep = event;
    } else if (event.type === "eval") {
      c.valStep.push(event.step);
      c.valLoss.push(event.valLoss);
      c.valBpc.push(event.valBpc);
      this.lastEval = event;
    } else {
      this.samples.push(event);
    }
  }

  /** The text of the latest sample, if any. */
  get lastSample(): string | undefined {
    return this.samples.at(-1)?.text;
  }

  /**
   * One line on the latest step (step, loss, smoothed loss, gradient norm, speed, ETA), cut to
   * `progressColumns`, with the latest validation loss when it fits.
   *
   * @returns The line; "waiting for the first step" before any.
   */
  get progress(): string {
    const step = this.lastStep;
    if (step === undefined) return "waiting for the first step";
    const val = this.lastEval ? ` | val ${this.lastEval.valLoss.toFixed(4)}` : "";
    const line = formatProgress(step, this.#config.steps, { columns: this.#columns - val.length });
    return line + val;
  }

  /**
   * A sample framed by marker lines (temperature in the header when the run gave one).
   *
   * @param event The sample event.
   * @returns The block, lines joined by `"\n"`.
   */
  sampleText(event: SampleEvent): string {
    const temperature = this.#config.sampleTemperature;
    if (temperature !== undefined) return formatSample(event, { temperature });
    const head = `----- sample at step ${event.step} -----`;
    return [head, event.text, "-".repeat(head.length)].join("\n");
  }

  /**
   * The loss figure: loss per step, smoothed loss and validation loss (when there is any) in
   * nats per character, the x axis spanning the whole run, the progress line as the title's
   * subtitle. Training curves longer than `maxPoints` are thinned.
   *
   * @returns The figure.
   */
  figure(): PlotlyFigure {
    const figure = lineFigure(curveSeries(this.curves, this.#maxPoints), {
      title: this.#title,
      xTitle: "step",
      yTitle: "nats per character",
    });
    const layout = figure.layout;
    layout.title = { text: this.#title, subtitle: { text: this.progress } };
    layout.margin = { ...(layout.margin as Record<string, unknown>), t: 80 };
    // a run with a time budget ends long before its step limit
    const end = this.lastStep
      ? endStep(this.lastStep, this.#config.steps).last
      : this.#config.steps;
    layout.xaxis = { ...(layout.xaxis as Record<string, unknown>), range: [0, end] };
    return figure;
  }

  /** Draws the current figure (the first draw adds the plot output, later ones replace it). */
  async draw(): Promise<void> {
    this.#plot ??= livePlot("training");
    await this.#plot.update(this.figure());
  }

  /**
   * One line on the run: steps, time, speed, smoothed loss and the latest validation loss.
   *
   * @param result What `trainer.train` returned (default: taken from the latest step).
   * @returns The line.
   */
  summary(result?: TrainingResult): string {
    const last = this.lastStep;
    const steps = result?.steps ?? last?.step ?? 0;
    const stopped = result?.stopped ?? steps < this.#config.steps;
    const head = stopped ? `Stopped at step ${steps} of ${this.#config.steps}` : `${steps} steps`;
    if (last === undefined) return `${head}; no step was trained`;
    const speed = formatCount(result?.charsPerSec ?? last.charsPerSec);
    const parts = [
      `${head} in ${seconds(last.elapsedMs)} (${speed} chars/s)`,
      `smoothed loss ${last.smoothLoss.toFixed(4)} nats/char`,
    ];
    const val = this.lastEval;
    if (val) {
      parts.push(
        `validation ${val.valLoss.toFixed(4)} nats/char (${val.valBpc.toFixed(3)} bits/char)` +
          ` at step ${val.step}`,
      );
    }
    const rollbacks = this.divergences.filter((d) => d.action === "rollback").length;
    if (rollbacks > 0) parts.push(`${rollbacks} rollback${rollbacks > 1 ? "s" : ""}`);
    return parts.join("; ");
  }

  /**
   * Ends the run: draws the final figure, logs the {@linkcode TrainingMonitor.summary} and, in
   * a notebook, waits until the kernel has sent all of it (`flushOutput`).
   *
   * @param result What `trainer.train` returned.
   */
  async finish(result?: TrainingResult): Promise<void> {
    await this.draw();
    this.#log?.(this.summary(result));
    await flushOutput();
  }
}

/** A duration, with tenths of a second under 10 s (a short run is not "0s"). */
function seconds(ms: number): string {
  return ms < 10_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)}s` : formatDuration(ms);
}
