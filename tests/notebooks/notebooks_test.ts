// Notebooks: committed clean, and each executes on the Deno kernel without errors and draws
// its plots. Set NOTEBOOKS=a.ipynb,b.ipynb to test other notebooks than notebooks/*.ipynb.
import { assertEquals, assertOk } from "../assert.ts";
import {
  type Cell,
  cellSource,
  executeNotebook,
  ignoreWhenMissing,
  jupyterMissing,
  listNotebooks,
  PLOT_CALL,
  plotOutputCount,
  readNotebook,
} from "./notebook_support.ts";
import { notebookText, stripNotebook } from "../strip_notebooks.ts";
import { MAX_MESSAGE_BYTES } from "../../lib/mod.ts";
import { needs } from "../permissions.ts";

const unpermitted = needs("read", "write", "run"); // not even a listing
const notebooks = unpermitted ? [] : listNotebooks();
const missing = notebooks.length > 0 ? await jupyterMissing() : null;
const ignore = ignoreWhenMissing("notebooks_test", missing);

function nameOf(path: string): string {
  return path.split("/").at(-1)!;
}

function tags(cell: Cell): string[] {
  return cell.metadata.tags ?? [];
}

Deno.test("committed notebooks carry no outputs and no execution counts", {
  ignore: needs("read"),
}, () => {
  for (const path of notebooks) {
    const text = Deno.readTextFileSync(path);
    const nb = readNotebook(path);
    nb.cells.forEach((cell, i) => {
      if (cell.cell_type !== "code") return;
      const where = `${nameOf(path)} cell ${i}`;
      assertEquals(cell.outputs ?? [], [], `${where} has outputs; run deno task strip-notebooks`);
      assertEquals(cell.execution_count ?? null, null, `${where} has an execution count`);
    });
    assertOk(
      notebookText(stripNotebook(nb)) === text,
      `${nameOf(path)} is not stripped (metadata or final newlines); run deno task strip-notebooks`,
    );
  }
});

Deno.test({
  name: "every notebook's code type-checks against the library, as one module per notebook",
  ignore: unpermitted || notebooks.length === 0,
}, async () => {
  for (const path of notebooks) {
    const code = readNotebook(path).cells.filter((c) => c.cell_type === "code").map(cellSource);
    // beside the notebook, so its "../lib/mod.ts" imports resolve as in the kernel
    const file = path.replace(/\.ipynb$/, ".typecheck.tmp.ts");
    await Deno.writeTextFile(file, code.join("\n"));
    try {
      const { code: status, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["check", "--quiet", file],
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const errors = new TextDecoder().decode(stderr);
      assertEquals(status, 0, `${nameOf(path)} does not type-check:\n${errors}`);
    } finally {
      await Deno.remove(file);
    }
  }
});

if (notebooks.length === 0 && !unpermitted) {
  Deno.test("notebooks: none to execute yet", () => {
    console.log("notebooks_test: no notebooks/*.ipynb yet, nothing to execute");
  });
}

for (const path of notebooks) {
  Deno.test({
    name: `notebook ${nameOf(path)} runs without errors and draws its plots`,
    ignore,
    async fn() {
      if (missing !== null) throw new Error(missing);
      const executed = await executeNotebook(path);
      console.log(
        executed.reused
          ? `${nameOf(path)}: reused ${executed.path} (inputs unchanged)`
          : `${executed.log} (${executed.seconds.toFixed(1)} s with kernel start)`,
      );
      let plots = 0;
      let libraries = 0;
      let largest = 0;
      executed.notebook.cells.forEach((cell, i) => {
        if (cell.cell_type !== "code") return;
        const where = `${nameOf(path)} cell ${i}`;
        for (const out of cell.outputs ?? []) {
          assertOk(out.output_type !== "error", `${where}: ${out.ename}: ${out.evalue}`);
          const plain = out.data?.["text/plain"];
          const text = Array.isArray(plain) ? plain.join("") : String(plain ?? "");
          if (text === "plotly.js embedded for offline plots") libraries++;
          const bytes = new TextEncoder().encode(JSON.stringify(out)).length;
          assertOk(bytes <= MAX_MESSAGE_BYTES, `${where}: an output of ${bytes} bytes`);
          largest = Math.max(largest, bytes);
        }
        const n = plotOutputCount(cell);
        plots += n;
        const mustPlot = tags(cell).includes("plot") ||
          (PLOT_CALL.test(cellSource(cell)) && !tags(cell).includes("no-plot"));
        assertOk(!mustPlot || n > 0, `${where} calls a plot helper but shows no plot`);
      });
      assertOk(plots > 0, `${nameOf(path)} shows no plot; every notebook shows at least one`);
      assertEquals(libraries, 1, `${nameOf(path)} must embed plotly.js exactly once`);
      console.log(`${nameOf(path)}: ${plots} plots, largest output ${largest} bytes`);
    },
  });
}
