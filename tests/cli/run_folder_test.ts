// `deno task train --tokens graphemes` on Devanagari names, then what a notebook reads back from
// the run folder (checkpoint, history, held-out text), `deno task sample` with a Devanagari
// prime, `deno task score` per code point, and a resumed run's history.
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { HISTORY_FILE, loadRun, readHistory } from "../../lib/io/run_folder.ts";
import { TrainingMonitor } from "../../lib/report/monitor.ts";
import { isWellFormedDevanagari } from "../../lib/text/devanagari.ts";
import { namesToText } from "../../lib/text/names.ts";
import { sanskritNames } from "../../lib/text/sanskrit_names.ts";
import { splitSymbols } from "../../lib/text/tokens.ts";
import { cli } from "./cli_support.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write", "run"); // every test reads the run trained here
const dir = ignore ? "" : await Deno.makeTempDir({ prefix: "run_folder_test_" });
globalThis.addEventListener("unload", () => ignore || Deno.removeSync(dir, { recursive: true }));
const corpus = join(dir, "names.txt");
if (!ignore) await Deno.writeTextFile(corpus, namesToText(sanskritNames()).repeat(3));
const out = join(dir, "run");
const FLAGS = ["--corpus", corpus, "--out", out, "--tokens", "graphemes", "--hidden-size", "32"];
const SMALL = [
  "--seq-length",
  "16",
  "--batch-size",
  "8",
  "--eval-every",
  "20",
  "--sample-every",
  "20",
];
const trained = ignore ? { code: -1, stdout: "", stderr: "" } : await cli("train", [
  ...FLAGS,
  ...SMALL,
  "--steps",
  "40",
  "--learning-rate",
  "0.01",
]);

Deno.test("train --tokens graphemes: symbols are aksharas, validation in bits per code point", {
  ignore,
}, () => {
  assertEquals(trained.code, 0, trained.stderr);
  const log = trained.stdout + trained.stderr;
  assertOk(/Corpus names: [\d.,]+k? grapheme clusters, \d+ distinct/.test(log), log);
  assertOk(
    /bits\/char, [\d.]+ bits\/code point\)/.test(log),
    "eval lines name bits per code point",
  );
});

Deno.test("the run folder: checkpoint, history up to its step, held-out text", {
  ignore,
}, async () => {
  const run = await loadRun(out);
  assertOk(run !== null);
  assertEquals([run.checkpoint.vocab.tokens, run.checkpoint.config.tokens], [
    "graphemes",
    "graphemes",
  ]);
  const steps = run.history.filter((e) => e.type === "step").map((e) => e.step);
  assertEquals(steps, [...Array(run.checkpoint.step).keys()].map((i) => i + 1));
  assertEquals(
    run.history.filter((e) => e.type === "eval").map((e) => e.step).at(-1),
    run.checkpoint.step,
  );
  assertOk(run.validation !== null && run.validation.length > 100);
  const monitor = TrainingMonitor.fromEvents(run.history, run.checkpoint.config);
  assertEquals(monitor.figure().data.length, 3, "loss, smoothed and validation curves");
  const latest = await loadRun(out, { file: "latest.safetensors" });
  assertEquals(latest!.history.filter((e) => e.type === "step").length, 40);
  assertEquals(await loadRun(join(dir, "nothing here")), null);
});

Deno.test("sample and score a grapheme checkpoint: Devanagari prime, whole aksharas", {
  ignore,
}, async () => {
  const ckpt = join(out, "latest.safetensors");
  const s = await cli("sample", [
    "--checkpoint",
    ckpt,
    "--prime",
    "गो",
    "--length",
    "30",
    "--seed",
    "3",
  ]);
  assertEquals(s.code, 0, s.stderr);
  assertOk(s.stdout.startsWith("गो"));
  const names = s.stdout.trim().split("\n").filter((n) => n.length > 0);
  for (const name of names) assertOk(isWellFormedDevanagari(name), `${name} is well formed`);
  assertOk(splitSymbols(s.stdout.trimEnd().slice(2), "graphemes").length <= 30);
  const text = join(dir, "held_out.txt");
  await Deno.writeTextFile(text, "गंगा\nयमुना\nसरस्वती\n");
  const score = await cli("score", ["--checkpoint", ckpt, "--text", text]);
  assertEquals(score.code, 0, score.stderr);
  assertOk(/bits\/char\); [\d.]+ bits per code point \(\d+\)/.test(score.stdout), score.stdout);
});

Deno.test("a resumed run keeps the history up to its checkpoint and continues it", {
  ignore,
}, async () => {
  const history = join(out, HISTORY_FILE);
  const before = await readHistory(history);
  const resumed = await cli("train", [
    "--resume",
    join(out, "latest.safetensors"),
    "--steps",
    "60",
  ]);
  assertEquals(resumed.code, 0, resumed.stderr);
  const after = await readHistory(history);
  const steps = after.filter((e) => e.type === "step").map((e) => e.step);
  assertEquals(steps, [...Array(60).keys()].map((i) => i + 1), "no step twice, none missing");
  assertEquals(after.slice(0, before.length), before);
});
