// Notebooks as a person sees them: each executed notebook opened from a real Jupyter Notebook 6
// server, and its HTML export opened from disk, in headless Chromium with the network cut off.
// Every plot output must be drawn as an SVG with traces, and every generator widget must
// generate in the page (widget_page.ts), on the live page also after its kernel is shut down.
// Screenshots go to test-artifacts/browser/.
// Set NOTEBOOKS=a.ipynb,b.ipynb to test other notebooks than notebooks/*.ipynb.
import type { BrowserContext, Page } from "playwright-core";
import { assertEquals } from "../assert.ts";
import {
  ARTIFACTS,
  CHROMIUM,
  chromiumMissing,
  executeNotebook,
  ignoreWhenMissing,
  JUPYTER,
  jupyterMissing,
  listNotebooks,
  type Notebook,
  plotOutputCount,
  PYTHON,
  run,
} from "./notebook_support.ts";
import { checkWidgets, TYPED_PRIMES, type WidgetCheck, widgetOutputCount } from "./widget_page.ts";
import { needs } from "../permissions.ts";

const unpermitted = needs("read", "write", "run", "env", "net", "sys"); // not even a listing
const notebooks = unpermitted ? [] : listNotebooks();
const missing = notebooks.length > 0 ? (await jupyterMissing()) ?? (await chromiumMissing()) : null;
const ignore = unpermitted || ignoreWhenMissing("browser_test", missing);
const SHOTS = `${ARTIFACTS}/browser`;
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Drawn traces inside a plot: line and bar paths, heatmap images. */
const TRACE_SELECTOR =
  ".main-svg .cartesianlayer g.trace path[d], .main-svg .cartesianlayer g.hm image";

/** The little of the page's DOM that the functions evaluated in Chromium use. */
interface PageElement {
  querySelector(selector: string): PageElement | null;
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement> };

/** A running `jupyter notebook` server. */
interface Server {
  url: string;
  token: string;
  child: Deno.ChildProcess;
  logPath: string;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function startServer(dir: string): Promise<Server> {
  const port = freePort();
  const token = crypto.randomUUID().replaceAll("-", "");
  const logPath = `${dir}/server.log`;
  const child = new Deno.Command(JUPYTER, {
    args: [
      "notebook",
      "--no-browser",
      "--allow-root",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${dir}`,
    ],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = await Deno.open(logPath, { write: true, create: true, truncate: true });
  child.stderr.pipeTo(log.writable).catch(() => {});
  const server = { url: `http://127.0.0.1:${port}`, token, child, logPath };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${server.url}/api/status?token=${token}`, {
        signal: AbortSignal.timeout(2_000),
      });
      await response.body?.cancel();
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  await stopServer(server);
  throw new Error(`jupyter notebook did not start in 30 s:\n${await logTail(logPath)}`);
}

/** Shuts down the kernels the pages started (their sessions) and waits until none runs. */
async function shutdownKernels(server: Server): Promise<void> {
  const headers = { Authorization: `token ${server.token}` };
  const list = (what: string) =>
    fetch(`${server.url}/api/${what}`, { headers, signal: AbortSignal.timeout(5_000) })
      .then((r) => r.json()) as Promise<{ id: string }[]>;
  for (const s of await list("sessions")) {
    await fetch(`${server.url}/api/sessions/${s.id}`, {
      method: "DELETE",
      headers,
      signal: AbortSignal.timeout(10_000),
    }).then((r) => r.body?.cancel());
  }
  const deadline = Date.now() + 15_000;
  while ((await list("kernels")).length > 0) {
    if (Date.now() > deadline) throw new Error("the kernels did not shut down in 15 s");
    await sleep(250);
  }
}

async function stopServer(server: Server): Promise<void> {
  // Shut down the kernels the pages started, then the server; bounded, SIGKILL as a last resort.
  try {
    await shutdownKernels(server);
  } catch {
    // the server may already be gone
  }
  try {
    server.child.kill("SIGTERM");
  } catch {
    return; // already exited
  }
  try {
    await withTimeout(server.child.status, 15_000, "jupyter notebook to exit");
  } catch {
    server.child.kill("SIGKILL");
    await withTimeout(server.child.status, 5_000, "jupyter notebook to die").catch(() => {});
  }
}

async function logTail(path: string): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").slice(-30).join("\n");
}

/** Waits until `expected` plots are drawn with traces; returns what the page shows. */
async function drawnPlots(
  page: Page,
  expected: number,
): Promise<{ plots: number; traced: number }> {
  await page.waitForFunction(
    ({ n, selector }) => {
      const plots = [...document.querySelectorAll(".js-plotly-plot")]
        .filter((p) => p.querySelector(".main-svg") !== null);
      return plots.length >= n && plots.every((p) => p.querySelector(selector) !== null);
    },
    { n: expected, selector: TRACE_SELECTOR },
    { timeout: 60_000, polling: 250 },
  );
  return await page.evaluate((selector) => {
    const plots = [...document.querySelectorAll(".js-plotly-plot")]
      .filter((p) => p.querySelector(".main-svg") !== null);
    return {
      plots: plots.length,
      traced: plots.filter((p) => p.querySelector(selector) !== null).length,
    };
  }, TRACE_SELECTOR);
}

/** What the page shows, for a failure message (evaluated in Chromium). */
const pageState = `JSON.stringify({
  plotly: typeof window.Plotly,
  divs: document.querySelectorAll(".charrnn-plot").length,
  drawn: document.querySelectorAll(".js-plotly-plot").length,
  text: [...document.querySelectorAll(".charrnn-plot")].map((d) => d.textContent.slice(0, 60)),
})`;

/** Opens `url`, checks the plots and the generator widgets, and saves a screenshot. */
async function checkPage(
  context: BrowserContext,
  url: string,
  expected: number,
  shot: string,
  widgets: WidgetCheck,
): Promise<void> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(url, { waitUntil: "domcontentloaded", timeout: 60_000 });
    const seen = await drawnPlots(page, expected).catch(async (error) => {
      await page.screenshot({ path: shot, fullPage: true, timeout: 30_000 }).catch(() => {});
      const state = await page.evaluate(pageState).catch(() => "unknown");
      throw new Error(`${error.message}\npage: ${state}\nerrors: ${errors.join(" | ")}`);
    });
    assertEquals(seen, { plots: expected, traced: expected }, `plots drawn in ${url}`);
    console.log(`  ${await checkWidgets(page, widgets)}`);
    // Notebook 6 scrolls inside #site; let the page grow so the screenshot shows every cell.
    await page.addStyleTag({
      content:
        "#site { height: auto !important; overflow: visible; } #MathJax_Message { display: none; }",
    });
    await page.screenshot({ path: shot, fullPage: true, timeout: 30_000 });
    const plotlyErrors = errors.filter((e) => /plotly/i.test(e));
    assertEquals(plotlyErrors, [], `plotly errors in ${url}`);
    if (errors.length > 0) console.log(`  page errors (not ours): ${errors.join(" | ")}`);
  } finally {
    await page.close();
  }
}

if (notebooks.length === 0 && !unpermitted) {
  Deno.test("browser: no notebooks to open yet", () => {
    console.log("browser_test: no notebooks/*.ipynb yet, nothing to open in Chromium");
  });
} else {
  Deno.test({
    name:
      "notebooks draw their plots and generate in Chromium: Jupyter Notebook page and HTML export",
    ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      if (missing !== null) throw new Error(missing);
      const work = await Deno.makeTempDir({ prefix: "charrnn-browser-" });
      await Deno.mkdir(SHOTS, { recursive: true });
      const pages: { name: string; expected: number; widgets: number }[] = [];
      for (const path of notebooks) {
        const name = path.split("/").at(-1)!.replace(/\.ipynb$/, "");
        const executed = await executeNotebook(path);
        const notebook = executed.notebook as Notebook;
        const expected = notebook.cells.reduce((n, cell) => n + plotOutputCount(cell), 0);
        await Deno.copyFile(executed.path, `${work}/${name}.ipynb`);
        pages.push({ name, expected, widgets: widgetOutputCount(notebook) });
      }
      const files = pages.map((p) => `${work}/${p.name}.ipynb`);
      const signed = await run(PYTHON, ["-m", "nbformat.sign", ...files], { timeoutMs: 60_000 });
      assertEquals(signed.code, 0, `signing failed: ${signed.stderr}`);
      const exported = await run(JUPYTER, ["nbconvert", "--to", "html", ...files], {
        cwd: work,
        timeoutMs: 180_000,
      });
      assertEquals(exported.code, 0, `nbconvert failed: ${exported.stderr}`);
      for (const { name } of pages) {
        const html = await Deno.readTextFile(`${work}/${name}.html`);
        assertEquals(html.split("plotly.js v").length - 1, 1, `${name}.html embeds plotly.js once`);
      }

      const server = await startServer(work);
      const profile = await Deno.makeTempDir({ prefix: "charrnn-chromium-" });
      const blocked: string[] = [];
      const { chromium } = await import("playwright-core"); // it reads the environment on import
      let context: BrowserContext | undefined;
      try {
        context = await chromium.launchPersistentContext(profile, {
          executablePath: CHROMIUM,
          headless: true,
          args: CHROMIUM_ARGS,
          viewport: { width: 1280, height: 1000 },
          timeout: 60_000,
        });
        // No network: only the local server and files load; anything else is recorded.
        await context.route("**/*", (route) => {
          const url = route.request().url();
          if (url.startsWith(server.url) || url.startsWith("file:") || url.startsWith("data:")) {
            return route.continue();
          }
          blocked.push(url);
          return route.abort();
        });
        for (const { name, expected, widgets } of pages) {
          const what = `${expected} plots, ${widgets} generator widget(s)`;
          const prime = TYPED_PRIMES[name] ?? "";
          await t.step(`${name}: ${what} on the live notebook page`, async () => {
            const url = `${server.url}/notebooks/${name}.ipynb?token=${server.token}`;
            await checkPage(context!, url, expected, `${SHOTS}/${name}-notebook.png`, {
              expected: widgets,
              prime,
              shots: `${SHOTS}/${name}-notebook`,
              stopKernel: () => shutdownKernels(server),
            });
          });
          await t.step(`${name}: ${what} in the HTML export`, async () => {
            await Deno.copyFile(`${work}/${name}.html`, `${SHOTS}/${name}.html`);
            const url = `file://${work}/${name}.html`;
            await checkPage(context!, url, expected, `${SHOTS}/${name}-export.png`, {
              expected: widgets,
              prime,
              shots: `${SHOTS}/${name}-export`,
            });
          });
        }
        const cdn = blocked.filter((u) => /plot\.ly|plotly/i.test(u));
        assertEquals(cdn, [], "no request for plotly.js from the network");
        if (blocked.length > 0) {
          console.log(`  blocked (nbconvert template assets): ${[...new Set(blocked)].join(" ")}`);
        }
      } catch (error) {
        console.log(`jupyter notebook log:\n${await logTail(server.logPath)}`);
        throw error;
      } finally {
        if (context) {
          await withTimeout(context.close(), 30_000, "Chromium to close").catch(() => {});
        }
        await stopServer(server);
        await Deno.remove(profile, { recursive: true }).catch(() => {});
        await Deno.remove(work, { recursive: true }).catch(() => {});
      }
    },
  });
}
