// Rebuilding the widget's page code from lib/report/widget/entry.ts with `deno bundle` gives
// byte-identical output to the committed lib/report/widget/bundle.ts, and that code uses no
// Deno API. Without the bundler's esbuild package (no network on first use) it is skipped.
import { assertEquals, assertOk } from "../assert.ts";
import { buildWidgetModule } from "../../lib/report/widget/build.ts";
import { WIDGET_SCRIPT } from "../../lib/report/widget/bundle.ts";
import { needs } from "../permissions.ts";

Deno.test("deno task build:widget reproduces lib/report/widget/bundle.ts byte for byte", {
  ignore: needs("read", "write", "run"),
}, async () => {
  let rebuilt: string;
  try {
    rebuilt = await buildWidgetModule();
  } catch (e) {
    const message = (e as Error).message;
    if (/npm|registry|network|fetch|dns|connect/i.test(message)) {
      console.warn(`skipped: cannot reach the bundler (${message.split("\n")[0]})`);
      return;
    }
    throw e;
  }
  const committed = await Deno.readTextFile(
    new URL("../../lib/report/widget/bundle.ts", import.meta.url),
  );
  assertEquals(
    rebuilt === committed,
    true,
    "lib/report/widget/bundle.ts is stale: run deno task build:widget",
  );
});

Deno.test("the page code is browser code: no Deno API, nothing that ends a <script>", () => {
  assertOk(!/\bDeno\b/.test(WIDGET_SCRIPT), "the bundle mentions Deno");
  assertOk(!/<\/script|<!--/i.test(WIDGET_SCRIPT));
  assertOk(WIDGET_SCRIPT.includes("globalThis.charrnnWidget"));
  assertOk(WIDGET_SCRIPT.length < 60_000, `${WIDGET_SCRIPT.length} characters`);
});
