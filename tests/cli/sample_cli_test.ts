// `deno task sample` and `deno task score` end to end: batches reproduce single samples per
// seed, --stop and --format jsonl, beam search, --novelty, score equals the library's figure,
// and bad options give one clear line with exit code 2.
import { join } from "node:path";
import { cli } from "./cli_support.ts";
import { assertClose, assertEquals, assertOk } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { scoreText } from "../../lib/generate/score.ts";
import { loadCheckpoint } from "../../lib/io/checkpoint.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write", "run"); // every test reads the run trained here
const dir = ignore ? "" : await Deno.makeTempDir({ prefix: "sample_cli_test_" });
globalThis.addEventListener("unload", () => ignore || Deno.removeSync(dir, { recursive: true }));
const corpus = join(dir, "lines.txt");
const LINES = ["the lamp is lit", "the door is shut", "a cat is asleep", "the tea is hot"];
if (!ignore) {
  await Deno.writeTextFile(
    corpus,
    Array.from({ length: 200 }, (_, i) => LINES[i % 4]).join("\n") + "\n",
  );
}
const trained = ignore ? { code: -1, stdout: "", stderr: "" } : await cli("train", [
  ...["--corpus", corpus, "--out", join(dir, "run"), "--hidden-size", "24", "--steps", "150"],
  ...["--seq-length", "16", "--batch-size", "8", "--learning-rate", "0.01"],
  ...["--eval-every", "0", "--sample-every", "0"],
]);
const ckpt = join(dir, "run", "latest.safetensors");

Deno.test("the tiny training run for these tests succeeded", { ignore }, () => {
  assertEquals(trained.code, 0, trained.stderr);
});

Deno.test("sample: --num-samples streams equal single samples of seed + i; jsonl per sample", {
  ignore,
}, async () => {
  const common = ["--checkpoint", ckpt, "--length", "40", "--prime", "the ", "--top-p", "0.9"];
  const batch = await cli("sample", [
    ...common,
    "--num-samples",
    "4",
    "--seed",
    "7",
    "--format",
    "jsonl",
  ]);
  assertEquals(batch.code, 0, batch.stderr);
  const rows = batch.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(rows.map((r) => r.seed), [7, 8, 9, 10]);
  for (const r of rows) {
    assertEquals([r.prime, r.topP, r.length, r.stop], ["the ", 0.9, 40, null]);
    assertOk(r.meanLogProb < 0 && r.chars === 40);
  }
  const single = await cli("sample", [...common, "--seed", "9"]);
  assertEquals(single.stdout, "the " + rows[2].text + "\n");
});

Deno.test("sample: --stop '\\n' ends each sample at the end of its line", { ignore }, async () => {
  const r = await cli("sample", [
    ...["--checkpoint", ckpt, "--num-samples", "12", "--seed", "1", "--length", "200"],
    ...["--stop", "\\n", "--temperature", "0.5", "--format", "jsonl"],
  ]);
  assertEquals(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assertOk(rows.every((x) => x.stop === "\n" && !x.text.includes("\n")));
  assertOk(rows.filter((x) => x.stopped).length >= 10, r.stdout);
  const known = rows.filter((x) => LINES.includes(x.text)).length;
  assertOk(known >= 6, `a model trained on four lines writes them: ${r.stdout}`);
});

Deno.test("sample: --beam prints the most likely continuation and its log-probability", {
  ignore,
}, async () => {
  const r = await cli("sample", [
    "--checkpoint",
    ckpt,
    "--beam",
    "4",
    "--length",
    "30",
    "--prime",
    "the d",
  ]);
  assertEquals(r.code, 0, r.stderr);
  assertOk(r.stdout.startsWith("the door is shut"), r.stdout);
  assertOk(
    /^beam 4: log-probability -[\d.]+ nats \(-[\d.]+ per character\)$/m.test(r.stderr),
    r.stderr,
  );
});

Deno.test("sample: --novelty reports the copied span against the checkpoint's corpus", {
  ignore,
}, async () => {
  const r = await cli("sample", [
    "--checkpoint",
    ckpt,
    "--beam",
    "2",
    "--length",
    "15",
    "--prime",
    "the l",
    "--novelty",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const m =
    /longest span copied from the training text: (\d+) characters .*; ([\d.]+)% of its \d+ 8-grams/
      .exec(r.stderr);
  assertOk(m && Number(m[1]) >= 8 && Number(m[2]) > 50, r.stderr);
});

Deno.test("score: nats and bits per character equal the library's score", { ignore }, async () => {
  const text = join(dir, "probe.txt");
  await Deno.writeTextFile(text, "the cat is hot\nthe lamp is shut\n");
  const r = await cli("score", ["--checkpoint", ckpt, "--text", text, "--per-char"]);
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assertEquals(lines.length, 32); // 31 predicted characters, then the summary
  assertEquals(lines[0]!.split("\t").slice(0, 2), ["1", '"h"']);
  const m = /^31 characters predicted: ([\d.]+) nats\/char \(([\d.]+) bits\/char\)$/.exec(
    lines.at(-1)!,
  );
  assertOk(m, lines.at(-1));
  const { model, vocab } = await loadCheckpoint(ckpt, { backend: createBackend({ kind: "f64" }) });
  const want = scoreText(model, vocab, await Deno.readTextFile(text));
  assertClose(Number(m![1]), want.nats, 2e-4);
  const perChar = lines.slice(0, -1).reduce((s, l) => s + Number(l.split("\t")[2]), 0) / 31;
  assertClose(perChar, want.bits, 2e-3);
});

Deno.test("sample and score: bad options are one line, exit code 2", { ignore }, async () => {
  const cases: [string, string[], RegExp][] = [
    [
      "sample",
      ["--top-p", "0"],
      /^error: Invalid --top-p "0": out of range; expected a number > 0 and <= 1/,
    ],
    ["sample", ["--top-p", "1.5"], /^error: Invalid --top-p "1.5": out of range/],
    [
      "sample",
      ["--beam", "0"],
      /^error: Invalid --beam "0": out of range; expected an integer >= 1/,
    ],
    [
      "sample",
      ["--beam", "3", "--temperature", "0.5"],
      /^error: --beam searches instead of sampling, so it takes no --temperature/,
    ],
    ["sample", ["--beam", "3", "--num-samples", "2"], /so it takes no --num-samples/],
    ["sample", ["--stop", ""], /^error: Empty --stop/],
    ["sample", ["--format", "xml"], /^error: Invalid --format "xml": expected one of text, jsonl/],
    ["score", ["--text", corpus], /^error: Missing --checkpoint/],
  ];
  for (const [command, args, pattern] of cases) {
    const r = await cli(
      command,
      ["--checkpoint", ckpt, ...args].slice(command === "score" ? 2 : 0),
    );
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertOk(pattern.test(r.stderr), r.stderr);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  const unknown = join(dir, "unknown.txt");
  await Deno.writeTextFile(unknown, "the ZEBRA\n");
  const bad = await cli("score", ["--checkpoint", ckpt, "--text", unknown]);
  assertEquals(bad.code, 1);
  assertOk(
    /^error: Cannot score .*"Z", which the model has never seen/.test(bad.stderr),
    bad.stderr,
  );
});
