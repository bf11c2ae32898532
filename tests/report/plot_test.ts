// Plot helpers: figure structure, mime bundles, offline embedding of plotly.js, escaping.
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { barFigure, heatmapFigure, histogramFigure, lineFigure } from "../../lib/report/plot.ts";
import {
  describeFigure,
  figureBundle,
  isPlotlyEmbedded,
  JUPYTER_DISPLAY,
  loadPlotlySource,
  type MimeBundle,
  PLOTLY_MIME,
  plotlyDisplay,
  plotlyLoaderBundle,
  resetPlotlyEmbedding,
  showPlotlyLoader,
} from "../../lib/report/plot_bundle.ts";
import { livePlot } from "../../lib/report/plot_live.ts";
import type { RawDisplayOptions } from "../../lib/report/notebook/send.ts";
import { MAX_MESSAGE_BYTES } from "../../lib/report/notebook/pieces.ts";

/** Number of times a marker of the plotly.js source occurs in `html`. */
function libraryCopies(html: string): number {
  return html.split("plotly.js v").length - 1;
}

/** The HTML without the embedded library (which mentions map-tile hosts in its own code). */
function wrapperOf(html: string, source: string): string {
  return html.split(source).join("");
}

Deno.test("lineFigure builds one scatter trace per series with titles", () => {
  const fig = lineFigure([
    { name: "train", y: new Float32Array([3, 2, NaN]) },
    { name: "val", x: [0, 10, 20], y: [3.5, 2.5, 2] },
  ], { title: "Loss", xTitle: "iteration", yTitle: "loss", logY: true });
  assertEquals(fig.data.length, 2);
  assertEquals(fig.data[0], {
    type: "scatter",
    mode: "lines",
    name: "train",
    x: [0, 1, 2],
    y: [3, 2, null],
  });
  assertEquals(fig.data[1]!.x, [0, 10, 20]);
  assertEquals(fig.layout.title, { text: "Loss" });
  assertEquals((fig.layout.xaxis as { title: unknown }).title, { text: "iteration" });
  assertEquals((fig.layout.yaxis as { type: unknown }).type, "log");
  assertEquals(fig.layout.showlegend, true);
  assertEquals(JSON.parse(JSON.stringify(fig)), fig);
});

Deno.test("lineFigure accepts a single series and rejects mismatched x", () => {
  assertEquals(lineFigure({ y: [1, 2] }).data.length, 1);
  assertThrows(() => lineFigure({ name: "a", x: [1], y: [1, 2] }), /x has 1 values but y has 2/);
});

Deno.test("barFigure and histogramFigure", () => {
  const bars = barFigure(["a", "<b>"], new Float64Array([0.25, 0.75]), { title: "p" });
  assertEquals(bars.data, [{ type: "bar", x: ["a", "<b>"], y: [0.25, 0.75] }]);
  assertThrows(() => barFigure(["a"], [1, 2]), /1 labels but 2 values/);
  const hist = histogramFigure([1, 2, 2, Infinity], { bins: 3 });
  assertEquals(hist.data, [{ type: "histogram", x: [1, 2, 2, null], nbinsx: 3 }]);
});

Deno.test("heatmapFigure takes a tensor or rows, row 0 on top", () => {
  const fromTensor = heatmapFigure(
    { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    { xLabels: ["a", "b", "c"], zmid: 0, title: "Wxh" },
  );
  const trace = fromTensor.data[0]!;
  assertEquals(trace.z, [[1, 2, 3], [4, 5, 6]]);
  assertEquals(trace.x, ["a", "b", "c"]);
  assertEquals(trace.zmid, 0);
  assertEquals((fromTensor.layout.yaxis as { autorange: unknown }).autorange, "reversed");
  assertEquals(heatmapFigure([[1, 2], [3, 4]]).data[0]!.z, [[1, 2], [3, 4]]);
  assertThrows(() => heatmapFigure({ shape: [2, 2, 2], data: new Float64Array(8) }), /2-D/);
  assertThrows(() => heatmapFigure([[1, 2], [3]]), /row 1 has 1 values/);
  assertThrows(() => heatmapFigure([[1, 2]], { yLabels: ["a", "b"] }), /yLabels has 2 labels/);
});

Deno.test("a figure bundle carries the Plotly JSON, HTML and plain text", async () => {
  resetPlotlyEmbedding();
  const fig = lineFigure({ name: "loss", y: [2, 1] }, { title: "Loss" });
  const bundle: MimeBundle = await figureBundle(fig)[JUPYTER_DISPLAY]();
  assertEquals(Object.keys(bundle).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
  assertEquals(bundle[PLOTLY_MIME], fig);
  assertEquals(bundle["text/plain"], describeFigure(fig));
  assertEquals(bundle["text/plain"], 'Plotly figure "Loss": 1 trace (scatter)');
  assertOk(/<div id="charrnn-plot-[\w-]+" class="charrnn-plot"/.test(bundle["text/html"]));
  assertOk(bundle["text/html"].includes("Plotly.react("));
});

Deno.test("plotly.js goes to the page once per session, in pieces, again after a reset", async () => {
  resetPlotlyEmbedding();
  assertEquals(isPlotlyEmbedded(), false);
  const fig = barFigure(["x"], [1]);
  assertEquals(libraryCopies(plotlyDisplay(fig)["text/html"]), 0);
  assertOk(plotlyDisplay(fig)["text/html"].length < 10_000, "a plot holds only its drawing code");
  const sent: Record<string, unknown>[] = [];
  const display = (bundle: Record<string, unknown>) => void sent.push(bundle);
  await showPlotlyLoader(display);
  const pieces = sent.length;
  assertOk(pieces > 3, `the 4.8 MB library in ${pieces} outputs`);
  for (const bundle of sent) {
    assertOk(JSON.stringify(bundle).length <= MAX_MESSAGE_BYTES, "each under the message bound");
  }
  await showPlotlyLoader(display);
  assertEquals(sent.length, pieces, "sent once per session");
  resetPlotlyEmbedding();
  await showPlotlyLoader(display);
  assertEquals(sent.length, 2 * pieces, "sent again after a reset");
});

Deno.test("the HTML loads nothing from the network", async () => {
  const source = await loadPlotlySource();
  const loader = (await plotlyLoaderBundle())["text/html"];
  const html = plotlyDisplay(lineFigure({ y: [1] }))["text/html"];
  assertOk(loader.includes(source));
  for (const page of [loader, html]) {
    assertOk(!/<script[^>]*\ssrc=/i.test(page), "no <script src=...>");
  }
  // The library's own defaults name hosts for geo and map traces, which we never draw; the
  // HTML around it must name none.
  const wrapper = wrapperOf(loader, source) + html;
  assertOk(!/cdn\.plot\.ly|cdnjs|jsdelivr|unpkg/i.test(wrapper), "no CDN host");
  assertOk(!/https?:\/\//i.test(wrapper), "no URL outside the library");
  assertOk(!/<\/script/i.test(source), "the embedded source cannot close its <script>");
});

Deno.test("data cannot close the <script> element", () => {
  const evil = "</script><script>alert(1)</script>";
  const fig = barFigure([evil, "a & b", "\u2028"], [1, 2, 3], { title: evil });
  const html = plotlyDisplay(fig, { divId: "p1" })["text/html"];
  assertEquals(html.match(/<\/script>/gi)?.length, 1, "only the wrapper's own closing tag");
  assertOk(!html.includes("<script>alert"));
  const json = html.slice(html.indexOf("var figure = ") + 13, html.indexOf(";\n  function draw"));
  assertEquals(JSON.parse(json), fig, "the escaped JSON still parses to the figure");
});

Deno.test("plotlyDisplay draws into the given div id and validates it", () => {
  const fig = lineFigure({ y: [1, 2] });
  const html = plotlyDisplay(fig, { divId: "loss-live" })["text/html"];
  assertOk(html.startsWith('<div id="loss-live"'));
  assertOk(html.includes('document.getElementById("loss-live")'));
  try {
    plotlyDisplay(fig, { divId: '"><img src=x>' });
    throw new Error("expected a TypeError");
  } catch (error) {
    assertOk(error instanceof TypeError && /Cannot use divId/.test(error.message));
  }
});

Deno.test("livePlot adds a library output, then one output it updates in place", async () => {
  resetPlotlyEmbedding();
  const sent: { bundle: Record<string, unknown>; options: RawDisplayOptions }[] = [];
  const plot = livePlot("loss", {
    display(bundle, options) {
      sent.push({ bundle, options });
    },
  });
  for (let step = 1; step <= 3; step++) {
    await plot.update(lineFigure({ y: Array.from({ length: step }, (_, i) => 3 - i) }));
  }
  const updates = sent.filter((s) => s.options.display_id === plot.divId);
  const library = sent.slice(0, sent.length - updates.length);
  assertOk(library.length > 1 && library.every((s) => s.options.display_id === undefined));
  assertEquals(updates.length, 3);
  assertEquals(updates[0]!.options, { raw: true, display_id: plot.divId, update: false });
  assertEquals(updates[2]!.options, { raw: true, display_id: plot.divId, update: true });
  for (const { bundle } of updates) {
    const html = bundle["text/html"] as string;
    assertEquals(libraryCopies(html), 0);
    assertOk(html.startsWith(`<div id="${plot.divId}"`));
    assertEquals(bundle[PLOTLY_MIME], undefined, "an update carries html and text only");
  }
  assertOk((updates[2]!.bundle["text/html"] as string).includes('"y":[3,2,1]'));
  // A second live plot in the same session needs no new library output.
  const other: unknown[] = [];
  await livePlot("acc", { display: (_b, o) => void other.push(o) }).update(lineFigure({ y: [1] }));
  assertEquals(other.length, 1);
});

Deno.test("livePlot outside the kernel explains what to do", async () => {
  try {
    await livePlot("x").update(lineFigure({ y: [1] }));
    throw new Error("expected an error");
  } catch (error) {
    assertOk(
      error instanceof Error && /only defined inside the Deno Jupyter kernel/.test(error.message),
    );
  }
});
