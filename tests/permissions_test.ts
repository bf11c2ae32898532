// A bare `deno test` skips the tests that need permissions, one line per file saying that
// `deno task test` runs them; with --allow-all the same files run every test and skip none.
import { assertEquals, assertOk } from "./assert.ts";
import { needs } from "./permissions.ts";

const ROOT = new URL("..", import.meta.url).pathname;
/** Three tests that all need read and write, and six of which one needs read. */
const FILES = ["tests/io/run_lock_test.ts", "tests/text/tokens_test.ts"];

async function denoTest(flags: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", ...flags, ...FILES],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
  return text;
}

Deno.test("bare deno test skips what needs permissions, one line per file", {
  ignore: needs("run"),
}, async () => {
  const text = await denoTest([]);
  assertOk(/^ok \| 5 passed \| 0 failed \| 4 ignored/m.test(text), text);
  assertEquals(text.split("\n").filter((line) => line.includes("deno task test")).sort(), [
    "tests/io/run_lock_test.ts: skipped the tests that need --allow-read --allow-write; " +
    "`deno task test` runs them",
    "tests/text/tokens_test.ts: skipped the tests that need --allow-read; " +
    "`deno task test` runs them",
  ]);
});

Deno.test("with --allow-all the same files skip nothing", { ignore: needs("run") }, async () => {
  const text = await denoTest(["--allow-all"]);
  assertOk(/^ok \| 9 passed \| 0 failed \(/m.test(text), text);
  assertOk(!text.includes("deno task test"), text);
});
