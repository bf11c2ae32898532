/**
 * Tables for notebooks: rows of plain values in, a display out that Jupyter shows as an HTML
 * table (with aligned text for consoles), e.g. parameter shapes, a gradient check or samples
 * side by side. Nothing here needs a kernel, so `deno test` checks it.
 *
 * @module
 */
import { JUPYTER_DISPLAY } from "./plot_bundle.ts";

/** One table row: column name to value (numbers, strings, arrays such as shapes). */
export type TableRow = Readonly<Record<string, unknown>>;

/** Options of {@linkcode tableDisplay}. */
export interface TableOptions {
  /** Columns in order (default: the keys of the first row). */
  columns?: readonly string[];
  /** Significant digits of non-integer numbers (default 4). */
  digits?: number;
  /** A title above the table. */
  caption?: string;
}

/** A value that Jupyter displays as a table when it ends a cell or is passed to `display`. */
export interface TableDisplay {
  /** Aligned plain text, columns separated by `|`. */
  readonly text: string;
  /** An HTML `<table>`. */
  readonly html: string;
  /** Builds the mime bundle; called by the Deno kernel. */
  [JUPYTER_DISPLAY](): { "text/plain": string; "text/html": string };
}

/**
 * Formats one cell: integers with thousands separators, other numbers to `digits` significant
 * digits without trailing zeros (exponent notation when very small or large), arrays as
 * `[a, b]`, the rest as text.
 *
 * @param value The value.
 * @param digits Significant digits of non-integer numbers (default 4).
 * @returns The text shown.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(formatCell(12345), "12,345");
 * assert.deepEqual(formatCell(0.000012345, 3), "1.23e-5");
 * assert.deepEqual(formatCell(0.5), "0.5");
 * assert.deepEqual(formatCell([512, 77]), "[512, 77]");
 * ```
 */
export function formatCell(value: unknown, digits = 4): string {
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    if (!Number.isFinite(value)) return String(value);
    const abs = Math.abs(value);
    const text = abs !== 0 && (abs < 1e-3 || abs >= 1e6)
      ? value.toExponential(digits - 1)
      : value.toPrecision(digits);
    // drop trailing zeros of the fraction, like printf's %g: 0.5000 -> 0.5, 2.500e-7 -> 2.5e-7
    // (only of the mantissa: 1.80626e-10 keeps its exponent's zero)
    const [mantissa, exponent] = text.split("e") as [string, string?];
    const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
    return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
  }
  if (Array.isArray(value)) return `[${value.map((v) => formatCell(v, digits)).join(", ")}]`;
  return value === undefined || value === null ? "" : String(value);
}

/**
 * A table of rows: end a notebook cell with it, or pass it to `Deno.jupyter.display`.
 * Numbers are right-aligned, text keeps its line breaks.
 *
 * @param rows The rows.
 * @param options Columns, number format and caption.
 * @returns The displayable table.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const table = tableDisplay([{ name: "Whh", shape: [4, 4], count: 16 }]);
 * assert.ok(table.text.includes("Whh  | [4, 4] |    16"));
 * assert.ok(table.html.startsWith("<table"));
 * ```
 */
export function tableDisplay(rows: readonly TableRow[], options: TableOptions = {}): TableDisplay {
  const columns = options.columns ?? Object.keys(rows[0] ?? {});
  const digits = options.digits ?? 4;
  const cells = rows.map((row) => columns.map((c) => formatCell(row[c], digits)));
  const numeric = columns.map((c) => rows.every((r) => typeof r[c] !== "string"));
  const text = plainTable(columns, cells, numeric, options.caption);
  const html = htmlTable(columns, cells, numeric, options.caption);
  return {
    text,
    html,
    [JUPYTER_DISPLAY]() {
      return { "text/plain": text, "text/html": html };
    },
  };
}

function plainTable(
  columns: readonly string[],
  cells: string[][],
  numeric: boolean[],
  caption: string | undefined,
): string {
  const flat = cells.map((row) => row.map((s) => s.replace(/\n/g, "↵")));
  const widths = columns.map((c, j) => Math.max(c.length, ...flat.map((r) => r[j]!.length)));
  const line = (row: readonly string[], header: boolean): string =>
    row.map((s, j) => {
      return numeric[j] && !header ? s.padStart(widths[j]!) : s.padEnd(widths[j]!);
    }).join(" | ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("-|-");
  const lines = [line(columns, true), rule, ...flat.map((r) => line(r, false))];
  return (caption ? [caption, ...lines] : lines).join("\n");
}

function htmlTable(
  columns: readonly string[],
  cells: string[][],
  numeric: boolean[],
  caption: string | undefined,
): string {
  const align = (j: number) => numeric[j] ? "right" : "left";
  const head = columns.map((c, j) => `<th style="text-align:${align(j)}">${escapeHtml(c)}</th>`);
  const body = cells.map((row) => {
    const tds = row.map((s, j) => {
      const style = `text-align:${align(j)};vertical-align:top;white-space:pre-wrap;` +
        (numeric[j] ? "font-variant-numeric:tabular-nums" : "font-family:monospace");
      return `<td style="${style}">${escapeHtml(s)}</td>`;
    });
    return `<tr>${tds.join("")}</tr>`;
  });
  const title = caption ? `<caption>${escapeHtml(caption)}</caption>` : "";
  return `<table class="charrnn-table">${title}<thead><tr>${head.join("")}</tr></thead>` +
    `<tbody>${body.join("")}</tbody></table>`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
