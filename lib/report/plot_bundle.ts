/**
 * Jupyter displays of Plotly figures that draw offline.
 *
 * A display is a mime bundle with the figure as `application/vnd.plotly.v1+json` (for frontends
 * that render Plotly natively), `text/html` that draws it with plotly.js, and `text/plain`.
 * The HTML loads no CDN: the first plot of a kernel session is preceded by an output that carries
 * the whole plotly.js source (about 4.8 MB, sent in pieces under the message bound, see
 * `notebook/pieces.ts`); every plot's HTML waits for `window.Plotly` and draws. A saved notebook
 * or its HTML export therefore draws only while the output that carries the library is kept:
 * after re-running cells out of order (or restarting the kernel without "run all"), call
 * {@linkcode resetPlotlyEmbedding} so the next plot sends the library again.
 *
 * The plotly.js source is read lazily, on the first display, so importing this module is cheap.
 *
 * @module
 */
import { type DisplayFunction, kernelDisplay, kernelJupyter, sendBundle } from "./notebook/send.ts";
import type { PlotlyFigure } from "./plot.ts";

/** The mime type of a Plotly figure. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/**
 * The symbol the Deno kernel looks for on a value to display it (`Deno.jupyter.$display`, which
 * is only defined inside the kernel).
 */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** What a plot display sends to Jupyter. */
export interface MimeBundle {
  /** A one-line description, for consoles. */
  "text/plain": string;
  /** A `<div>` and the script that draws into it once plotly.js is loaded. */
  "text/html": string;
  /** The figure itself. */
  [PLOTLY_MIME]: PlotlyFigure;
}

/** Options of {@linkcode plotlyDisplay} and {@linkcode figureBundle}. */
export interface DisplayOptions {
  /**
   * Id of the `<div>` to draw into (default: a new unique id). Give the same id to every update
   * of a live display.
   */
  divId?: string;
  /** Time in milliseconds the HTML waits for plotly.js before showing an error (30000). */
  waitMs?: number;
}

/** A value that Jupyter displays as a plot when it ends a cell or is passed to `display`. */
export interface FigureDisplay {
  /** The figure to draw. */
  readonly figure: PlotlyFigure;
  /** Builds the mime bundle; called by the Deno kernel. */
  [JUPYTER_DISPLAY](): Promise<MimeBundle>;
}

let plotlySource: string | undefined;
let plotlyEmbedded = false;
let displayCount = 0;
const sessionTag = crypto.randomUUID().slice(0, 8);

/**
 * The plotly.js source, read once from the `plotly.js-dist-min` package and made safe to put
 * inside an HTML `<script>` element.
 *
 * @returns The JavaScript source that defines `window.Plotly`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok((await loadPlotlySource()).includes("window.Plotly"));
 * ```
 */
export async function loadPlotlySource(): Promise<string> {
  if (plotlySource === undefined) {
    const module = await import("plotly.js-dist-min/plotly.min.js", { with: { type: "text" } });
    plotlySource = (module.default as string).replace(/<\/(script)/gi, "<\\/$1");
  }
  return plotlySource;
}

/**
 * Makes the next display embed plotly.js again, e.g. before re-running a notebook's plots in a
 * kernel that already drew some, so the saved notebook or HTML export keeps the library.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * resetPlotlyEmbedding();
 * assert.equal(isPlotlyEmbedded(), false);
 * ```
 */
export function resetPlotlyEmbedding(): void {
  plotlyEmbedded = false;
}

/**
 * Whether an earlier display of this kernel session embedded plotly.js.
 *
 * @returns True once a bundle carried the library, until {@linkcode resetPlotlyEmbedding}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * resetPlotlyEmbedding();
 * assert.deepEqual(isPlotlyEmbedded(), false);
 * ```
 */
export function isPlotlyEmbedded(): boolean {
  return plotlyEmbedded;
}

/**
 * A bundle that only embeds plotly.js (with a one-line note), for an output of its own that is
 * never replaced. It is about 4.8 MB: send it with {@linkcode showPlotlyLoader}, which splits it.
 *
 * @returns `text/plain` and `text/html` carrying the library.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok((await plotlyLoaderBundle())["text/html"].startsWith("<script"));
 * ```
 */
export async function plotlyLoaderBundle(): Promise<{ "text/plain": string; "text/html": string }> {
  const html = `<script type="text/javascript">${await loadPlotlySource()}</script>\n` +
    `<div style="font-size:smaller;color:#888">plotly.js embedded for offline plots</div>`;
  return { "text/plain": "plotly.js embedded for offline plots", "text/html": html };
}

/**
 * Sends plotly.js to the notebook as an output of its own (in pieces under the message bound),
 * unless an earlier display of this session did.
 *
 * @param display Where the bundles go.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * resetPlotlyEmbedding();
 * const sent: Record<string, unknown>[] = [];
 * await showPlotlyLoader((b) => void sent.push(b));
 * await showPlotlyLoader((b) => void sent.push(b));
 * assert.ok(sent.length > 1 && isPlotlyEmbedded()); // pieces, sent once
 * ```
 */
export async function showPlotlyLoader(display: DisplayFunction): Promise<void> {
  if (plotlyEmbedded) return;
  await sendBundle(await plotlyLoaderBundle(), display);
  plotlyEmbedded = true;
}

/**
 * The raw mime bundle of a figure, for `Deno.jupyter.display(bundle, { raw: true })`, without
 * plotly.js (see {@linkcode showPlotlyLoader}). For a live plot, display the first bundle with a
 * `display_id` and later ones with `update: true` and the same `divId`: the update redraws with
 * `Plotly.react`. Prefer {@linkcode show} and {@linkcode livePlot}, which send the library first.
 *
 * @param figure The figure to draw.
 * @param options Div id, wait time.
 * @returns The bundle: `text/plain`, `text/html` and the Plotly JSON.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fig = { data: [{ type: "bar", y: [1] }], layout: {} };
 * const bundle = await plotlyDisplay(fig, { divId: "bars" });
 * assert.deepEqual(bundle["application/vnd.plotly.v1+json"], fig);
 * ```
 */
export function plotlyDisplay(figure: PlotlyFigure, options: DisplayOptions = {}): MimeBundle {
  const divId = options.divId ?? `charrnn-plot-${sessionTag}-${++displayCount}`;
  if (!/^[A-Za-z][\w-]*$/.test(divId)) {
    throw new TypeError(
      `Cannot use divId "${divId}": use letters, digits, "-" and "_", starting with a letter`,
    );
  }
  return {
    "text/plain": describeFigure(figure),
    "text/html": drawHtml(figure, divId, options.waitMs ?? 30000),
    [PLOTLY_MIME]: figure,
  };
}

/**
 * Wraps a figure so that Jupyter draws it: pass it to {@linkcode show} (or end a cell with it,
 * which the Deno kernel may deliver after the cell is reported finished). In the kernel, its
 * display first sends plotly.js when this session has not.
 *
 * @param figure The figure to draw.
 * @param options Div id, wait time.
 * @returns A displayable value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const shown = figureBundle({ data: [{ type: "bar", y: [1] }], layout: {} });
 * const bundle = await shown[JUPYTER_DISPLAY]();
 * assert.ok(bundle["text/html"].includes("Plotly.react"));
 * ```
 */
export function figureBundle(figure: PlotlyFigure, options: DisplayOptions = {}): FigureDisplay {
  return {
    figure,
    async [JUPYTER_DISPLAY](): Promise<MimeBundle> {
      if (!plotlyEmbedded && kernelJupyter() !== null) {
        await showPlotlyLoader(kernelDisplay("show a plot"));
      }
      return plotlyDisplay(figure, options);
    },
  };
}

/**
 * A one-line description of a figure, used as its `text/plain`.
 *
 * @param figure The figure.
 * @returns E.g. `Plotly figure "Loss": 2 traces (scatter, scatter)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(describeFigure({ data: [{ type: "bar" }], layout: {} }), "Plotly figure: 1 trace (bar)");
 * ```
 */
export function describeFigure(figure: PlotlyFigure): string {
  const title = (figure.layout.title as { text?: string } | undefined)?.text;
  const types = figure.data.map((t) => String(t.type ?? "scatter"));
  const n = figure.data.length;
  return `Plotly figure${title ? ` "${title}"` : ""}: ${n} trace${n === 1 ? "" : "s"}` +
    ` (${types.join(", ")})`;
}

/** JSON that is safe inside a `<script>`: `<`, `>`, `&` and line separators escaped. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, escapeChar);
}

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

function drawHtml(figure: PlotlyFigure, divId: string, waitMs: number): string {
  const height = typeof figure.layout.height === "number" ? figure.layout.height : 360;
  const id = scriptJson(divId);
  return `<div id="${divId}" class="charrnn-plot" style="width:100%;height:${height}px;"></div>
<script type="text/javascript">
(function () {
  var figure = ${scriptJson(figure)};
  function draw() {
    var el = document.getElementById(${id});
    if (el) window.Plotly.react(el, figure.data, figure.layout, { responsive: true, displaylogo: false });
  }
  if (window.Plotly) { draw(); return; }
  var waited = 0;
  var timer = setInterval(function () {
    waited += 50;
    if (window.Plotly) { clearInterval(timer); draw(); return; }
    if (waited < ${waitMs}) return;
    clearInterval(timer);
    var el = document.getElementById(${id});
    if (el) el.textContent = "plotly.js is not loaded: the output that embedded it is gone; " +
      "call resetPlotlyEmbedding() and re-run the notebook";
  }, 50);
})();
</script>`;
}
