// Notebook tables: number formatting, alignment, escaping, and the Jupyter display bundle.
import { assertEquals, assertOk } from "../assert.ts";
import { formatCell, tableDisplay } from "../../lib/report/table.ts";
import { JUPYTER_DISPLAY } from "../../lib/report/plot_bundle.ts";

Deno.test("formatCell formats integers, decimals, tiny numbers, arrays and blanks", () => {
  assertEquals(formatCell(1234567), "1,234,567");
  assertEquals(formatCell(3.14159), "3.142");
  assertEquals(formatCell(-2.5e-9, 2), "-2.5e-9");
  assertEquals(formatCell(0), "0");
  assertEquals(formatCell(0.25), "0.25");
  assertEquals(formatCell(999.99), "1000");
  assertEquals(formatCell(2.5e-7), "2.5e-7");
  assertEquals(formatCell(1.0e-4, 2), "1e-4");
  // an exponent ending in 0 keeps it: the gradient check's 1.8e-10 is not 0.18
  assertEquals(formatCell(1.80626e-10, 6), "1.80626e-10");
  assertEquals(formatCell(3e-20), "3e-20");
  assertEquals(formatCell(12_345_678_901.5), "1.235e+10");
  assertEquals(formatCell(1e-10, 6), "1e-10");
  assertEquals(formatCell(-0.0033582), "-0.003358");
  assertEquals(formatCell(NaN), "NaN");
  assertEquals(formatCell([2, 3]), "[2, 3]");
  assertEquals(formatCell(undefined), "");
  assertEquals(formatCell("a\nb"), "a\nb");
});

Deno.test("tableDisplay aligns plain text: numbers right, text left, newlines shown as ↵", () => {
  const table = tableDisplay([
    { name: "Wxh", count: 5 },
    { name: "by", count: 12345 },
    { name: "x\ny", count: 0.5 },
  ], { caption: "Parameters" });
  assertEquals(table.text.split("\n"), [
    "Parameters",
    "name | count",
    "-----|-------",
    "Wxh  |      5",
    "by   | 12,345",
    "x↵y  |    0.5",
  ]);
});

Deno.test("tableDisplay escapes HTML, keeps the column order given and shows missing as blank", () => {
  const table = tableDisplay([{ a: "<b>&", b: 1 }, { a: "z" }], { columns: ["b", "a"] });
  const bundle = table[JUPYTER_DISPLAY]();
  assertEquals(bundle["text/plain"], table.text);
  assertOk(bundle["text/html"].includes("&lt;b&gt;&amp;"));
  assertOk(!bundle["text/html"].includes("<b>"));
  assertOk(bundle["text/html"].indexOf(">b</th>") < bundle["text/html"].indexOf(">a</th>"));
  assertOk(table.text.split("\n")[3]!.startsWith("  | z"));
});

Deno.test("tableDisplay of no rows is an empty table", () => {
  const table = tableDisplay([]);
  assertEquals(table.text, "\n");
  assertOk(table.html.includes("<tbody></tbody>"));
});
