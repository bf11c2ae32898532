import { assertEquals, assertOk } from "../assert.ts";
import {
  fitToWidth,
  formatCount,
  formatDuration,
  formatEval,
  formatProgress,
  formatSample,
  formatSummary,
  shellQuote,
} from "../../lib/report/progress.ts";
import type { StepEvent } from "../../lib/train/trainer.ts";

const step: StepEvent = {
  type: "step",
  step: 42,
  loss: 1.23456,
  smoothLoss: 1.5,
  gradNorm: 3.14159,
  clipped: false,
  lr: 0.002,
  charsPerSec: 987_654,
  elapsedMs: 125_000,
  etaMs: 3_700_000,
  progress: 0.042,
};

Deno.test("formatDuration: seconds, minutes with padded seconds, hours", () => {
  assertEquals(formatDuration(0), "0s");
  assertEquals(formatDuration(-5), "0s");
  assertEquals(formatDuration(59_400), "59s");
  assertEquals(formatDuration(59_600), "1m00s");
  assertEquals(formatDuration(65_000), "1m05s");
  assertEquals(formatDuration(3_599_000), "59m59s");
  assertEquals(formatDuration(3_700_000), "1h02m");
  assertEquals(formatDuration(NaN), "--");
  assertEquals(formatDuration(Infinity), "--");
});

Deno.test("formatCount: three significant digits with k/M/G", () => {
  assertEquals(formatCount(0), "0");
  assertEquals(formatCount(999.4), "999");
  assertEquals(formatCount(999.6), "1.00k");
  assertEquals(formatCount(12_345), "12.3k");
  assertEquals(formatCount(987_654), "988k");
  assertEquals(formatCount(1_050_000), "1.05M");
  assertEquals(formatCount(2.5e9), "2.50G");
  assertEquals(formatCount(NaN), "--");
});

Deno.test("formatProgress: every figure, clipped mark only when clipped", () => {
  const line = formatProgress(step, 1000);
  assertEquals(
    line,
    "step   42/1000 4% | loss 1.2346 | smooth 1.5000 | grad 3.14 | lr 2.00e-3 | " +
      "988k chars/s | elapsed 2m05s | ETA 1h02m",
  );
  assertOk(!line.includes("clipped"));
  assertOk(formatProgress({ ...step, clipped: true }, 1000).includes("grad 3.14 clipped |"));
  assertOk(
    formatProgress({ ...step, step: 1000, progress: 1 }, 1000).startsWith("step 1000/1000 100% |"),
  );
  assertOk(formatProgress({ ...step, lr: 1.5e-12 }, 1000).includes("lr 1.50e-12"));
});

Deno.test("formatProgress: narrow terminals drop the least useful fields first", () => {
  const widths = [200, 100, 90, 80, 70, 60, 10];
  const lines = widths.map((columns) =>
    formatProgress({ ...step, clipped: true }, 1000, { columns })
  );
  for (const [i, line] of lines.entries()) {
    assertOk(line.length <= widths[i]! || i === lines.length - 1, `${widths[i]}: ${line}`);
    assertOk(line.startsWith("step   42/1000") && line.includes("| loss 1.2346 | smooth 1.5000"));
  }
  assertOk(lines[1]!.includes("ETA 1h02m") && !lines[1]!.includes("elapsed"));
  assertEquals(
    lines[3],
    "step   42/1000 | loss 1.2346 | smooth 1.5000 | grad 3.14 clipped | ETA 1h02m",
  );
  assertEquals(lines[6], "step   42/1000 | loss 1.2346 | smooth 1.5000");
});

Deno.test("formatEval: nats, bits and the best mark", () => {
  const e = { type: "eval", step: 250, valLoss: 1.5, valBpc: 1.5 / Math.LN2 } as const;
  assertEquals(formatEval(e), "step 250: val loss 1.5000 nats/char (2.164 bits/char)");
  assertOk(formatEval(e, { improved: true }).endsWith("(best so far)"));
});

Deno.test("formatSample: text framed by marker lines of equal length", () => {
  const lines = formatSample({ type: "sample", step: 7, text: "a\nb" }, { temperature: 0.5 })
    .split("\n");
  assertEquals(lines.length, 4);
  assertEquals(lines[0], "----- sample at step 7 (temperature 0.5) -----");
  assertEquals(lines.slice(1, 3), ["a", "b"]);
  assertEquals(lines[3], "-".repeat(lines[0]!.length));
});

Deno.test("shellQuote: safe words stay, others are single-quoted", () => {
  assertEquals(shellQuote("runs/brown/latest.safetensors"), "runs/brown/latest.safetensors");
  assertEquals(shellQuote("The "), "'The '");
  assertEquals(shellQuote("it's"), `'it'\\''s'`);
  assertEquals(shellQuote(""), "''");
});

Deno.test("fitToWidth: never reaches the last column", () => {
  assertEquals(fitToWidth("abc", 80), "abc");
  assertEquals(fitToWidth("abcd", 5), "abcd");
  assertEquals(fitToWidth("abcde", 5), "abc…");
  assertEquals(fitToWidth("abcde", 0), "…");
});

Deno.test("formatSummary: figures, checkpoints and a ready sample command", () => {
  const text = formatSummary({
    steps: 300,
    total: 1000,
    stopped: true,
    smoothLoss: 1.6,
    bestValLoss: 1.4,
    charsPerSec: 20_000,
    wallMs: 61_000,
    latest: "runs/my text/latest.safetensors",
    best: "runs/my text/best.safetensors",
    prime: "The ",
  });
  assertOk(text.startsWith("Stopped at step 300 of 1000."));
  for (
    const part of [
      "1.6000 nats/char (2.308 bits/char)",
      "1.4000 nats/char (2.020 bits/char)",
      "20.0k chars/s",
      "1m01s",
      "runs/my text/latest.safetensors",
    ]
  ) {
    assertOk(text.includes(part), `missing ${part} in\n${text}`);
  }
  assertOk(
    text.endsWith(
      "deno task sample --checkpoint 'runs/my text/best.safetensors' --prime 'The ' --length 500",
    ),
  );
  const plain = formatSummary({
    steps: 5,
    total: 5,
    stopped: false,
    smoothLoss: 2,
    bestValLoss: null,
    charsPerSec: 10,
    wallMs: 1,
    latest: "o/latest.safetensors",
  });
  assertOk(plain.startsWith("Done: 5 steps."));
  assertOk(plain.includes("best val loss        none"));
  assertOk(!plain.includes("best checkpoint"));
  assertOk(plain.endsWith("--checkpoint o/latest.safetensors --length 500"));
});
