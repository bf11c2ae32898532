/**
 * `deno task train` surviving what goes wrong: a loss explosion (rolled back, or a clean stop),
 * an interruption (the resumed run prints what the uninterrupted one does), corpora as users
 * have them, a second run into the same folder, and folders that cannot be written.
 */
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { loadCheckpoint } from "../../lib/io/checkpoint.ts";
import { loadCorpus } from "../../lib/text/corpus.ts";
import { splitData } from "../../lib/text/data.ts";
import { encode } from "../../lib/text/vocab.ts";
import { Trainer } from "../../lib/train/trainer.ts";
import { assertCleanError, cli, makeText, startTraining } from "./cli_support.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write", "run"); // the tests that train in `dir`
const dir = ignore ? "" : await Deno.makeTempDir({ prefix: "train_survive_test_" });
globalThis.addEventListener("unload", () => {
  if (ignore) return;
  Deno.chmodSync(dir, 0o755);
  Deno.removeSync(dir, { recursive: true });
});
const corpus = join(dir, "story.txt");
if (!ignore) await Deno.writeTextFile(corpus, makeText(12_000));
const TINY = ["--hidden-size", "16", "--seq-length", "10", "--batch-size", "2"];
/** SGD at a learning rate that blows this model up within a dozen steps. */
const EXPLODING = ["--optimizer", "sgd", "--learning-rate", "5", "--clip-mode", "none"];

/** The validation loss of a checkpoint's model on the test text. */
async function valLossOf(path: string): Promise<{ step: number; valLoss: number }> {
  const ckpt = await loadCheckpoint(path);
  const { text } = await loadCorpus(corpus);
  const trainer = new Trainer(ckpt.model, {
    vocab: ckpt.vocab,
    data: splitData(encode(ckpt.vocab, text), ckpt.config.valFraction),
    config: ckpt.config,
    optimizer: ckpt.optimizer,
  });
  return { step: ckpt.step, valLoss: trainer.evaluate() };
}

Deno.test("a loss explosion is rolled back at half the rate; best and latest stay sound", {
  ignore,
}, async () => {
  const out = join(dir, "rollback");
  const r = await cli("train", [
    ...["--corpus", corpus, ...TINY, ...EXPLODING, "--steps", "120", "--out", out],
    ...["--eval-every", "20", "--sample-every", "0", "--save-every", "5", "--print-every", "20"],
  ]);
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l.startsWith("Divergence at step "));
  assertOk(lines.length >= 1, r.stdout);
  assertOk(
    /^Divergence at step 1\d: loss [\d.]+ nats\/char, above [\d.]+ \(ln V and twice the best smoothed loss\) for 3 steps in a row, .* with the weights of step 0; rolled back to step 0, learning rate x0.5 \(2.50e0 now\), rollback 1 of 3$/
      .test(lines[0]!),
    lines[0],
  );
  const lnV = Math.log((await loadCheckpoint(join(out, "latest.safetensors"))).vocab.chars.length);
  // without the guard the model is far above ln V by the first validation, and that model
  // would be the first (so the best) one
  for (const name of ["best", "latest"]) {
    const { step, valLoss } = await valLossOf(join(out, `${name}.safetensors`));
    assertOk(valLoss < lnV, `${name} (step ${step}) scores ${valLoss}, above ln V ${lnV}`);
  }
  assertEquals((await loadCheckpoint(join(out, "latest.safetensors"))).divergence?.lrScale, 0.25);
});

Deno.test("--on-divergence stop: one line, exit code 3, latest keeps the last good step", {
  ignore,
}, async () => {
  const out = join(dir, "stop");
  const r = await cli("train", [
    ...["--corpus", corpus, ...TINY, ...EXPLODING, "--steps", "120", "--out", out],
    ...["--eval-every", "0", "--sample-every", "0", "--save-every", "2", "--on-divergence", "stop"],
  ]);
  assertCleanError(r, "stop", { afterSteps: true });
  assertEquals(r.code, 3);
  const latest = join(out, "latest.safetensors");
  const m =
    /^error: Training diverged at step (\d+): loss .* keeps step (\d+); lower --learning-rate or use --clip-mode norm, or pass --on-divergence rollback$/
      .exec(r.stderr.trim().split("\n").at(-1)!);
  assertOk(m, r.stderr);
  assertOk(r.stderr.includes(`${latest} keeps step`), r.stderr);
  const [caught, kept] = [Number(m[1]), Number(m[2])];
  assertOk(kept < caught, `kept ${kept}, caught ${caught}`);
  assertOk(!r.stdout.includes("Divergence at step"), "stop prints no rollback line");
  const { step, valLoss } = await valLossOf(latest);
  assertEquals(step, kept);
  // sound by the rule: below max(ln V, twice the best smoothed loss) of its time
  const saved = await loadCheckpoint(latest);
  const limit = Math.max(Math.log(saved.vocab.chars.length), 2 * saved.divergence!.bestSmoothLoss);
  assertOk(valLoss < limit, `latest (step ${step}) scores ${valLoss}, above ${limit}`);
  assertOk(!(await exists(join(out, "train.lock"))), "the lock is released");
});

/** The lines two runs must share: progress (without timings), validation and samples. */
function transcript(r: { stdout: string; stderr: string }, options: { skipStep?: number } = {}) {
  const progress = [
    ...r.stderr.matchAll(/^step +(\d+)\/\d+ .*?\| (loss [\d.]+ \| smooth [\d.]+)/gm),
  ]
    .map((m) => `step ${m[1]} ${m[2]}`);
  const log: string[] = [];
  let skipUntil: string | undefined;
  for (const line of r.stdout.split("\n")) {
    if (skipUntil !== undefined) {
      if (line === skipUntil) skipUntil = undefined;
      continue;
    }
    if (line.startsWith("Done:") || line.startsWith("Stopped at")) break;
    if (/^(Corpus|Backend|Model|Training|Resuming|Note)\b/.test(line)) continue;
    if (options.skipStep !== undefined) {
      if (line.startsWith(`step ${options.skipStep}: val loss`)) continue;
      if (line.startsWith(`----- sample at step ${options.skipStep} `)) {
        skipUntil = "-".repeat(line.length);
        continue;
      }
    }
    log.push(line);
  }
  return { progress, log };
}

Deno.test("a stopped and resumed run prints exactly what the uninterrupted one does", {
  ignore,
}, async () => {
  const flags = [
    ...["--corpus", corpus, ...TINY, "--learning-rate", "0.01", "--print-every", "1"],
    ...["--eval-every", "10", "--sample-every", "10", "--sample-length", "60"],
  ];
  const whole = join(dir, "whole"), parts = join(dir, "parts");
  const full = await cli("train", [...flags, "--steps", "40", "--out", whole]);
  assertEquals(full.code, 0, full.stderr);
  // the first part ends at step 25 with its own validation and sample, off the schedule
  const first = await cli("train", [...flags, "--steps", "25", "--out", parts]);
  assertEquals(first.code, 0, first.stderr);
  assertOk(first.stdout.includes("----- sample at step 25 "), first.stdout);
  const second = await cli("train", [
    ...["--resume", join(parts, "latest.safetensors"), "--steps", "40", "--print-every", "1"],
  ]);
  assertEquals(second.code, 0, second.stderr);
  const a = transcript(full), b1 = transcript(first, { skipStep: 25 }), b2 = transcript(second);
  assertEquals(a.progress.length, 40);
  assertEquals([...b1.progress, ...b2.progress], a.progress);
  assertEquals([...b1.log, ...b2.log], a.log, "validation lines, best marks and samples");
  assertEquals(a.log.filter((l) => l.startsWith("----- sample")).length, 4);
  for (const name of ["latest", "best"]) {
    assertEquals(
      await Deno.readFile(join(parts, `${name}.safetensors`)),
      await Deno.readFile(join(whole, `${name}.safetensors`)),
      `${name}.safetensors`,
    );
  }
});

Deno.test("--corpus folder and file, --val-corpus: trained, remembered, resumed", {
  ignore,
}, async () => {
  const books = join(dir, "books");
  await Deno.mkdir(books);
  await Deno.writeTextFile(join(books, "b.txt"), makeText(4000, 7));
  await Deno.writeTextFile(join(books, "a.txt"), makeText(4000, 8));
  const extra = join(dir, "extra.txt"), held = join(dir, "held-out.txt");
  await Deno.writeTextFile(extra, makeText(3000, 9));
  await Deno.writeTextFile(held, makeText(1500, 10));
  const out = join(dir, "books-run");
  const flags = ["--eval-every", "10", "--sample-every", "0", "--out", out, ...TINY];
  const r = await cli("train", [
    ...["--corpus", books, "--corpus", extra, "--val-corpus", held, "--steps", "20", ...flags],
  ]);
  assertEquals(r.code, 0, r.stderr);
  assertOk(
    /^Corpus books\+extra \(3 texts\): .*validation 1\.5\dk from .*held-out\.txt\)$/m.test(
      r.stdout,
    ),
    r.stdout,
  );
  const ckpt = await loadCheckpoint(join(out, "latest.safetensors"));
  assertEquals(JSON.parse(ckpt.corpus), { train: [books, extra], val: held });
  const resumed = await cli("train", [
    "--resume",
    join(out, "latest.safetensors"),
    "--steps",
    "30",
  ]);
  assertEquals(resumed.code, 0, resumed.stderr);
  assertOk(resumed.stdout.includes("Corpus books+extra (3 texts)"), resumed.stdout);
  assertEquals((await loadCheckpoint(join(out, "latest.safetensors"))).step, 30);
  const both = await cli("train", [
    ...["--corpus", books, "--val-corpus", held, "--val-fraction", "0.2", ...flags],
  ]);
  assertCleanError(both, "--val-corpus with --val-fraction");
  assertEquals(both.code, 2);
});

Deno.test("one run per folder: a second run is refused, a killed run's lock taken over", {
  ignore,
}, async () => {
  const out = join(dir, "locked");
  const run = await startTraining([
    ...["--corpus", corpus, ...TINY, "--steps", "10000000", "--out", out],
    ...["--print-every", "1000000", "--sample-every", "0", "--eval-every", "0"],
  ]);
  const child = run.child;
  const second = await cli("train", ["--corpus", corpus, ...TINY, "--steps", "5", "--out", out]);
  assertCleanError(second, "second run");
  const expected = `Output folder "${out}" is in use by process ${child.pid} (a run started `;
  assertOk(second.stderr.includes(expected), `${second.stderr}\nexpected: ${expected}`);
  assertOk(
    second.stderr.includes("; wait for it to finish, or pass another folder with --out DIR"),
  );
  child.kill("SIGKILL"); // no chance to remove its lock
  await run.finish();
  assertOk(await exists(join(out, "train.lock")), "the killed run left its lock");
  const third = await cli("train", ["--corpus", corpus, ...TINY, "--steps", "5", "--out", out]);
  assertEquals(third.code, 0, third.stderr);
  assertOk(
    third.stderr.includes(`Note: took over ${join(out, "train.lock")} from process ${child.pid} `),
    third.stderr,
  );
  assertOk(!(await exists(join(out, "train.lock"))), "released at the end");
});

Deno.test("a read-only output folder: one line, exit 1, the checkpoint in it untouched", {
  ignore: ignore || needs("sys"),
}, async () => {
  const out = join(dir, "read-only");
  const made = await cli("train", ["--corpus", corpus, ...TINY, "--steps", "5", "--out", out]);
  assertEquals(made.code, 0, made.stderr);
  const latest = join(out, "latest.safetensors"), history = join(out, "history.jsonl");
  const before = await Deno.readFile(latest), historyBefore = await Deno.readFile(history);
  // root writes anywhere; without the override capability it honours the mode like anyone
  const prefix = Deno.uid() === 0 ? await dropOverride() : [];
  if (prefix === undefined) {
    console.log("skipped: running as root without a way to drop the file-permission override");
    return;
  }
  await Deno.chmod(out, 0o555);
  try {
    const r = await cli("train", ["--resume", latest, "--steps", "10"], { prefix });
    assertCleanError(r, "read-only folder");
    assertEquals(r.code, 1);
    assertOk(
      r.stderr.trim() ===
        `error: Cannot write to output folder "${out}": permission denied; pass a writable ` +
          `folder with --out DIR`,
      r.stderr,
    );
  } finally {
    await Deno.chmod(out, 0o755);
  }
  assertEquals(await Deno.readFile(latest), before);
  assertEquals(await Deno.readFile(history), historyBefore);
  assertEquals([...Deno.readDirSync(out)].map((e) => e.name).sort(), [
    "best.safetensors",
    "history.jsonl",
    "latest.safetensors",
  ]);
});

Deno.test("a checkpoint that cannot be written stops the run in one line; nothing is lost", {
  ignore,
}, async () => {
  const out = join(dir, "blocked");
  const made = await cli("train", ["--corpus", corpus, ...TINY, "--steps", "5", "--out", out]);
  assertEquals(made.code, 0, made.stderr);
  const latest = join(out, "latest.safetensors"), best = join(out, "best.safetensors");
  const before = await Deno.readFile(latest);
  await Deno.remove(best);
  await Deno.mkdir(join(best, "in-the-way"), { recursive: true }); // best cannot be replaced
  const r = await cli("train", ["--resume", latest, "--steps", "40", "--eval-every", "10"]);
  assertCleanError(r, "blocked best", { afterSteps: true });
  assertEquals(r.code, 1);
  assertOk(
    r.stderr.includes(
      `\nerror: Cannot save checkpoint "${best}": Is a directory (os error 21); `,
    ) &&
      r.stderr.includes("the previous checkpoint there is unchanged"),
    r.stderr,
  );
  assertEquals(await Deno.readFile(latest), before);
  assertOk(!(await exists(join(out, "train.lock"))), "the lock is released");
  const leftovers = [...Deno.readDirSync(out)].filter((e) => e.name.includes(".tmp-"));
  assertEquals(leftovers, [], "no temporary files left");
});

/** A prefix that runs a command without the capability to override file modes, if any. */
async function dropOverride(): Promise<string[] | undefined> {
  const prefix = ["setpriv", "--bounding-set", "-dac_override", "--"];
  try {
    const probe = await new Deno.Command(prefix[0]!, {
      args: [...prefix.slice(1), "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    return probe.success ? prefix : undefined;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
