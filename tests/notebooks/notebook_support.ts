/**
 * Shared pieces of the notebook and browser tests: where Debian's Jupyter and Chromium live,
 * skipping (or failing on CI) when they are missing, running commands with a time limit, and
 * executing a notebook once per change of its inputs.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** Debian's python, which sees Debian's Jupyter modules (a pyenv python3 may not). */
export const PYTHON = "/usr/bin/python3";
/** Debian's jupyter. */
export const JUPYTER = "/usr/bin/jupyter";
/** Debian's Chromium. */
export const CHROMIUM = "/usr/bin/chromium";
/** The mime type of a Plotly figure output. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";
/** Repository root, ending in "/". */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
/** Where committed notebooks live. */
export const NOTEBOOK_DIR = `${ROOT}notebooks`;
/** Where tests leave executed notebooks and screenshots (gitignored). */
export const ARTIFACTS = `${ROOT}test-artifacts`;
/** CI must not skip: a missing tool fails the test instead. */
export const IN_CI = envVar("CI") === "true";

/**
 * A call of a plot display helper (a `TrainingMonitor` draws a live plot): a code cell containing
 * one must leave a plot output. Cells tagged "no-plot" are exempt; cells tagged "plot" must plot
 * whatever they call. Extend this when lib/ gains another display helper.
 */
export const PLOT_CALL =
  /\b(lineFigure|barFigure|heatmapFigure|histogramFigure|figureBundle|plotlyDisplay|livePlot|TrainingMonitor)\s*\(/;

/** One output of an executed cell (nbformat 4). */
export interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  text?: string | string[];
  ename?: string;
  evalue?: string;
}

/** One cell (nbformat 4). */
export interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[]; [key: string]: unknown };
  outputs?: Output[];
  execution_count?: number | null;
}

/** A notebook (nbformat 4). */
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** The result of {@linkcode run}. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion, killing it after `timeoutMs`.
 *
 * @param cmd Program path.
 * @param args Arguments.
 * @param options Working directory, time limit (default 120 s), extra environment.
 * @returns Exit code and decoded output (code 124 after a timeout).
 */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  try {
    const out = await child.output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    const stderr = decode(out.stderr) + (timedOut ? `\n(killed after ${timeoutMs} ms)` : "");
    return { code: timedOut ? 124 : out.code, stdout: decode(out.stdout), stderr };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Why Jupyter with the Deno kernel cannot be used here, or null when it can.
 *
 * @returns A reason naming what is missing, or null.
 */
export async function jupyterMissing(): Promise<string | null> {
  for (const path of [PYTHON, JUPYTER]) {
    if (!(await exists(path))) return `${path} is not installed`;
  }
  const probe = await run(PYTHON, [
    "-c",
    "import nbclient, nbformat, nbconvert, notebook\n" +
    "from jupyter_client.kernelspec import KernelSpecManager\n" +
    "print(KernelSpecManager().get_kernel_spec('deno').argv[0])",
  ], { timeoutMs: 30_000 });
  if (probe.code !== 0) {
    const last = probe.stderr.trim().split("\n").at(-1) ?? "";
    return `Jupyter with the Deno kernel is not usable from ${PYTHON} (${last})`;
  }
  return null;
}

/**
 * Why headless Chromium cannot be used here, or null when it can.
 *
 * @returns A reason, or null.
 */
export async function chromiumMissing(): Promise<string | null> {
  return (await exists(CHROMIUM)) ? null : `${CHROMIUM} is not installed`;
}

/**
 * Decides whether a test that needs missing tools is ignored: yes with a message outside CI,
 * no on CI (where the test then fails with `reason`).
 *
 * @param testFile Name printed in the message.
 * @param reason Why the tools are missing, or null when present.
 * @returns The `ignore` flag for `Deno.test`.
 */
export function ignoreWhenMissing(testFile: string, reason: string | null): boolean {
  if (reason === null) return false;
  if (IN_CI) {
    console.log(`${testFile}: ${reason}; CI=true so the tests fail instead of skipping`);
    return false;
  }
  console.log(
    `${testFile}: SKIPPED: ${reason}; run \`bash .ci/run\` to install Jupyter and Chromium`,
  );
  return true;
}

/**
 * The notebooks to test: notebooks/*.ipynb, sorted, or the comma-separated paths in the
 * NOTEBOOKS environment variable (for developing these tests against other notebooks).
 *
 * @returns Absolute paths (empty when there are none).
 */
export function listNotebooks(): string[] {
  const chosen = envVar("NOTEBOOKS");
  if (chosen) return chosen.split(",").map((p) => p.startsWith("/") ? p : `${Deno.cwd()}/${p}`);
  const paths: string[] = [];
  try {
    for (const entry of Deno.readDirSync(NOTEBOOK_DIR)) {
      if (entry.isFile && entry.name.endsWith(".ipynb")) {
        paths.push(`${NOTEBOOK_DIR}/${entry.name}`);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return paths.sort();
}

/**
 * Reads a notebook file.
 *
 * @param path The .ipynb file.
 * @returns The parsed notebook.
 */
export function readNotebook(path: string): Notebook {
  return JSON.parse(Deno.readTextFileSync(path)) as Notebook;
}

/**
 * A cell's source as one string.
 *
 * @param cell The cell.
 * @returns Its source text.
 */
export function cellSource(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/**
 * How many outputs of a cell are Plotly figures (their text/plain names them; a live plot's
 * updates carry no Plotly JSON).
 *
 * @param cell An executed cell.
 * @returns The count.
 */
export function plotOutputCount(cell: Cell): number {
  return (cell.outputs ?? []).filter((o) => {
    const plain = o.data?.["text/plain"];
    return (Array.isArray(plain) ? plain.join("") : String(plain ?? "")).startsWith(
      "Plotly figure",
    );
  }).length;
}

/** The result of {@linkcode executeNotebook}. */
export interface Executed {
  /** The executed copy under test-artifacts/executed/. */
  path: string;
  notebook: Notebook;
  /** Seconds the runner took (0 when reused). */
  seconds: number;
  /** True when an earlier run with the same inputs was reused. */
  reused: boolean;
  /** The runner's summary line. */
  log: string;
}

/**
 * Executes a notebook on the Deno kernel with tests/notebooks/notebook_runner.py. The executed copy is
 * kept with a hash of its inputs (the notebook, lib/, deno.json, the runner), so the notebook and browser
 * tests of one `deno task test` execute each notebook once.
 *
 * @param path The .ipynb to execute.
 * @returns The executed notebook.
 * @throws {Error} With the runner's output when a cell fails.
 */
export async function executeNotebook(path: string): Promise<Executed> {
  const name = path.split("/").at(-1)!.replace(/\.ipynb$/, "");
  const dir = `${ARTIFACTS}/executed`;
  await Deno.mkdir(dir, { recursive: true });
  const outPath = `${dir}/${name}.ipynb`;
  const hashPath = `${dir}/${name}.inputs-sha256`;
  const hash = await inputsHash(path);
  if ((await readOrNull(hashPath)) === hash && (await exists(outPath))) {
    return { path: outPath, notebook: readNotebook(outPath), seconds: 0, reused: true, log: "" };
  }
  await Deno.remove(hashPath).catch(() => {});
  const start = performance.now();
  const result = await runNotebook(path, outPath);
  const seconds = (performance.now() - start) / 1000;
  if (result.code !== 0) {
    throw new Error(`Notebook ${name} failed (runner exit ${result.code}):\n${result.stderr}`);
  }
  await Deno.writeTextFile(hashPath, hash);
  const log = result.stderr.trim().split("\n").filter((l) => l.startsWith("notebook_runner:"))
    .join("\n");
  return { path: outPath, notebook: readNotebook(outPath), seconds, reused: false, log };
}

function runNotebook(path: string, outPath: string) {
  return run(PYTHON, [`${ROOT}tests/notebooks/notebook_runner.py`, path, outPath], {
    timeoutMs: 15 * 60_000,
  });
}

async function inputsHash(notebookPath: string): Promise<string> {
  const files = [notebookPath, `${ROOT}tests/notebooks/notebook_runner.py`, `${ROOT}deno.json`];
  files.push(...libFiles(`${ROOT}lib`));
  const parts: string[] = [];
  for (const file of files.slice(0, 3).concat(files.slice(3).sort())) {
    const bytes = await Deno.readFile(file).catch(() => new Uint8Array());
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    parts.push(`${file} ${toHex(new Uint8Array(digest))}`);
  }
  const all = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n")));
  return toHex(new Uint8Array(all));
}

/** Every file under `dir`, its subfolders included (lib/ is split into folders by concept). */
function libFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...libFiles(path));
    else if (entry.isFile) files.push(path);
  }
  return files;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * An environment variable, or undefined when it is unset or env access is not granted, so that
 * `deno task strip-notebooks` (which has no --allow-env) neither fails nor prompts.
 */
function envVar(name: string): string | undefined {
  const access = Deno.permissions.querySync({ name: "env", variable: name });
  return access.state === "granted" ? Deno.env.get(name) : undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}
