/**
 * Live plots: one notebook output redrawn in place, e.g. the loss curve during training.
 *
 * @module
 */
import type { PlotlyFigure } from "./plot.ts";
import { isPlotlyEmbedded, plotlyDisplay, plotlyLoaderBundle } from "./plot_bundle.ts";

/** Options of a raw Jupyter display, as taken by `Deno.jupyter.display`. */
export interface RawDisplayOptions {
  /** Send the bundle as is (always true here). */
  raw: true;
  /** Id that later updates refer to. */
  display_id?: string;
  /** Replace the output with this `display_id` instead of adding one. */
  update?: boolean;
}

/** A function like `Deno.jupyter.display`, which sends a mime bundle to the notebook. */
export type DisplayFunction = (
  bundle: Record<string, unknown>,
  options: RawDisplayOptions,
) => Promise<void> | void;

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
      const display = options.display ?? kernelDisplay();
      if (!shown && !isPlotlyEmbedded()) {
        await display({ ...await plotlyLoaderBundle() }, { raw: true });
      }
      const bundle = await plotlyDisplay(figure, { divId, includePlotly: false });
      await display({ ...bundle }, { raw: true, display_id: divId, update: shown });
      shown = true;
    },
  };
}

function kernelDisplay(): DisplayFunction {
  try {
    const jupyter = Deno.jupyter;
    return jupyter.display.bind(jupyter) as DisplayFunction;
  } catch {
    throw new Error(
      "Cannot show a live plot: Deno.jupyter is only defined inside the Deno Jupyter kernel; " +
        "run this in a notebook or pass options.display",
    );
  }
}
