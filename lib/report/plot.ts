/**
 * Plotly figure builders: plain numbers in, a `{ data, layout }` figure out.
 *
 * Nothing here needs a kernel or a browser, so `deno test` checks the figures; `plot_bundle.ts`
 * turns a figure into a Jupyter display. Typed arrays become plain arrays and non-finite values
 * become `null` (a gap in the line), so a figure is always valid JSON.
 *
 * @module
 */

/** One Plotly trace, a plain JSON object such as `{ type: "scatter", x, y, name }`. */
export type PlotlyTrace = Record<string, unknown>;

/** A Plotly layout, a plain JSON object (`title`, `xaxis`, `yaxis`, `height`, ...). */
export type PlotlyLayout = Record<string, unknown>;

/** A figure as drawn by `Plotly.newPlot(div, figure.data, figure.layout)`. */
export interface PlotlyFigure {
  /** The traces, drawn in order. */
  data: PlotlyTrace[];
  /** Titles, axes and size. */
  layout: PlotlyLayout;
}

/** Titles and size shared by every figure builder. */
export interface FigureOptions {
  /** Figure title. */
  title?: string;
  /** Label of the horizontal axis. */
  xTitle?: string;
  /** Label of the vertical axis. */
  yTitle?: string;
  /** Height in pixels (default 360); the width follows the page. */
  height?: number;
  /** Logarithmic vertical axis (default false). */
  logY?: boolean;
}

/** One line of a line figure. */
export interface LineSeries {
  /** Legend entry. */
  name?: string;
  /** Values, one per point. */
  y: ArrayLike<number>;
  /** Positions, same length as `y` (default 0, 1, 2, ...). */
  x?: ArrayLike<number>;
}

/** Options of {@linkcode heatmapFigure}. */
export interface HeatmapOptions extends FigureOptions {
  /** Column labels, one per column (default 0, 1, 2, ...). */
  xLabels?: readonly string[];
  /** Row labels, one per row (default 0, 1, 2, ...). */
  yLabels?: readonly string[];
  /** Plotly colour scale name (default "RdBu"). */
  colorscale?: string;
  /** Value at the middle of the colour scale, e.g. 0 for weights. */
  zmid?: number;
}

/** A 2-D matrix: a row-major tensor `{ shape: [rows, cols], data }` or an array of rows. */
export type Matrix =
  | { readonly shape: readonly number[]; readonly data: ArrayLike<number> }
  | readonly ArrayLike<number>[];

/**
 * Copies numbers into a plain JSON-safe array; NaN and infinities become `null`.
 *
 * @param values Any array-like of numbers, typed arrays included.
 * @returns A plain array.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(jsonNumbers(new Float32Array([1, NaN])), [1, null]);
 * ```
 */
export function jsonNumbers(values: ArrayLike<number>): (number | null)[] {
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}

/**
 * A layout with the shared titles and size.
 *
 * @param options Titles, height and axis type.
 * @returns A Plotly layout.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(baseLayout({ title: "Loss" }).title, { text: "Loss" });
 * ```
 */
export function baseLayout(options: FigureOptions = {}): PlotlyLayout {
  const layout: PlotlyLayout = {
    height: options.height ?? 360,
    margin: { l: 60, r: 20, t: options.title ? 50 : 20, b: 50 },
    xaxis: { title: { text: options.xTitle ?? "" }, automargin: true },
    yaxis: {
      title: { text: options.yTitle ?? "" },
      automargin: true,
      ...(options.logY ? { type: "log" } : {}),
    },
  };
  if (options.title) layout.title = { text: options.title };
  return layout;
}

/**
 * A line chart with one trace per series, e.g. training and validation loss.
 *
 * @param series One series or several.
 * @param options Titles and size.
 * @returns The figure.
 * @throws {RangeError} When a series' `x` and `y` lengths differ.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fig = lineFigure([{ name: "train", y: [3, 2, 1] }], { title: "Loss" });
 * assert.deepEqual(fig.data[0]!.x, [0, 1, 2]);
 * ```
 */
export function lineFigure(
  series: LineSeries | readonly LineSeries[],
  options: FigureOptions = {},
): PlotlyFigure {
  const list: readonly LineSeries[] = isSeriesArray(series) ? series : [series];
  const data = list.map((s, i) => {
    if (s.x !== undefined && s.x.length !== s.y.length) {
      throw new RangeError(
        `Cannot plot series ${s.name ?? i}: x has ${s.x.length} values but y has ${s.y.length}; ` +
          "pass x and y of the same length",
      );
    }
    const x = s.x === undefined ? Array.from({ length: s.y.length }, indexOf) : jsonNumbers(s.x);
    return {
      type: "scatter",
      mode: "lines",
      name: s.name ?? `series ${i}`,
      x,
      y: jsonNumbers(s.y),
    };
  });
  return { data, layout: { ...baseLayout(options), showlegend: list.length > 1 } };
}

/**
 * A bar chart: one bar per category.
 *
 * @param categories Bar labels.
 * @param values Bar heights, one per label.
 * @param options Titles and size.
 * @returns The figure.
 * @throws {RangeError} When there are not as many values as labels.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fig = barFigure(["a", "b"], [0.7, 0.3], { yTitle: "p" });
 * assert.deepEqual(fig.data[0]!.type, "bar");
 * ```
 */
export function barFigure(
  categories: readonly string[],
  values: ArrayLike<number>,
  options: FigureOptions = {},
): PlotlyFigure {
  if (categories.length !== values.length) {
    throw new RangeError(
      `Cannot plot bars: ${categories.length} labels but ${values.length} values; ` +
        "pass one value per label",
    );
  }
  return {
    data: [{ type: "bar", x: [...categories], y: jsonNumbers(values) }],
    layout: baseLayout(options),
  };
}

/**
 * A heatmap of a matrix, row 0 at the top (as the matrix is printed), e.g. a weight matrix or
 * hidden activations over time.
 *
 * @param z The matrix: a `[rows, cols]` tensor or an array of equal-length rows.
 * @param options Titles, labels, colour scale.
 * @returns The figure.
 * @throws {RangeError} When `z` is not 2-D, its rows differ in length, or labels do not match.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fig = heatmapFigure({ shape: [2, 2], data: [1, 2, 3, 4] }, { zmid: 0 });
 * assert.deepEqual(fig.data[0]!.z, [[1, 2], [3, 4]]);
 * ```
 */
export function heatmapFigure(z: Matrix, options: HeatmapOptions = {}): PlotlyFigure {
  const rows = matrixRows(z);
  const cols = rows[0]?.length ?? 0;
  checkLabels("xLabels", options.xLabels, cols);
  checkLabels("yLabels", options.yLabels, rows.length);
  const trace: PlotlyTrace = {
    type: "heatmap",
    z: rows,
    colorscale: options.colorscale ?? "RdBu",
  };
  if (options.xLabels) trace.x = [...options.xLabels];
  if (options.yLabels) trace.y = [...options.yLabels];
  if (options.zmid !== undefined) trace.zmid = options.zmid;
  const layout = baseLayout(options);
  layout.yaxis = { ...(layout.yaxis as PlotlyLayout), autorange: "reversed" };
  return { data: [trace], layout };
}

/**
 * A histogram of values, e.g. the distribution of weights or gradients.
 *
 * @param values The samples.
 * @param options Titles, size, and the number of bins (default: Plotly's choice).
 * @returns The figure.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fig = histogramFigure(new Float64Array([0, 1, 1]), { bins: 2 });
 * assert.deepEqual(fig.data[0]!.nbinsx, 2);
 * ```
 */
export function histogramFigure(
  values: ArrayLike<number>,
  options: FigureOptions & { bins?: number } = {},
): PlotlyFigure {
  const trace: PlotlyTrace = { type: "histogram", x: jsonNumbers(values) };
  if (options.bins !== undefined) trace.nbinsx = options.bins;
  return { data: [trace], layout: baseLayout(options) };
}

function isSeriesArray(s: LineSeries | readonly LineSeries[]): s is readonly LineSeries[] {
  return Array.isArray(s);
}

function indexOf(_: unknown, i: number): number {
  return i;
}

function matrixRows(z: Matrix): (number | null)[][] {
  if (!Array.isArray(z)) {
    const m = z as { readonly shape: readonly number[]; readonly data: ArrayLike<number> };
    const [r, c] = m.shape;
    if (m.shape.length !== 2 || r === undefined || c === undefined || r * c !== m.data.length) {
      throw new RangeError(
        `Cannot plot a heatmap of shape [${m.shape.join(", ")}] with ${m.data.length} values; ` +
          "pass a 2-D [rows, cols] tensor",
      );
    }
    const rows: (number | null)[][] = [];
    for (let i = 0; i < r; i++) {
      rows.push(jsonNumbers(Array.prototype.slice.call(m.data, i * c, (i + 1) * c)));
    }
    return rows;
  }
  const list = z as readonly ArrayLike<number>[];
  const cols = list[0]?.length ?? 0;
  return list.map((row, i) => {
    if (row.length !== cols) {
      throw new RangeError(
        `Cannot plot a heatmap: row ${i} has ${row.length} values but row 0 has ${cols}; ` +
          "pass rows of equal length",
      );
    }
    return jsonNumbers(row);
  });
}

function checkLabels(name: string, labels: readonly string[] | undefined, n: number): void {
  if (labels !== undefined && labels.length !== n) {
    throw new RangeError(
      `Cannot plot a heatmap: ${name} has ${labels.length} labels for ${n} entries; ` +
        `pass ${n} labels`,
    );
  }
}
