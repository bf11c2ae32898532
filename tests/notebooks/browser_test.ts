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
import {
  CHROMIUM_ARGS,
  logTail,
  shutdownKernels,
  startServer,
  stopServer,
  withTimeout,
} from "./jupyter_server.ts";
import { checkWidgets, TYPED_PRIMES, type WidgetCheck, widgetOutputCount } from "./widget_page.ts";
import { needs } from "../permissions.ts";

const unpermitted = needs("read", "write", "run", "env", "net", "sys"); // not even a listing
const notebooks = unpermitted ? [] : listNotebooks();
const missing = notebooks.length > 0 ? (await jupyterMissing()) ?? (await chromiumMissing()) : null;
const ignore = unpermitted || ignoreWhenMissing("browser_test", missing);
const SHOTS = `${ARTIFACTS}/browser`;
/** Drawn traces inside a plot: line and bar paths, heatmap images. */
const TRACE_SELECTOR =
  ".main-svg .cartesianlayer g.trace path[d], .main-svg .cartesianlayer g.hm image";

/** The little of the page's DOM that the functions evaluated in Chromium use. */
interface PageElement {
  querySelector(selector: string): PageElement | null;
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement> };

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
