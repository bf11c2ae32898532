// Notebooks run as people run them: a Jupyter Notebook 6 server, the notebook opened in
// headless Chromium, Cell > Run All on a fresh kernel, and as soon as the kernel is idle after the
// last cell, every code cell's outputs read from the page. Each cell must show exactly what it
// showed in the reference run (stock nbclient, `executeNotebook`), numbers masked: nothing lost,
// nothing in the wrong cell; and the server's log must hold no "Invalid Signature". Nothing is
// rerun and nothing waits for late output. RUN_ALL=foundation:3,names:1 (the default) sets the
// runs per notebook. Screenshots go to test-artifacts/run-all/.
import type { BrowserContext, Page } from "playwright-core";
import { assertEquals, assertOk } from "../assert.ts";
import {
  ARTIFACTS,
  type Cell,
  cellSource,
  CHROMIUM,
  chromiumMissing,
  executeNotebook,
  ignoreWhenMissing,
  jupyterMissing,
  listNotebooks,
  type Output,
  ROOT,
} from "./notebook_support.ts";
import {
  CHROMIUM_ARGS,
  logTail,
  shutdownKernels,
  startServer,
  stopServer,
  withTimeout,
} from "./jupyter_server.ts";
import { needs } from "../permissions.ts";

const unpermitted = needs("read", "write", "run", "env", "net", "sys"); // not even a listing
const notebooks = unpermitted ? [] : listNotebooks();
const missing = notebooks.length > 0 ? (await jupyterMissing()) ?? (await chromiumMissing()) : null;
const ignore = ignoreWhenMissing("run_all_test", missing);
const WORK = `${ARTIFACTS}/run-all`;
const RUNS = runsPerNotebook(unpermitted ? "" : Deno.env.get("RUN_ALL") ?? "foundation:3,names:1");

/** The runs per notebook name, from `name:count,...`; a notebook not named runs once. */
function runsPerNotebook(spec: string): Map<string, number> {
  return new Map(
    spec.split(",").map((part) => {
      const [name, count] = part.split(":");
      return [name!.trim(), Number(count ?? 1)];
    }),
  );
}

/** The page's model of the notebook (Notebook 6's `Jupyter` global), as used here. */
interface PageCell {
  cell_type: string;
  input_prompt_number?: number | string | null;
  output_area?: { outputs: Output[] };
}
declare const Jupyter: {
  notebook: {
    kernel?: { info_reply?: Record<string, unknown> };
    get_cells(): PageCell[];
    execute_all_cells(): void;
  };
};
declare const document: {
  querySelector(selector: string): { classList: { contains(c: string): boolean } } | null;
  querySelectorAll(selector: string): { length: number };
};

/** One output as a line to compare: its type, and its text with every number masked. */
function signature(out: Output): string {
  // durations first ("58.3s" and "1m05s" alike), then every other number
  const mask = (s: string) =>
    s.replace(/\b(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?s\b/g, "#s").replace(/\d+(?:[.,]\d+)*/g, "#");
  const text = (v: unknown) => Array.isArray(v) ? v.join("") : String(v ?? "");
  if (out.output_type === "stream") return `stream: ${mask(text(out.text))}`;
  if (out.output_type === "error") return `error: ${out.ename}: ${out.evalue}`;
  const plain = out.data?.["text/plain"];
  const html = text(out.data?.["text/html"]);
  const kind = plain !== undefined
    ? mask(text(plain))
    : html.includes("charrnnPieces")
    ? "piece"
    : "html";
  return `display: ${kind}`;
}

/** A cell's outputs as signatures, consecutive streams joined (as a page and nbformat do). */
function signatures(outputs: readonly Output[]): string[] {
  const merged: Output[] = [];
  for (const out of outputs) {
    const last = merged.at(-1);
    if (out.output_type === "stream" && last?.output_type === "stream") {
      const join = (v: unknown) => Array.isArray(v) ? v.join("") : String(v ?? "");
      merged[merged.length - 1] = { ...last, text: join(last.text) + join(out.text) };
    } else merged.push(out);
  }
  return merged.map(signature);
}

/** Sets up a folder the server serves, where the notebook's `../lib` and `../data` resolve. */
async function prepareWork(path: string, name: string): Promise<string> {
  await Deno.mkdir(`${WORK}/notebooks`, { recursive: true });
  for (const dir of ["lib", "data", "runs"]) {
    await Deno.remove(`${WORK}/${dir}`).catch(() => {});
    await Deno.symlink(`${ROOT}${dir}`, `${WORK}/${dir}`);
  }
  const copy = `${WORK}/notebooks/${name}.ipynb`;
  await Deno.copyFile(path, copy);
  return copy;
}

/**
 * Opens the notebook, runs all cells, waits until every code cell has its execution count and the
 * kernel is idle, and reads every code cell's outputs. A page that never sees the kernel go idle
 * (its iopub stream broken) is read 30 s after the last count and reported.
 */
async function runAllInPage(
  page: Page,
  url: string,
): Promise<{ outputs: Output[][]; idle: boolean }> {
  await page.goto(url, { waitUntil: "domcontentloaded", timeout: 60_000 });
  await page.waitForFunction(
    () => {
      const kernel = Jupyter?.notebook?.kernel;
      const icon = document.querySelector("#kernel_indicator_icon");
      return kernel?.info_reply?.status === "ok" && icon?.classList.contains("kernel_idle_icon");
    },
    undefined,
    { timeout: 120_000, polling: 250 },
  );
  await page.evaluate(() => Jupyter.notebook.execute_all_cells());
  await page.waitForFunction(
    () => {
      const code = Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code");
      return code.every((c) => typeof c.input_prompt_number === "number");
    },
    undefined,
    { timeout: 20 * 60_000, polling: 100 },
  );
  const idle = await page.waitForFunction(
    () => {
      const icon = document.querySelector("#kernel_indicator_icon");
      return icon !== null && icon.classList.contains("kernel_idle_icon");
    },
    undefined,
    { timeout: 30_000, polling: 100 },
  ).then(() => true, () => false);
  const outputs = await page.evaluate(() =>
    Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code")
      .map((c) => JSON.parse(JSON.stringify(c.output_area?.outputs ?? [])))
  );
  return { outputs, idle };
}

/** Where a page's outputs differ from the reference, one line per cell; empty when they agree. */
function differences(reference: Cell[], page: Output[][]): string[] {
  const problems: string[] = [];
  reference.forEach((cell, i) => {
    const want = signatures(cell.outputs ?? []), got = signatures(page[i] ?? []);
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      const head = cellSource(cell).split("\n")[0];
      problems.push(
        `code cell ${i} (${head}): want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`,
      );
    }
  });
  return problems;
}

for (const path of notebooks) {
  const name = path.split("/").at(-1)!.replace(/\.ipynb$/, "");
  const runs = RUNS.get(name) ?? 1;
  Deno.test({
    name: `Run All of ${name}.ipynb in a Notebook 6 page shows every output in its cell (${runs}x)`,
    ignore: ignore || runs === 0,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      if (missing !== null) throw new Error(missing);
      const executed = await executeNotebook(path);
      const reference = executed.notebook.cells.filter((c) => c.cell_type === "code");
      for (const [i, cell] of reference.entries()) {
        const src = cellSource(cell);
        const outputs = cell.outputs ?? [];
        if (/await show\(/.test(src)) {
          assertOk(
            outputs.some((o) => o.output_type === "display_data"),
            `${name} code cell ${i} shows nothing`,
          );
        }
        if (/console\.log\(/.test(src) && !/log: null/.test(src)) {
          assertOk(
            outputs.some((o) => o.output_type === "stream"),
            `${name} code cell ${i} prints nothing`,
          );
        }
      }
      await prepareWork(path, name);
      const server = await startServer(WORK);
      const profile = await Deno.makeTempDir({ prefix: "charrnn-chromium-" });
      let context: BrowserContext | undefined;
      try {
        const { chromium } = await import("playwright-core"); // it reads the environment on import
        context = await chromium.launchPersistentContext(profile, {
          executablePath: CHROMIUM,
          headless: true,
          args: CHROMIUM_ARGS,
          viewport: { width: 1280, height: 1000 },
          timeout: 60_000,
        });
        const failures: string[] = [];
        let garbledBefore = 0; // the server log is shared by the runs
        for (let run = 1; run <= runs; run++) {
          const page = await context.newPage();
          const start = performance.now();
          const url = `${server.url}/notebooks/notebooks/${name}.ipynb?token=${server.token}`;
          const { outputs, idle } = await runAllInPage(page, url);
          const seconds = (performance.now() - start) / 1000;
          await page.addStyleTag({
            content: "#site { height: auto !important; overflow: visible; }",
          });
          await page.screenshot({ path: `${WORK}/${name}-run${run}.png`, fullPage: true })
            .catch(() => {});
          await page.close();
          const problems = differences(reference, outputs);
          if (!idle) problems.push("the page never saw the kernel go idle after the last cell");
          const log = await Deno.readTextFile(server.logPath);
          const total = log.split("\n").filter((l) => /Invalid Signature/i.test(l)).length;
          const garbled = total - garbledBefore;
          garbledBefore = total;
          const line = `${name} run ${run}: ${reference.length} code cells, ${problems.length} ` +
            `wrong, ${garbled} Invalid Signature lines in the server log, ${seconds.toFixed(1)} s`;
          console.log(`  ${line}`);
          // as it happens, for long sessions (RUN_ALL=foundation:20): deno prints at the end
          await Deno.writeTextFile(`${WORK}/runs.log`, `${line}\n${problems.join("\n")}\n`, {
            append: true,
          });
          for (const problem of problems) failures.push(`run ${run}: ${problem}`);
          if (garbled > 0) failures.push(`run ${run}: the server log has Invalid Signature`);
          await shutdownKernels(server); // the next run starts a fresh kernel on a clean copy
          await prepareWork(path, name);
        }
        assertEquals(failures, [], `${name}: outputs lost or misplaced`);
      } catch (error) {
        console.log(`jupyter notebook log:\n${await logTail(server.logPath)}`);
        throw error;
      } finally {
        if (context) {
          await withTimeout(context.close(), 30_000, "Chromium to close").catch(() => {});
        }
        await stopServer(server);
        await Deno.remove(profile, { recursive: true }).catch(() => {});
      }
    },
  });
}
