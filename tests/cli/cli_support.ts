/**
 * Helpers for end-to-end tests of the CLI: run a command as `deno task` does, a text written
 * for the tests, and the one-line error contract.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertOk } from "../assert.ts";
import { granted } from "../permissions.ts";

/** The project folder. */
export const ROOT: string = new URL("../..", import.meta.url).pathname;

/** The permission flags each `cli/` task runs with, read from deno.json's tasks. */
export const PERMISSIONS: Readonly<Record<string, readonly string[]>> = (() => {
  if (!granted("read")) return {}; // a bare `deno test`: the tests that run the CLI are skipped
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const out: Record<string, string[]> = {};
  for (const [task, line] of Object.entries(config.tasks as Record<string, string>)) {
    const m = /^deno run ((?:--allow-[a-z]+ )*)cli\/[a-z_]+\.ts$/.exec(line);
    if (m) out[task] = m[1]!.trim().split(" ").filter(Boolean);
  }
  return out;
})();

/** What a finished command printed. */
export interface Result {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/**
 * The command line of `cli/<command>.ts` as `deno task <command>` runs it. A `train` run that
 * names neither `--preset` nor `--resume` gets `--preset none`: the tests' tiny runs are about
 * the CLI, and stay step-bound and repeatable (a preset's schedule follows the clock).
 *
 * @param command The task (`train`, `sample`, `score`, `bench`, `export`, `import`).
 * @param args Its arguments.
 * @param permissions Permission flags instead of the task's.
 * @returns The arguments of `deno`.
 */
export function cliArgs(
  command: string,
  args: readonly string[],
  permissions?: readonly string[],
): string[] {
  const flags = permissions ?? PERMISSIONS[command];
  if (!flags) throw new Error(`No deno task runs cli/${command}.ts`);
  const pinned = command === "train" && !args.some((a) => /^--(preset|resume|help)\b|^-h$/.test(a))
    ? ["--preset", "none"]
    : [];
  return ["run", ...flags, join(ROOT, "cli", `${command}.ts`), ...pinned, ...args];
}

/**
 * Runs `cli/<command>.ts` as `deno task <command>` does.
 *
 * @param command The task.
 * @param args Its arguments.
 * @param options `prefix`: a program (and its arguments) to run deno under; `permissions`:
 *   permission flags instead of the task's.
 * @returns Exit code and output.
 */
export async function cli(
  command: string,
  args: readonly string[],
  options: { prefix?: readonly string[]; permissions?: readonly string[] } = {},
): Promise<Result> {
  const prefix = options.prefix ?? [];
  const [program, ...rest] = [
    ...prefix,
    Deno.execPath(),
    ...cliArgs(command, args, options.permissions),
  ];
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

/** A `deno task train` child that has finished its first step. */
export interface RunningTraining {
  /** The child process. */
  child: Deno.ChildProcess;
  /** Its stderr so far (read on until the end with {@linkcode RunningTraining.finish}). */
  stderr: string;
  /** Waits for the child to exit, reads the rest of stderr, and returns the exit code. */
  finish(): Promise<number>;
}

/**
 * Starts `deno task train` with `args` and waits until it has printed its first step (a
 * child that never gets there, or hangs, is killed after `timeoutMs`).
 *
 * @param args The train arguments.
 * @param timeoutMs When to kill the child at the latest.
 * @returns The running child.
 */
export async function startTraining(
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<RunningTraining> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs("train", args),
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const guard = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const run: RunningTraining = {
    child,
    stderr: "",
    async finish() {
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        run.stderr += chunk.value;
      }
      const { code } = await child.status;
      clearTimeout(guard);
      return code;
    },
  };
  while (!/^step +1\//m.test(run.stderr)) {
    const { value, done } = await reader.read();
    if (done) break;
    run.stderr += value;
  }
  return run;
}
