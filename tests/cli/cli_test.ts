/**
 * End-to-end tests of `deno task train` and `deno task sample`: real `deno run`
 * subprocesses with the tasks' permissions on a small text written here, plus
 * in-process checks of the flag parsing.
 */
import { join } from "node:path";
import { assertCleanError, cli, makeText, startTraining } from "./cli_support.ts";
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { closestFlag, parseFlags, parseNumberFlag, UsageError } from "../../cli/args.ts";
import { listFlags } from "../../cli/flags.ts";
import { formatHelp } from "../../cli/help.ts";
import { SAMPLE_FLAGS } from "../../cli/sample.ts";
import {
  CONFIG_FLAGS,
  parseTrainArgs,
  resumeConfig,
  TRAIN_FLAGS,
  trainHelp,
} from "../../cli/train_flags.ts";
import { loadCheckpoint } from "../../lib/io/checkpoint.ts";
import {
  CONFIG_FIELDS,
  DEFAULT_CONFIG,
  makeConfig,
  type TrainConfig,
} from "../../lib/train/config.ts";
import { PRESETS } from "../../lib/train/presets.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write", "run"); // the tests that train in `dir`
const dir = ignore ? "" : await Deno.makeTempDir({ prefix: "cli_test_" });
globalThis.addEventListener("unload", () => ignore || Deno.removeSync(dir, { recursive: true }));
const corpus = join(dir, "story.txt");
if (!ignore) await Deno.writeTextFile(corpus, makeText(12_000));
const out = join(dir, "run");
const latest = join(out, "latest.safetensors");
const TINY = ["--hidden-size", "16", "--seq-length", "10", "--batch-size", "2"];
const FAST = ["--learning-rate", "0.01", "--eval-every", "10", "--sample-every", "10"];

/** The `loss X` values of the plain progress lines on stderr. */
function losses(stderr: string): number[] {
  return [...stderr.matchAll(/^step +\d+\/\d+ .*\| loss ([\d.]+) \|/gm)].map((m) => Number(m[1]));
}

Deno.test("flags: strict numbers, negative values, suggestions", () => {
  const steps = TRAIN_FLAGS.steps;
  assertEquals(parseNumberFlag("30", "steps", steps), 30);
  assertEquals(parseNumberFlag("1e3", "steps", steps), 1000);
  for (const bad of ["", " 5", "12abc", "0x10", "NaN", "Infinity", "1e999", "2.5", "0", "-5"]) {
    assertThrows(() => parseNumberFlag(bad, "steps", steps), /^UsageError: Invalid --steps/);
  }
  assertEquals(parseFlags(["--seed=7", "--clip", "0.5"], TRAIN_FLAGS).values.clip, 0.5);
  assertThrows(() => parseFlags(["--steps", "-5"], TRAIN_FLAGS), /"-5": out of range/);
  assertThrows(() => parseFlags(["--stepz", "5"], TRAIN_FLAGS), /did you mean --steps\?/);
  assertEquals(closestFlag("zzzzzz", TRAIN_FLAGS), undefined);
});

Deno.test("flags: typed values with every default applied once, from the spec", () => {
  const args = parseTrainArgs([]);
  assertEquals(args.overrides, PRESETS["1m"], "no flags: the 1m recipe");
  assertEquals(parseTrainArgs(["--preset", "none"]).overrides, {});
  assertEquals([args.corpus, args.printEvery, args.backend, args.help], [
    ["brown"],
    100,
    "auto",
    false,
  ]);
  assertEquals([args.corpusGiven, args.saveEvery, args.out, args.hiddenSize], [
    false,
    undefined,
    undefined,
    undefined,
  ]);
  const given = parseTrainArgs(["--corpus", "x.txt", "--temperature", "0", "--cell", "rnn"]);
  assertEquals([given.corpus, given.corpusGiven], [["x.txt"], true]);
  assertEquals(given.overrides, { ...PRESETS["1m"], sampleTemperature: 0, cell: "rnn" });
  const sample = parseFlags(["--checkpoint", "c"], SAMPLE_FLAGS).values;
  assertEquals(sample, {
    checkpoint: "c",
    prime: "",
    length: 500,
    temperature: 0.8,
    topK: 0,
    topP: 1,
    beam: undefined,
    stop: undefined,
    numSamples: 1,
    seed: undefined,
    format: "text",
    novelty: false,
    corpus: undefined,
    help: false,
  });
  const help = formatHelp("", SAMPLE_FLAGS);
  assertOk(help.includes('(default: "")') && help.includes("(default: 500)"), help);
  assertThrows(() => parseTrainArgs(["--out", ""]), /^UsageError: Empty --out; pass a path$/);
});

Deno.test("flags: former names and values still work, and help names the current ones", () => {
  for (const argv of [["--backend", "f64"], ["--engine", "plain"], ["--engine=f64"]]) {
    assertEquals(parseTrainArgs(argv).backend, "f64", argv.join(" "));
  }
  assertEquals(parseTrainArgs(["--engine", "wasm", "--threads", "1"]).backend, "wasm");
  for (const argv of [["--cell", "lstm"], ["--model", "lstm"], ["--model=lstm"]]) {
    assertEquals(parseTrainArgs(argv).overrides.cell, "lstm", argv.join(" "));
  }
  for (const argv of [["--weight-average", "0.99"], ["--ema", "0.99"], ["--ema=0.99"]]) {
    assertEquals(parseTrainArgs(argv).overrides.weightAverage, 0.99, argv.join(" "));
  }
  assertThrows(() => parseTrainArgs(["--ema", "1"]), /^UsageError: Invalid --weight-average "1"/);
  assertThrows(() => parseTrainArgs(["--engine", "gpu"]), /^UsageError: Invalid --backend "gpu"/);
  const help = trainHelp();
  const line = help.split("\n").find((l) => l.includes("--backend"))!;
  assertOk(line.endsWith("(default: auto) (formerly --engine)") && !line.includes("plain"), line);
  assertOk(/^ +--cell KIND .* \(formerly --model\)$/m.test(help), help);
  assertOk(/^ +--weight-average B .* \(formerly --ema\)$/m.test(help), help);
});

Deno.test("flags: config flags take their ranges, choices and defaults from the config", () => {
  const help = trainHelp();
  for (const { name, spec } of CONFIG_FLAGS) {
    const { type, description, ...checks } = CONFIG_FIELDS[spec.key];
    assertEquals(spec.type, type === "choice" ? "string" : type, name);
    for (const [k, v] of Object.entries(checks)) {
      assertEquals((spec as unknown as Record<string, unknown>)[k], v, `${name} ${k}`);
    }
    const line = help.split("\n").find((l) => l.trimStart().startsWith(`--${name} `))!;
    const plain = String(DEFAULT_CONFIG[spec.key]);
    const preset = String((PRESETS["1m"] as Partial<TrainConfig>)[spec.key] ?? plain);
    const shown = preset === plain
      ? plain
      : `${preset}, from --preset 1m; ${plain} with --preset none`;
    const formerly = spec.aliases ? ` (formerly --${spec.aliases.join(", --")})` : "";
    assertOk(line.endsWith(`${description} (default: ${shown})${formerly}`), line);
  }
  // the same limit whichever way the value comes in
  for (
    const [flag, text, key, value] of [
      ["--hidden-size", "4097", "hiddenSize", 4097],
      ["--num-layers", "9", "numLayers", 9],
      ["--dropout", "1", "dropout", 1],
      ["--sample-length", "0", "sampleLength", 0],
    ] as const
  ) {
    assertThrows(() => parseTrainArgs([flag, text]), new RegExp(`Invalid ${flag} "${text}"`));
    assertThrows(() => makeConfig({ [key]: value }), new RegExp(`Invalid ${key} ${value}`));
  }
  const plain = ["--preset", "none"];
  assertEquals(parseTrainArgs([...plain, "--hidden-size", "4096"]).overrides, { hiddenSize: 4096 });
  assertEquals(parseTrainArgs([...plain, "--dropout", "0.99"]).overrides, { dropout: 0.99 });
});

Deno.test("flags: every config field has a flag and resume refuses fixed changes", () => {
  const keys = CONFIG_FLAGS.map(({ spec }) => spec.key);
  assertEquals(keys.sort(), Object.keys(DEFAULT_CONFIG).sort());
  const saved = makeConfig({ hiddenSize: 16 });
  assertEquals(resumeConfig(saved, { steps: 50, hiddenSize: 16 }, "c").steps, 50);
  try {
    resumeConfig(saved, { hiddenSize: 32 }, "c");
    throw new Error("expected a UsageError");
  } catch (e) {
    assertOk(e instanceof UsageError && /--hidden-size 16/.test(e.message));
  }
  for (const f of listFlags(TRAIN_FLAGS)) assertOk(trainHelp().includes(`--${f.name}`), f.name);
});

Deno.test("train: a tiny model learns and writes checkpoints", { ignore }, async () => {
  const r = await cli("train", [
    "--corpus",
    corpus,
    ...TINY,
    ...FAST,
    "--steps",
    "30",
    "--print-every",
    "5",
    "--out",
    out,
  ]);
  assertEquals(r.code, 0, r.stderr);
  const seen = losses(r.stderr);
  assertEquals(seen.length, 7, r.stderr); // steps 1, 5, 10, ..., 30
  assertOk(seen.at(-1)! < seen[0]! - 0.3, `loss did not fall: ${seen}`);
  assertOk(/val loss [\d.]+ nats\/char \([\d.]+ bits\/char\)/.test(r.stdout), r.stdout);
  assertOk(r.stdout.includes("----- sample at step 10 (temperature 0.8) -----"), r.stdout);
  assertOk(r.stdout.includes(`deno task sample --checkpoint ${join(out, "best.safetensors")}`));
  const ckpt = await loadCheckpoint(latest);
  assertEquals([ckpt.step, ckpt.config.hiddenSize], [30, 16]);
  assertOk((await Deno.stat(join(out, "best.safetensors"))).isFile);
});

Deno.test("train --cell lstm/gru with stacked layers and dropout, then sample", {
  ignore,
}, async () => {
  for (const cell of ["lstm", "gru"]) {
    const dir2 = join(dir, cell);
    const r = await cli("train", [
      ...["--corpus", corpus, ...TINY, ...FAST, "--steps", "20", "--print-every", "5"],
      ...["--cell", cell, "--num-layers", "2", "--dropout", "0.1", "--out", dir2],
    ]);
    assertEquals(r.code, 0, r.stderr);
    const seen = losses(r.stderr);
    assertOk(seen.at(-1)! < seen[0]!, `${cell}: loss did not fall: ${seen}`);
    assertOk(r.stdout.includes(`Model ${cell}: hidden size 16, 2 layers, dropout 0.1`), r.stdout);
    const ckpt = await loadCheckpoint(join(dir2, "latest.safetensors"));
    assertEquals([ckpt.model.config.cell, ckpt.model.config.numLayers], [cell, 2]);
    const s = await cli("sample", [
      ...["--checkpoint", join(dir2, "latest.safetensors"), "--prime", "the ", "--length", "40"],
      ...["--seed", "3"],
    ]);
    assertEquals(s.code, 0, s.stderr);
    assertEquals([...s.stdout.replace(/\n$/, "")].length, 44, s.stdout);
  }
});

Deno.test("train --max-minutes stops on time, saves latest and exits 0", { ignore }, async () => {
  const dir2 = join(dir, "timed");
  const r = await cli("train", [
    ...["--corpus", corpus, ...TINY, "--steps", "10000000", "--max-minutes", "0.02"],
    ...["--eval-every", "0", "--sample-every", "0", "--out", dir2],
  ]);
  assertEquals(r.code, 0, r.stderr);
  assertOk(/Time budget of 0.02 min spent at step \d+/.test(r.stderr + r.stdout), r.stderr);
  const ckpt = await loadCheckpoint(join(dir2, "latest.safetensors"));
  assertOk(ckpt.step > 0 && ckpt.step < 10000000, `step ${ckpt.step}`);
  assertOk(ckpt.elapsedMs! >= 1200, `the checkpoint keeps the time spent: ${ckpt.elapsedMs} ms`);
  // resumed with a budget a quarter larger, the run has only that quarter left to train
  const more = await cli("train", [
    ...["--resume", join(dir2, "latest.safetensors"), "--max-minutes", "0.025"],
  ]);
  assertEquals(more.code, 0, more.stderr);
  const after = await loadCheckpoint(join(dir2, "latest.safetensors"));
  const firstSteps = ckpt.step, secondSteps = after.step - ckpt.step;
  assertOk(after.elapsedMs! >= 1500, `both sessions count: ${after.elapsedMs} ms`);
  assertOk(secondSteps < firstSteps, `${secondSteps} steps after ${firstSteps}: budget restarted`);
});

Deno.test({
  name:
    "train --weight-average: checkpoints hold the average as the model, resume goes on from the trained weights",
  ignore,
}, async () => {
  const dir2 = join(dir, "average");
  const r = await cli("train", [
    ...[
      "--corpus",
      corpus,
      ...TINY,
      ...FAST,
      "--steps",
      "20",
      "--weight-average",
      "0.9",
      "--out",
      dir2,
    ],
    ...["--weight-decay", "0.01"],
  ]);
  assertEquals(r.code, 0, r.stderr);
  const line = "learning rate 0.01, weight decay 0.01, clip norm 5, weight average 0.9;";
  assertOk(r.stdout.includes(line), r.stdout);
  const latest = join(dir2, "latest.safetensors");
  const ckpt = await loadCheckpoint(latest);
  assertEquals([ckpt.config.weightAverage, ckpt.average?.updates], [0.9, 20]);
  const trained = ckpt.average!.trained["l0.Wh"]!.data, averaged = ckpt.model.params["l0.Wh"]!.data;
  assertOk(trained.some((v, k) => v !== averaged[k]), "the average is not the trained weights");
  const more = await cli("train", ["--resume", latest, "--steps", "30"]);
  assertEquals(more.code, 0, more.stderr);
  assertEquals((await loadCheckpoint(latest)).average?.updates, 30);
  const s = await cli("sample", ["--checkpoint", join(dir2, "best.safetensors"), "--length", "20"]);
  assertEquals(s.code, 0, s.stderr);
});

Deno.test("train --preset: the recipe's values, flags override them; not with --resume", {
  ignore,
}, async () => {
  const dir2 = join(dir, "preset");
  const r = await cli("train", [
    ...["--preset", "5m", "--corpus", corpus, "--hidden-size", "16", "--seq-length", "10"],
    ...["--batch-size", "2", "--max-minutes", "0.01", "--sample-every", "0", "--out", dir2],
  ]);
  assertEquals(r.code, 0, r.stderr);
  assertOk(r.stdout.includes(`Model ${PRESETS["5m"].cell}: hidden size 16, 2 layers`), r.stdout);
  assertOk(r.stdout.includes("Training for 0.01 min"), r.stdout);
  assertOk(/step \d+: val loss/.test(r.stdout), `the last step is evaluated: ${r.stdout}`);
  const { config } = await loadCheckpoint(join(dir2, "latest.safetensors"));
  const { hiddenSize, maxMinutes, numLayers, warmupSteps, lrSchedule } = config;
  assertEquals(
    { hiddenSize, maxMinutes, numLayers, warmupSteps, lrSchedule },
    {
      ...pick(PRESETS["5m"], "numLayers", "warmupSteps", "lrSchedule"),
      hiddenSize: 16,
      maxMinutes: 0.01,
    },
  );
  const again = await cli("train", [
    "--resume",
    join(dir2, "latest.safetensors"),
    "--preset",
    "1m",
  ]);
  assertEquals(again.code, 2, again.stderr);
  assertOk(/Cannot use --preset with --resume/.test(again.stderr), again.stderr);
  const spent = await cli("train", ["--resume", join(dir2, "latest.safetensors")]);
  assertCleanError(spent, "resume with the budget spent");
  assertEquals(spent.code, 2);
  assertOk(
    /has spent its time budget .*pass a larger --max-minutes/.test(spent.stderr),
    spent.stderr,
  );
});

/** Some fields of an object. */
function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

Deno.test("sample: prime then exactly N characters; seeds repeat and differ", {
  ignore,
}, async () => {
  const args = ["--checkpoint", latest, "--prime", "The ", "--length", "50"];
  const [a, b, c] = await Promise.all([
    cli("sample", [...args, "--seed", "1"]),
    cli("sample", [...args, "--seed", "1"]),
    cli("sample", [...args, "--seed", "2"]),
  ]);
  for (const r of [a, b, c]) {
    assertEquals(r.code, 0, r.stderr);
    assertOk(r.stdout.startsWith("The ") && r.stdout.endsWith("\n"), JSON.stringify(r.stdout));
    assertEquals([...r.stdout.slice(4, -1)].length, 50);
  }
  assertEquals(a.stdout, b.stdout);
  assertOk(a.stdout !== c.stdout);
  const greedy = await cli("sample", [
    "--checkpoint",
    latest,
    "--temperature",
    "0",
    "--length",
    "7",
  ]);
  assertEquals([greedy.code, [...greedy.stdout].length], [0, 8]);
});

Deno.test("train --resume continues to the new --steps exactly like one long run", {
  ignore,
}, async () => {
  const r = await cli("train", ["--resume", latest, "--steps", "45", "--print-every", "5"]);
  assertEquals(r.code, 0, r.stderr);
  assertOk(/^step 31\/45 /m.test(r.stderr) && /^step 45\/45 /m.test(r.stderr), r.stderr);
  assertEquals((await loadCheckpoint(latest)).step, 45);
  const straight = join(dir, "straight");
  const s = await cli("train", [
    "--corpus",
    corpus,
    ...TINY,
    ...FAST,
    "--steps",
    "45",
    "--out",
    straight,
  ]);
  assertEquals(s.code, 0, s.stderr);
  assertEquals(
    await Deno.readFile(join(straight, "latest.safetensors")),
    await Deno.readFile(latest),
  );
});

Deno.test("train: Ctrl-C stops after the step, saves latest and exits 130", {
  ignore,
}, async () => {
  const outDir = join(dir, "interrupted");
  const run = await startTraining([
    ...["--corpus", corpus, ...TINY, "--steps", "10000000", "--out", outDir],
    ...["--print-every", "1000000", "--sample-every", "0", "--eval-every", "0"],
  ], 30_000); // never hang: a child that ignores SIGINT is killed (and the test fails)
  run.child.kill("SIGINT");
  const code = await run.finish(), stderr = run.stderr;
  assertEquals(code, 130, stderr);
  const saved = join(outDir, "latest.safetensors");
  assertOk(stderr.includes(`resume with: deno task train --resume ${saved}`), stderr);
  assertOk(!/^\s+at /m.test(stderr));
  assertOk((await loadCheckpoint(saved)).step >= 1);
});

Deno.test("help: every flag with its default, exit 0", {
  ignore: needs("read", "run"),
}, async () => {
  const [t, s] = await Promise.all([cli("train", ["--help"]), cli("sample", ["-h"])]);
  assertEquals([t.code, s.code], [0, 0]);
  for (const f of listFlags(TRAIN_FLAGS)) assertOk(t.stdout.includes(`--${f.name}`), f.name);
  assertOk(t.stdout.includes(`--hidden-size N`) && t.stdout.includes("(default: 256)"));
  for (const name of ["checkpoint", "prime", "length", "temperature", "top-k", "seed"]) {
    assertOk(s.stdout.includes(`--${name}`), name);
  }
});

Deno.test("bad input: one 'error:' line on stderr, no stack trace", { ignore }, async () => {
  const empty = join(dir, "empty.txt"), short = join(dir, "short.txt");
  const junk = join(dir, "junk.safetensors"), truncated = join(dir, "truncated.safetensors");
  const otherText = join(dir, "other.txt"), noTexts = join(dir, "no-texts");
  await Deno.mkdir(noTexts);
  await Deno.writeTextFile(empty, "");
  await Deno.writeTextFile(short, "Just a few words.");
  await Deno.writeTextFile(junk, "this is not a checkpoint at all");
  await Deno.writeTextFile(otherText, makeText(2000).toUpperCase());
  const bytes = await Deno.readFile(latest);
  await Deno.writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const base = ["--corpus", corpus, ...TINY, "--steps", "5", "--out", join(dir, "bad")];
  const cases: [string, "train" | "sample", string[], RegExp][] = [
    ["missing corpus", "train", ["--corpus", join(dir, "nope.txt")], /file not found/],
    ["corpus folder without texts", "train", ["--corpus", noTexts], /no .txt files/],
    ["empty corpus", "train", ["--corpus", empty], /empty/],
    ["corpus shorter than a batch", "train", ["--corpus", short], /too short.*--batch-size/],
    ["unknown flag", "train", [...base, "--hiden-size", "8"], /Unknown option --hiden-size/],
    ["non-numeric", "train", [...base, "--hidden-size", "abc"], /--hidden-size "abc"/],
    ["trailing junk", "train", [...base, "--steps", "12abc"], /--steps "12abc"/],
    ["blank number", "train", [...base, "--steps", ""], /--steps ""/],
    ["overflow", "train", [...base, "--learning-rate", "1e999"], /--learning-rate/],
    ["non-integer", "train", [...base, "--batch-size", "2.5"], /not an integer/],
    ["negative", "train", [...base, "--steps", "-5"], /--steps "-5": out of range/],
    ["zero learning rate", "train", [...base, "--learning-rate", "0"], /> 0/],
    [
      "unknown optimizer",
      "train",
      [...base, "--optimizer", "lbfgs"],
      /sgd, adagrad, rmsprop, adam/,
    ],
    ["unknown cell", "train", [...base, "--cell", "transformer"], /--cell .*rnn, lstm, gru/],
    ["dropout with one layer", "train", [...base, "--dropout", "0.5"], /layer/],
    ["missing value", "train", [...base, "--steps"], /Missing value for --steps/],
    ["positional argument", "train", [corpus], /Unexpected argument/],
    ["resume missing", "train", ["--resume", join(dir, "none.safetensors")], /not found/],
    ["resume corrupt", "train", ["--resume", junk, "--steps", "99"], /Invalid checkpoint/],
    ["resume changes H", "train", ["--resume", latest, "--hidden-size", "32"], /--hidden-size/],
    [
      "resume other text",
      "train",
      ["--resume", latest, "--corpus", otherText, "--steps", "99"],
      /does not match/,
    ],
    ["resume finished", "train", ["--resume", latest], /larger --steps/],
    ["missing --checkpoint", "sample", ["--length", "5"], /Missing --checkpoint/],
    ["missing checkpoint", "sample", ["--checkpoint", join(dir, "x.safetensors")], /not found/],
    ["corrupt checkpoint", "sample", ["--checkpoint", junk], /Invalid checkpoint/],
    ["truncated checkpoint", "sample", ["--checkpoint", truncated], /truncated|Invalid/],
    ["prime outside vocab", "sample", ["--checkpoint", latest, "--prime", "Zebra"], /"Z"/],
    ["bad length", "sample", ["--checkpoint", latest, "--length", "-1"], /--length/],
    ["bad temperature", "sample", ["--checkpoint", latest, "--temperature", "hot"], /--temp/],
    ["sample unknown flag", "sample", ["--checkpoint", latest, "--lenght", "5"], /--length\?/],
  ];
  // two at a time: the machine is shared
  for (let i = 0; i < cases.length; i += 2) {
    const batch = cases.slice(i, i + 2);
    const results = await Promise.all(batch.map(([, cmd, args]) => cli(cmd, args)));
    batch.forEach(([what, , , pattern], k) => {
      const r = results[k]!;
      assertCleanError(r, what);
      assertOk(pattern.test(r.stderr), `${what}: ${r.stderr}`);
      const usage =
        !/^(missing corpus|corpus|empty|resume (missing|corrupt|other)|missing check|corrupt|truncated|prime)/
          .test(what);
      assertEquals(r.code, usage ? 2 : 1, `${what}: exit code ${r.code}`);
    });
  }
});
