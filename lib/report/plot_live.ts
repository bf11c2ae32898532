/**
 * Live plots: one notebook output redrawn in place, e.g. the loss curve during training.
 *
 * @module
 */
import type { PlotlyFigure } from "./plot.ts";
import { plotlyDisplay, showPlotlyLoader } from "./plot_bundle.ts";
import { type DisplayFunction, kernelDisplay, sendBundle } from "./notebook/send.ts";

/** Options of {@linkcode livePlot}. */
export interface LivePlotOptions {
  /** Where bundles go (default `Deno.jupyter.display`, only defined inside the Deno kernel). */
  display?: DisplayFunction;
}

/** A plot output that each {@linkcode LivePlot.update} redraws. */
export interface LivePlot {
  /** The id of the `<div>` and of the Jupyter display. */
  readonly divId: string;
  /**
   * Draws the figure: the first call adds the output, later calls replace it.
   *
   * @param figure The figure to draw now.
   */
  update(figure: PlotlyFigure): Promise<void>;
}

let liveCount = 0;
const sessionTag = crypto.randomUUID().slice(0, 8);

/**
 * A plot that redraws in place. When plotly.js was not yet embedded in this session, the first
 * update first adds a separate output carrying the library, so replacing the plot's output does
 * not lose it (a saved notebook keeps only the last update).
 *
 * @param name Readable part of the div id, e.g. "loss" (letters, digits, "-", "_").
 * @param options Where to send the bundles.
 * @returns The live plot.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const sent: unknown[] = [];
 * const plot = livePlot("loss", { display: (_bundle, opts) => void sent.push(opts) });
 * await plot.update({ data: [{ y: [3] }], layout: {} });
 * await plot.update({ data: [{ y: [3, 2] }], layout: {} });
 * assert.deepEqual(sent.at(-1), { raw: true, display_id: plot.divId, update: true });
 * ```
 */
export function livePlot(name: string, options: LivePlotOptions = {}): LivePlot {
  const divId = `${name}-${sessionTag}-${++liveCount}`;
  let shown = false;
  return {
    divId,
    async update(figure: PlotlyFigure): Promise<void> {
      const display = options.display ?? kernelDisplay("show a live plot");
      if (!shown) await showPlotlyLoader(display);
      // html and text only: an update replaces one output, so it must fit in one small message
      const { "text/plain": text, "text/html": html } = plotlyDisplay(figure, { divId });
      await sendBundle({ "text/plain": text, "text/html": html }, display, {
        display_id: divId,
        update: shown,
      });
      shown = true;
    },
  };
}
