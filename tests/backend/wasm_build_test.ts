// Rebuilding the WebAssembly kernels from lib/backend/wasm/kernels.as with the pinned AssemblyScript
// gives byte-identical output to the committed lib/backend/wasm/kernels_wasm.ts. It needs the npm
// package (cached by Deno after the first run); without network access it is skipped.
import { assertEquals } from "../assert.ts";
import { buildKernelsModule } from "../../lib/backend/wasm/build.ts";
import { needs } from "../permissions.ts";

Deno.test("deno task build:wasm reproduces lib/backend/wasm/kernels_wasm.ts byte for byte", {
  ignore: needs("read", "write", "run"),
}, async () => {
  let rebuilt: string;
  try {
    rebuilt = await buildKernelsModule();
  } catch (e) {
    const message = (e as Error).message;
    if (/npm|registry|network|fetch|dns|connect/i.test(message)) {
      console.warn(`skipped: cannot reach the pinned compiler (${message.split("\n")[0]})`);
      return;
    }
    throw e;
  }
  const committed = await Deno.readTextFile(
    new URL("../../lib/backend/wasm/kernels_wasm.ts", import.meta.url),
  );
  assertEquals(
    rebuilt === committed,
    true,
    "lib/backend/wasm/kernels_wasm.ts is stale: run deno task build:wasm",
  );
});
