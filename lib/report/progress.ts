/**
 * Text of the training CLI: progress lines, validation lines, sample blocks and
 * the final summary. Pure functions of their inputs, so they are unit-tested.
 *
 * @module
 */
import type { EvalEvent, SampleEvent, StepEvent } from "../train/events.ts";
import { DIVERGENCE_RULE, type DivergenceEvent } from "../train/divergence.ts";

/**
 * A duration for humans: `"42s"`, `"1m05s"`, `"2h03m"`; `"--"` when unknown.
 *
 * @param ms Milliseconds (negative counts as 0).
 * @returns The text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(formatDuration(65_000), "1m05s");
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "--";
  const s = Math.round(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${pad(m % 60)}m`;
}

/**
 * A count with a metric suffix and three significant digits: `"850"`, `"12.3k"`, `"1.05M"`.
 *
 * @param n A non-negative number.
 * @returns The text (`"--"` when not finite).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(formatCount(12_345), "12.3k");
 * ```
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "--";
  for (const [unit, size] of [["G", 1e9], ["M", 1e6], ["k", 1e3]] as const) {
    if (n >= size * 0.9995) return `${(n / size).toPrecision(3)}${unit}`;
  }
  return String(Math.round(n));
}

/**
 * One progress line: step/total, loss, smoothed loss, gradient norm (marked when
 * clipped), learning rate, throughput, elapsed time and ETA. Given a width, it
 * drops the least useful fields (percentage, elapsed, learning rate, throughput,
 * gradient norm, ETA, in that order) until the line fits.
 *
 * @param event A step event of the trainer.
 * @param total The run's total steps (with a time budget further along: the estimate
 *   `step / progress`, shown as `~N`).
 * @param options `columns`: maximum line length (default: no limit).
 * @returns The line, without a line break.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = {
 *   type: "step", step: 5, loss: 2.5, smoothLoss: 3, gradNorm: 7.25, clipped: true, lr: 0.002,
 *   charsPerSec: 12_345, elapsedMs: 1_000, etaMs: 65_000, progress: 0.5,
 * } as const;
 * assert.deepEqual(
 *   formatProgress(e, 10),
 *   "step  5/10 50% | loss 2.5000 | smooth 3.0000 | grad 7.25 clipped | lr 2.00e-3 | " +
 *     "12.3k chars/s | elapsed 1s | ETA 1m05s",
 * );
 * assert.deepEqual(formatProgress(e, 10, { columns: 60 }), "step  5/10 | loss 2.5000 | smooth 3.0000 | ETA 1m05s");
 * // a time budget further along than the steps: the steps it will reach at this pace
 * assert.ok(formatProgress({ ...e, progress: 0.25 }, 1000).startsWith("step  5/~20 25% |"));
 * ```
 */
export function formatProgress(
  event: StepEvent,
  total: number,
  options: { columns?: number } = {},
): string {
  const { columns = Infinity } = options;
  const pct = Math.floor(100 * event.progress);
  const { last, estimated } = endStep(event, total);
  const end = String(last);
  const of = estimated ? `~${end}` : end;
  // [text, drop order (higher goes first; 0 = never), joined to the previous field by a space]
  const fields: [string, number, boolean][] = [
    [`step ${String(event.step).padStart(end.length)}/${of}`, 0, false],
    [`${pct}%`, 7, true],
    [`loss ${event.loss.toFixed(4)}`, 0, false],
    [`smooth ${event.smoothLoss.toFixed(4)}`, 0, false],
    [`grad ${event.gradNorm.toFixed(2)}${event.clipped ? " clipped" : ""}`, 3, false],
    [`lr ${formatLr(event.lr)}`, 5, false],
    [`${formatCount(event.charsPerSec)} chars/s`, 4, false],
    [`elapsed ${formatDuration(event.elapsedMs)}`, 6, false],
    [`ETA ${formatDuration(event.etaMs)}`, 2, false],
  ];
  const join = (kept: typeof fields) =>
    kept.map(([text, , glued], i) => (i === 0 ? "" : glued ? " " : " | ") + text).join("");
  let kept = fields;
  for (let level = 7; level > 0 && join(kept).length > columns; level--) {
    kept = kept.filter(([, drop]) => drop !== level);
  }
  return join(kept);
}

/**
 * The step a run will end on: its step limit, or, when its time budget is further along than
 * its steps, the step it reaches at the pace so far (`step / progress`).
 *
 * @param event A step event of the trainer.
 * @param total The run's step limit.
 * @returns The step, and whether it is an estimate from the time budget.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(endStep({ step: 50, progress: 0.25 }, 1000), { last: 200, estimated: true });
 * assert.deepEqual(endStep({ step: 50, progress: 0.05 }, 1000), { last: 1000, estimated: false });
 * ```
 */
export function endStep(
  event: Pick<StepEvent, "step" | "progress">,
  total: number,
): { last: number; estimated: boolean } {
  const estimated = event.progress > 0 && event.progress > event.step / total;
  return { last: estimated ? Math.round(event.step / event.progress) : total, estimated };
}

/** `2.00e-3` rather than JavaScript's `2.00e-3`/`0.002` mix. */
function formatLr(lr: number): string {
  return lr.toExponential(2).replace("e+", "e");
}

/**
 * A validation line in nats and bits per character; for grapheme symbols, bits per code point
 * too (comparable with a code-point model's bits per character).
 *
 * @param event The trainer's eval event.
 * @param options `improved`: mark a new best (it was saved to best.safetensors);
 *   `codePointsPerSymbol`: code points per symbol of the held-out text (1 for code points).
 * @returns The line.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = { type: "eval", step: 250, valLoss: 1.5, valBpc: 1.5 / Math.LN2 } as const;
 * assert.deepEqual(formatEval(e), "step 250: val loss 1.5000 nats/char (2.164 bits/char)");
 * assert.ok(formatEval(e, { codePointsPerSymbol: 2 }).endsWith("(2.164 bits/char, 1.082 bits/code point)"));
 * ```
 */
export function formatEval(
  event: EvalEvent,
  options: { improved?: boolean; codePointsPerSymbol?: number } = {},
): string {
  const mark = options.improved ? " (best so far)" : "";
  const ratio = options.codePointsPerSymbol ?? 1;
  const perCodePoint = ratio === 1 ? "" : `, ${(event.valBpc / ratio).toFixed(3)} bits/code point`;
  return `step ${event.step}: val loss ${event.valLoss.toFixed(4)} nats/char ` +
    `(${event.valBpc.toFixed(3)} bits/char${perCodePoint})${mark}`;
}

/**
 * One line on a divergence the trainer caught: where, why, and what it did.
 *
 * @param event The trainer's divergence event.
 * @returns The line.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = formatDivergence({
 *   type: "divergence", step: 317, loss: 5.8, threshold: 4.6, reason: "loss 5.80 nats/char",
 *   action: "rollback", toStep: 300, lr: 0.125, lrScale: 0.5, rollbacks: 1,
 * });
 * assert.equal(
 *   line,
 *   "Divergence at step 317: loss 5.80 nats/char; rolled back to step 300, learning rate " +
 *     "x0.5 (1.25e-1 now), rollback 1 of 3",
 * );
 * ```
 */
export function formatDivergence(event: DivergenceEvent): string {
  const head = `Divergence at step ${event.step}: ${event.reason}`;
  if (event.action === "stop") return `${head}; stopping`;
  const lr = event.lr === undefined ? "" : ` (${formatLr(event.lr)} now)`;
  return `${head}; rolled back to step ${event.toStep}, learning rate x${event.lrScale}${lr}, ` +
    `rollback ${event.rollbacks} of ${DIVERGENCE_RULE.maxRollbacks}`;
}

/**
 * A sample framed by marker lines so it stands out from the log.
 *
 * @param event The trainer's sample event.
 * @param options `temperature` to show in the header.
 * @returns Three or more lines joined by `"\n"`, no final line break.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const block = formatSample({ type: "sample", step: 9, text: "hi" }, { temperature: 0.8 });
 * assert.deepEqual(block.split("\n")[1], "hi");
 * ```
 */
export function formatSample(event: SampleEvent, options: { temperature: number }): string {
  const head = `----- sample at step ${event.step} (temperature ${options.temperature}) -----`;
  return [head, event.text, "-".repeat(head.length)].join("\n");
}

/**
 * Quotes an argument for a POSIX shell when it needs quoting.
 *
 * @param arg Any string.
 * @returns The argument as-is when safe, otherwise single-quoted.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(shellQuote("runs/a b.safetensors"), "'runs/a b.safetensors'");
 * ```
 */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Shortens a line to a terminal's width so a `\r`-updated line never wraps.
 *
 * @param line The text.
 * @param columns Terminal width.
 * @returns The line, cut to `columns - 1` characters with `…` when longer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(fitToWidth("abcdef", 5), "abc…");
 * ```
 */
export function fitToWidth(line: string, columns: number): string {
  const max = Math.max(1, columns - 1);
  return line.length <= max ? line : line.slice(0, max - 1) + "…";
}

/** What {@linkcode formatSummary} reports. */
export interface RunSummary {
  /** Steps completed. */
  steps: number;
  /** Steps requested. */
  total: number;
  /** Whether Ctrl-C stopped the run early. */
  stopped: boolean;
  /** Final smoothed training loss, nats/char. */
  smoothLoss: number;
  /** Best validation loss, nats/char, or `null` without validation. */
  bestValLoss: number | null;
  /** Training throughput of this run, characters per second. */
  charsPerSec: number;
  /** Wall time of this run, including validation and samples. */
  wallMs: number;
  /** Path of latest.safetensors. */
  latest: string;
  /** Path of best.safetensors, when this run wrote one. */
  best?: string;
  /** Prime text for the suggested sample command (omitted when absent). */
  prime?: string;
}

/**
 * The end-of-run summary, ending with a ready `deno task sample` command.
 *
 * @param s The run's figures.
 * @returns Lines joined by `"\n"`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = formatSummary({
 *   steps: 10, total: 10, stopped: false, smoothLoss: 2, bestValLoss: null, charsPerSec: 1000,
 *   wallMs: 2000, latest: "runs/x/latest.safetensors",
 * });
 * assert.ok(text.includes("deno task sample --checkpoint runs/x/latest.safetensors"));
 * ```
 */
export function formatSummary(s: RunSummary): string {
  const bits = (nats: number) => (nats / Math.LN2).toFixed(3);
  const best = s.bestValLoss === null
    ? "none"
    : `${s.bestValLoss.toFixed(4)} nats/char (${bits(s.bestValLoss)} bits/char)`;
  const checkpoint = s.best ?? s.latest;
  const prime = s.prime ? ` --prime ${shellQuote(s.prime)}` : "";
  return [
    s.stopped ? `Stopped at step ${s.steps} of ${s.total}.` : `Done: ${s.steps} steps.`,
    `  final smoothed loss  ${s.smoothLoss.toFixed(4)} nats/char (${bits(s.smoothLoss)} bits/char)`,
    `  best val loss        ${best}`,
    `  throughput           ${formatCount(s.charsPerSec)} chars/s`,
    `  wall time            ${formatDuration(s.wallMs)}`,
    `  latest checkpoint    ${s.latest}`,
    ...(s.best ? [`  best checkpoint      ${s.best}`] : []),
    `Sample from it with:`,
    `  deno task sample --checkpoint ${shellQuote(checkpoint)}${prime} --length 500`,
  ].join("\n");
}
