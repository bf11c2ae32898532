/**
 * Helpers for end-to-end tests of the CLI: run a command as `deno task` does, a text written
 * for the tests, and the one-line error contract.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";

/** The project folder. */
export const ROOT: string = new URL("../..", import.meta.url).pathname;

/** The permissions each task runs with (as in deno.json). */
export const PERMISSIONS = {
  train: ["--allow-read", "--allow-write", "--allow-env", "--allow-ffi"],
  sample: ["--allow-read", "--allow-env", "--allow-ffi"],
} as const;

/** What a finished command printed. */
export interface Result {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** The command line of `cli/<command>.ts` as `deno task <command>` runs it. */
export function cliArgs(command: "train" | "sample", args: readonly string[]): string[] {
  return ["run", ...PERMISSIONS[command], join(ROOT, "cli", `${command}.ts`), ...args];
}

/**
 * Runs `cli/<command>.ts` as `deno task <command>` does.
 *
 * @param command The task.
 * @param args Its arguments.
 * @param options `prefix`: a program (and its arguments) to run deno under.
 * @returns Exit code and output.
 */
export async function cli(
  command: "train" | "sample",
  args: readonly string[],
  options: { prefix?: readonly string[] } = {},
): Promise<Result> {
  const prefix = options.prefix ?? [];
  const [program, ...rest] = [...prefix, Deno.execPath(), ...cliArgs(command, args)];
  const out = await new Deno.Command(program!, {
    args: rest,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * A few kilobytes of plain sentences from our own word lists (deterministic).
 *
 * @param chars At least this many characters.
 * @param seed Varies the sentences.
 * @returns The text.
 */
export function makeText(chars: number, seed = 12345): string {
  const subjects = ["the cat", "a dog", "the old man", "my friend", "the bird", "her brother"];
  const verbs = ["sat on", "looked at", "ran to", "found", "talked about", "walked past"];
  const objects = ["the mat", "a red house", "the river", "his hat", "the green door", "a tree"];
  const pick = (list: string[]) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return list[seed % list.length]!;
  };
  let text = "";
  while (text.length < chars) {
    const s = `${pick(subjects)} ${pick(verbs)} ${pick(objects)}.`;
    text += s[0]!.toUpperCase() + s.slice(1) + (text.length % 7 === 0 ? "\n" : " ");
  }
  return text;
}

/**
 * Asserts the one-line, stack-free error contract: non-zero exit, one `error:` line on stderr
 * (after the progress lines of the steps trained, with `afterSteps`).
 *
 * @param r The result.
 * @param what What was run, for messages.
 * @param options `afterSteps`: the run trained before failing, so progress lines come first.
 */
export function assertCleanError(
  r: Result,
  what: string,
  options: { afterSteps?: boolean } = {},
): void {
  let lines = r.stderr.trimEnd().split("\n");
  if (options.afterSteps) lines = lines.filter((l) => !/^step +\d+\/\d+ /.test(l));
  assertOk(r.code !== 0, `${what}: exit code 0`);
  assertEquals(lines.length, 1, `${what}: expected one stderr line, got:\n${r.stderr}`);
  assertOk(lines[0]!.startsWith("error: "), `${what}: ${lines[0]}`);
  assertOk(!/^\s+at /m.test(r.stderr), `${what}: stack trace in\n${r.stderr}`);
}
