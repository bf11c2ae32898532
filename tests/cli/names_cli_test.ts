// `deno task names` end to end on the bundled Sanskrit list (a few seconds of training): the same
// seed gives the same names, trained again or drawn from the checkpoint; --prefix; --format
// jsonl; a saved model is never replaced unasked; and bad input (an empty list, a list of one
// name, a prefix outside the list's symbols) gives one clean line before any training.
import { join } from "node:path";
import { assertCleanError, cli } from "./cli_support.ts";
import { assertEquals, assertOk } from "../assert.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write", "run", "env"); // the tests run the CLI in `dir`
const dir = ignore ? "" : await Deno.makeTempDir({ prefix: "names_cli_test_" });
globalThis.addEventListener("unload", () => ignore || Deno.removeSync(dir, { recursive: true }));
const first = join(dir, "a"), ckpt = join(first, "best.safetensors");
const trained = ignore
  ? { code: 0, stdout: "", stderr: "" }
  : await cli("names", ["--list", "sanskrit", "--out", first, "--count", "12"]);

Deno.test(
  "names: trains on a bundled list, prints new names and one summary line",
  { ignore },
  () => {
    assertEquals(trained.code, 0, trained.stderr);
    const names = trained.stdout.trimEnd().split("\n");
    assertEquals(names.length, 12);
    assertEquals(new Set(names).size, 12);
    assertOk(
      /^12 names drawn: 100\.0% new, 100\.0% distinct, [\d.]+% well formed; held-out names [\d.]+ bits per code point \(bigram baseline [\d.]+\); printed 12$/m
        .test(trained.stderr),
      trained.stderr,
    );
    assertOk(/^step +1\/\d+ .*ETA/m.test(trained.stderr), trained.stderr);
  },
);

Deno.test("names: the same seed gives the same names, trained again or from the checkpoint", {
  ignore,
}, async () => {
  const again = await cli("names", [
    "--list",
    "sanskrit",
    "--out",
    join(dir, "b"),
    "--count",
    "12",
  ]);
  assertEquals(again.stdout, trained.stdout);
  const saved = await cli("names", ["--checkpoint", ckpt, "--count", "12"]);
  assertEquals(saved.code, 0, saved.stderr);
  assertEquals(saved.stdout, trained.stdout);
  const other = await cli("names", ["--checkpoint", ckpt, "--count", "12", "--seed", "43"]);
  assertOk(other.stdout !== trained.stdout, other.stdout);
});

Deno.test(
  "names: --prefix starts every name; --format jsonl gives name, new, logProb",
  { ignore },
  async () => {
    const r = await cli("names", ["--checkpoint", ckpt, "--prefix", "सु", "--format", "jsonl"]);
    assertEquals(r.code, 0, r.stderr);
    const rows = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assertEquals(rows.length, 20);
    for (const row of rows) {
      assertEquals(Object.keys(row), ["name", "new", "logProb"]);
      assertOk(
        row.name.startsWith("सु") && row.new === true && row.logProb < 0,
        JSON.stringify(row),
      );
    }
  },
);

Deno.test(
  "names: a folder that holds a model is not replaced without --retrain",
  { ignore },
  async () => {
    const before = await Deno.readFile(ckpt);
    const r = await cli("names", ["--list", "sanskrit", "--out", first]);
    assertCleanError(r, "training into a used folder");
    assertOk(/already holds a name model; .*--checkpoint .*--retrain/.test(r.stderr), r.stderr);
    assertEquals(await Deno.readFile(ckpt), before);
  },
);

Deno.test("names: an empty list, one name, or a foreign prefix: one line, nothing trained", {
  ignore,
}, async () => {
  const empty = join(dir, "empty.txt"), one = join(dir, "one.txt");
  await Deno.writeTextFile(empty, "\n  \n");
  await Deno.writeTextFile(one, "Ada\n");
  const cases: [string[], RegExp][] = [
    [["--list", empty], /Cannot learn from list ".*empty.txt": it has 0 distinct names/],
    [["--list", one], /list ".*one.txt": it has 1 distinct name; .* at least 10/],
    [["--list", "sanskrit", "--prefix", "Z"], /--prefix "Z": .*"Z" \(U\+005A\) never occurs/],
    [["--list", join(dir, "missing.txt")], /Cannot read list .*missing.txt": file not found/],
  ];
  for (const [args, pattern] of cases) {
    const out = join(dir, "never");
    const r = await cli("names", [...args, "--out", out]);
    assertCleanError(r, args.join(" "));
    assertOk(pattern.test(r.stderr), r.stderr);
    assertOk(!r.stderr.includes("step "), `trained before failing: ${r.stderr}`);
    assertEquals(await Deno.stat(out).then(() => true, () => false), false);
  }
  const usage = await cli("names", ["--checkpoint", ckpt, "--list", "sanskrit"]);
  assertCleanError(usage, "--checkpoint with --list");
  assertEquals(usage.code, 2);
});
