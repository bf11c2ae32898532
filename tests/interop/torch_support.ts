/**
 * Shared pieces of the PyTorch interop tests: Debian's python3-torch, skipping (or failing on
 * CI) when it is missing, the Python probe, and the workbench commands as subprocesses.
 *
 * @module
 */
import { join } from "node:path";
import { decodeSafetensors } from "../../lib/io/safetensors.ts";
import type { CharModel } from "../../lib/model/char_model.ts";
import { cliArgs } from "../cli/cli_support.ts";
import { IN_CI, PYTHON, ROOT, run, type RunResult } from "../notebooks/notebook_support.ts";

export { IN_CI, PYTHON, ROOT, run, type RunResult };

/** Debian's torchrun (python3-torch). */
export const TORCHRUN = "/usr/bin/torchrun";
/** The module under test. */
export const MODULE = join(ROOT, "python", "charrnn_torch.py");
/** No bytecode left beside the sources. */
export const PY_ENV = { PYTHONDONTWRITEBYTECODE: "1" };

/**
 * Why PyTorch cannot be used here, or null when it can.
 *
 * @returns A reason, or null.
 */
export async function torchMissing(): Promise<string | null> {
  try {
    await Deno.stat(PYTHON);
  } catch {
    return `${PYTHON} is not installed`;
  }
  const probe = await run(PYTHON, [
    "-c",
    "import torch, torch.distributed as d; print(torch.__version__, d.is_gloo_available())",
  ], {
    timeoutMs: 60_000,
  });
  if (probe.code !== 0) {
    return `${PYTHON} cannot import torch (${probe.stderr.trim().split("\n").at(-1) ?? ""})`;
  }
  return null;
}

/**
 * Whether the tests are ignored: yes with a message when torch is missing outside CI; on CI
 * (`CI=true`) they run and fail instead.
 *
 * @param reason From {@linkcode torchMissing}.
 * @returns The `ignore` flag for `Deno.test`.
 */
export function ignoreWithoutTorch(reason: string | null): boolean {
  if (reason === null) return false;
  if (IN_CI) {
    console.log(`torch_test: ${reason}; CI=true so the tests fail instead of skipping`);
    return false;
  }
  console.log(
    `torch_test: SKIPPED: ${reason}; install Debian's python3-torch (bash .ci/run does)`,
  );
  return true;
}

/** One job of `torch_probe.py`. */
export type ProbeJob =
  | { op: "train"; argv: string[] }
  | { op: "logits"; model: string; text: string; out: string }
  | { op: "sample"; model: string; prime: string; length: number; out: string };

/**
 * Runs jobs in one Python process (see `torch_probe.py`), failing on a non-zero exit.
 *
 * @param dir Where the job list is written.
 * @param jobs The jobs, in order.
 * @returns The process output.
 */
export async function probe(dir: string, jobs: ProbeJob[]): Promise<RunResult> {
  const path = join(dir, `jobs-${crypto.randomUUID()}.json`);
  await Deno.writeTextFile(path, JSON.stringify(jobs));
  const r = await run(PYTHON, [join(ROOT, "tests", "interop", "torch_probe.py"), path], {
    timeoutMs: 300_000,
    env: PY_ENV,
  });
  if (r.code !== 0) throw new Error(`torch_probe.py failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Runs `python/charrnn_torch.py` with these arguments, failing on a non-zero exit.
 *
 * @param args Its arguments (`train ...`, `sample ...`).
 * @returns The process output.
 */
export async function charrnnTorch(args: string[]): Promise<RunResult> {
  const r = await run(PYTHON, [MODULE, ...args], { timeoutMs: 300_000, env: PY_ENV });
  if (r.code !== 0) {
    throw new Error(`charrnn_torch.py failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

/**
 * A temporary folder for one test file, removed when the process ends.
 *
 * @param prefix Its name's start.
 * @returns A function giving the folder (made on the first call).
 */
export function tempDir(prefix: string): () => Promise<string> {
  let dir = "";
  return async () => {
    if (!dir) {
      dir = await Deno.makeTempDir({ prefix });
      globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    }
    return dir;
  };
}

/**
 * The `(T, V)` logits a probe job wrote.
 *
 * @param path The probe's output file.
 * @returns Row-major float32 logits as float64.
 */
export async function readLogits(path: string): Promise<Float64Array> {
  const t = decodeSafetensors(await Deno.readFile(path)).tensors.logits!;
  return Float64Array.from(t.data);
}

/**
 * Runs `cli/<command>.ts` with the permissions of its `deno task`.
 *
 * @param command `export`, `import`, `train` or `sample`.
 * @param args Its arguments.
 * @returns Exit code and output.
 */
export function workbench(
  command: "export" | "import" | "train" | "sample",
  args: string[],
): Promise<RunResult> {
  return run(Deno.execPath(), cliArgs(command, args), { cwd: ROOT, timeoutMs: 120_000 });
}

/**
 * Our logits over character indices, one `step` at a time from a zero state (the sampler's
 * path), `(N, V)`.
 *
 * @param model The model.
 * @param ids The text's indices.
 * @returns The logits of each position.
 */
export function stepLogits(model: CharModel, ids: ArrayLike<number>): Float64Array {
  const V = model.config.vocabSize;
  const out = new Float64Array(ids.length * V), state = model.initialState(1);
  const logits = new Float64Array(V);
  for (let n = 0; n < ids.length; n++) {
    model.step(Int32Array.of(ids[n]!), state, logits);
    out.set(logits, n * V);
  }
  return out;
}

/**
 * A text of plain sentences from word lists of our own (deterministic).
 *
 * @param chars Minimum length.
 * @returns The text.
 */
export function makeText(chars: number): string {
  const subjects = ["the miller", "a fox", "old Tomás", "my aunt", "the heron", "her cousin"];
  const verbs = ["crossed", "painted", "sang about", "mended", "waited by", "counted"];
  const objects = ["the bridge", "a blue boat", "the orchard", "his nets", "the well", "a lamp"];
  let seed = 2024;
  const pick = (list: string[]) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return list[Math.floor(seed / 65536) % list.length]!;
  };
  let text = "";
  while (text.length < chars) {
    const s = `${pick(subjects)} ${pick(verbs)} ${pick(objects)}`;
    text += s[0]!.toUpperCase() + s.slice(1) + (seed % 5 === 0 ? "!\n" : ". ");
  }
  return text;
}

/**
 * The largest absolute difference of two arrays of the same length.
 *
 * @param a Values.
 * @param b Values, as many.
 * @returns `max |a - b|`.
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`${a.length} values vs ${b.length}`);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}
