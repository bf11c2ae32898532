/**
 * Removes outputs, execution counts and execution metadata from notebooks, so they are
 * committed clean (CI executes them), and ends every cell source with a newline (which
 * `deno fmt --check` requires of notebooks in Deno 2.9 but `deno fmt` does not write). Run it
 * after `deno fmt`.
 *
 * Usage: deno run --allow-read --allow-write tests/strip_notebooks.ts [--check] [FILE.ipynb...]
 * (default: notebooks/*.ipynb). With --check nothing is written and the exit code is 1 when a
 * notebook would change.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { listNotebooks, type Notebook } from "./notebooks/notebook_support.ts";

/**
 * A copy of the notebook without outputs, execution counts and execution timing metadata.
 *
 * @param nb The notebook.
 * @returns The stripped copy.
 */
export function stripNotebook(nb: Notebook): Notebook {
  const cells = nb.cells.map((cell) => {
    const source = withFinalNewline(cell.source);
    if (cell.cell_type !== "code") return { ...cell, source };
    const metadata = { ...cell.metadata };
    delete metadata.execution;
    delete metadata.ExecuteTime;
    return { ...cell, source, metadata, outputs: [], execution_count: null };
  });
  const metadata = { ...nb.metadata };
  delete metadata.widgets;
  delete metadata.signature;
  return { ...nb, metadata, cells };
}

/**
 * Serialises like nbformat (one-space indent, sorted keys, trailing newline).
 *
 * @param nb The notebook.
 * @returns The file text.
 */
export function notebookText(nb: Notebook): string {
  return JSON.stringify(sortKeys(nb), null, 1) + "\n";
}

/**
 * Ends a non-empty cell source with one newline. Deno 2.9's `deno fmt --check` reports a
 * notebook whose cell sources lack it as unformatted, while `deno fmt` writes them without it,
 * so run this after `deno fmt`.
 */
function withFinalNewline(source: string | string[]): string | string[] {
  if (typeof source === "string") return source === "" ? source : source.replace(/\n*$/, "\n");
  const lines = [...source];
  while (lines.length > 0 && /^\n*$/.test(lines.at(-1)!)) lines.pop();
  if (lines.length === 0) return lines;
  lines[lines.length - 1] = lines.at(-1)!.replace(/\n*$/, "\n");
  return lines;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { check: { type: "boolean", default: false } },
    allowPositionals: true,
  });
  const paths = positionals.length > 0 ? positionals : listNotebooks();
  let dirty = 0;
  for (const path of paths) {
    const text = await Deno.readTextFile(path);
    const stripped = notebookText(stripNotebook(JSON.parse(text) as Notebook));
    if (stripped === text) continue;
    dirty++;
    if (values.check) {
      console.log(`${path}: has outputs or execution counts`);
    } else {
      await Deno.writeTextFile(path, stripped);
      console.log(`${path}: stripped`);
    }
  }
  console.log(`${paths.length} notebook(s), ${dirty} ${values.check ? "not clean" : "stripped"}`);
  if (values.check && dirty > 0) Deno.exit(1);
}
