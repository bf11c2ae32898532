/**
 * `show(value)`: display a figure, table, widget or any displayable in a notebook cell, and wait
 * until the Deno kernel has sent it. The one way the notebooks put output on the page: a cell
 * that ends with `await show(...)` (or `await flushOutput()` after printing) has all of its output
 * delivered before the kernel reports it finished. See `flush.ts` for why.
 *
 * @module
 */
import type { PlotlyFigure } from "../plot.ts";
import { JUPYTER_DISPLAY, plotlyDisplay, showPlotlyLoader } from "../plot_bundle.ts";
import { flushOutput } from "./flush.ts";
import type { Bundle } from "./pieces.ts";
import { type DisplayFunction, kernelDisplay, sendBundle } from "./send.ts";

/** A value the Deno kernel can display: it has a `Symbol.for("Jupyter.display")` method. */
export interface Displayable {
  /** Builds the mime bundle. */
  [JUPYTER_DISPLAY](): Bundle | Promise<Bundle>;
}

/** Options of {@linkcode show}. */
export interface ShowOptions {
  /** Where bundles go (default `Deno.jupyter.display`, only defined inside the Deno kernel). */
  display?: DisplayFunction;
}

/**
 * Shows a value in the notebook and waits until the kernel has sent it: a Plotly figure (plotly.js
 * goes first when this session has not sent it), or anything with a Jupyter display method (tables,
 * generator widgets, `Deno.jupyter.html`...). Large outputs go in pieces under the message bound.
 * It resolves to nothing, so `await show(x)` can end a cell without displaying a value twice.
 *
 * @param value What to show.
 * @param options Where to send it (for tests and other frontends).
 * @throws {Error} Outside the Deno kernel when no `display` is given.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tableDisplay } from "../table.ts";
 * const sent: Record<string, unknown>[] = [];
 * await show(tableDisplay([{ a: 1 }]), { display: (b) => void sent.push(b) });
 * assert.ok(String(sent[0]!["text/html"]).includes("<table"));
 * ```
 */
export async function show(
  value: PlotlyFigure | Displayable | Deno.jupyter.Displayable,
  options: ShowOptions = {},
): Promise<void> {
  const display = options.display ?? kernelDisplay("show a value");
  let bundle: Bundle;
  if (isFigure(value)) {
    await showPlotlyLoader(display);
    bundle = plotlyDisplay(value) as unknown as Bundle;
  } else {
    if ("figure" in value) await showPlotlyLoader(display); // a figureBundle
    bundle = await (value as Displayable)[JUPYTER_DISPLAY]();
  }
  await sendBundle(bundle, display);
  await flushOutput();
}

function isFigure(value: object): value is PlotlyFigure {
  return !(JUPYTER_DISPLAY in value) && Array.isArray((value as PlotlyFigure).data);
}
