/**
 * Jupyter displays of Plotly figures that draw offline.
 *
 * A display is a mime bundle with the figure as `application/vnd.plotly.v1+json` (for frontends
 * that render Plotly natively), `text/html` that draws it with plotly.js, and `text/plain`.
 * The HTML loads no CDN: the first bundle of a kernel session embeds the whole plotly.js source
 * (about 4.8 MB) in a `<script>`, later bundles only wait for `window.Plotly` and draw. A saved
 * notebook or its HTML export therefore draws only while the output that carries the library is
 * kept: after re-running cells out of order (or restarting the kernel without "run all"), call
 * {@linkcode resetPlotlyEmbedding} so the next plot embeds the library again.
 *
 * The plotly.js source is read lazily, on the first display, so importing this module is cheap.
 *
 * @module
 */
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
  /** A `<div>` and the script that draws into it (with plotly.js the first time). */
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
  /**
   * Embed the plotly.js source: "auto" (default) when no earlier display of this session did,
   * `true` always, `false` never.
   */
  includePlotly?: boolean | "auto";
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
 * const html = (await plotlyDisplay({ data: [], layout: {} }))["text/html"];
 * assert.ok(html.includes("window.Plotly"));
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
 * never replaced, e.g. before a live plot whose output each update replaces.
 *
 * @returns `text/plain` and `text/html` carrying the library; marks it embedded.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok((await plotlyLoaderBundle())["text/html"].startsWith("<script"));
 * assert.ok(isPlotlyEmbedded());
 * ```
 */
export async function plotlyLoaderBundle(): Promise<{ "text/plain": string; "text/html": string }> {
  const html = `<script type="text/javascript">${await loadPlotlySource()}</script>\n` +
    `<div style="font-size:smaller;color:#888">plotly.js embedded for offline plots</div>`;
  plotlyEmbedded = true;
  return { "text/plain": "plotly.js embedded for offline plots", "text/html": html };
}

/**
 * The raw mime bundle of a figure, for `Deno.jupyter.display(bundle, { raw: true })`. For a live
 * plot, display the first bundle with a `display_id` and later ones with `update: true` and the
 * same `divId`: the update redraws with `Plotly.react`. Prefer {@linkcode livePlot}, which also
 * keeps the library out of the replaced output.
 *
 * @param figure The figure to draw.
 * @param options Div id, library embedding, wait time.
 * @returns The bundle: `text/plain`, `text/html` and the Plotly JSON.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fig = { data: [{ type: "bar", y: [1] }], layout: {} };
 * const bundle = await plotlyDisplay(fig, { divId: "bars", includePlotly: false });
 * assert.deepEqual(bundle["application/vnd.plotly.v1+json"], fig);
 * ```
 */
export async function plotlyDisplay(
  figure: PlotlyFigure,
  options: DisplayOptions = {},
): Promise<MimeBundle> {
  const include = options.includePlotly ?? "auto";
  const divId = options.divId ?? `charrnn-plot-${sessionTag}-${++displayCount}`;
  if (!/^[A-Za-z][\w-]*$/.test(divId)) {
    throw new TypeError(
      `Cannot use divId "${divId}": use letters, digits, "-" and "_", starting with a letter`,
    );
  }
  let library = "";
  if (include === true || (include === "auto" && !plotlyEmbedded)) {
    library = `<script type="text/javascript">${await loadPlotlySource()}</script>\n`;
    plotlyEmbedded = true;
  }
  return {
    "text/plain": describeFigure(figure),
    "text/html": library + drawHtml(figure, divId, options.waitMs ?? 30000),
    [PLOTLY_MIME]: figure,
  };
}

/**
 * Wraps a figure so that Jupyter draws it: end a cell with `figureBundle(fig)` or pass it to
 * `Deno.jupyter.display`.
 *
 * @param figure The figure to draw.
 * @param options Div id, library embedding, wait time.
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
    [JUPYTER_DISPLAY](): Promise<MimeBundle> {
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
