// Gradient clipping: global norm (keeps direction), per-entry value (the seed's np.clip), none.
import { createBackend } from "../../lib/backend/create.ts";
import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import { clipGradients, globalNorm } from "../../lib/train/clip.ts";
import type { Params } from "../../lib/core/tensor.ts";

const F64 = createBackend({ kind: "f64" });

function grads(): Params {
  return {
    a: { shape: [2, 2], data: Float64Array.from([3, -4, 12, 0]) },
    b: { shape: [3], data: Float64Array.from([-6, 2, 0.5]) },
  };
}
// sum of squares: 9 + 16 + 144 + 0 + 36 + 4 + 0.25 = 209.25

Deno.test("globalNorm is the L2 norm over all tensors", () => {
  assertClose(globalNorm(grads(), F64), Math.sqrt(209.25), 1e-15);
  assertEquals(globalNorm({}, F64), 0);
  const f32 = { w: { shape: [2], data: Float32Array.from([3, 4]) } };
  assertEquals(globalNorm(f32, F64), 5);
});

Deno.test("norm mode scales to exactly the limit and keeps the direction", () => {
  const g = grads();
  const before = [...g.a!.data, ...g.b!.data];
  const report = clipGradients(g, { mode: "norm", limit: 5, backend: F64 });
  assertEquals(report.clipped, true);
  assertClose(report.gradNorm, Math.sqrt(209.25), 1e-15, "the norm BEFORE clipping");
  assertClose(globalNorm(g, F64), 5, 1e-14);
  const after = [...g.a!.data, ...g.b!.data];
  const s = 5 / Math.sqrt(209.25);
  after.forEach((v, i) => assertClose(v, before[i]! * s, 1e-15));
  // same direction: cosine similarity 1
  const dot = after.reduce((acc, v, i) => acc + v * before[i]!, 0);
  assertClose(dot / (5 * Math.sqrt(209.25)), 1, 1e-14);
});

Deno.test("norm mode leaves gradients under the limit alone", () => {
  const g = grads();
  const report = clipGradients(g, { mode: "norm", limit: 100, backend: F64 });
  assertEquals(report.clipped, false);
  assertEquals(g, grads());
  assertClose(report.gradNorm, Math.sqrt(209.25), 1e-15);
  const exact = { w: { shape: [2], data: Float64Array.from([3, 4]) } };
  assertEquals(
    clipGradients(exact, { mode: "norm", limit: 5, backend: F64 }).clipped,
    false,
    "norm == limit",
  );
});

Deno.test("value mode clamps each entry to +-limit like np.clip(d, -5, 5)", () => {
  const g = grads();
  const report = clipGradients(g, { mode: "value", limit: 5, backend: F64 });
  assertEquals(report.clipped, true);
  assertClose(report.gradNorm, Math.sqrt(209.25), 1e-15);
  // np.clip([3, -4, 12, 0], -5, 5) = [3, -4, 5, 0]; np.clip([-6, 2, 0.5], -5, 5) = [-5, 2, 0.5]
  assertEquals(Array.from(g.a!.data), [3, -4, 5, 0]);
  assertEquals(Array.from(g.b!.data), [-5, 2, 0.5]);
  const small = grads();
  assertEquals(clipGradients(small, { mode: "value", limit: 12, backend: F64 }), {
    gradNorm: Math.sqrt(209.25),
    clipped: false,
  });
  assertEquals(small, grads(), "entries equal to the limit stay");
});

Deno.test("none mode reports the norm and changes nothing", () => {
  const g = grads();
  assertEquals(clipGradients(g, { mode: "none", limit: 0.001, backend: F64 }), {
    gradNorm: Math.sqrt(209.25),
    clipped: false,
  });
  assertEquals(g, grads());
  assertEquals(
    clipGradients(g, { mode: "none", limit: 0, backend: F64 }).clipped,
    false,
    "limit unused",
  );
});

Deno.test("a non-positive limit is rejected", () => {
  for (const limit of [0, -1, NaN]) {
    assertThrows(
      () => clipGradients(grads(), { mode: "norm", limit, backend: F64 }),
      /Invalid clip limit .*: expected a positive number/,
    );
    assertThrows(
      () => clipGradients(grads(), { mode: "value", limit, backend: F64 }),
      /Invalid clip limit/,
    );
  }
});

Deno.test("an infinite or NaN gradient shows in the reported norm", () => {
  const g = { w: { shape: [2], data: Float64Array.from([NaN, 1]) } };
  const r = clipGradients(g, { mode: "norm", limit: 1, backend: F64 });
  assertOk(Number.isNaN(r.gradNorm));
  const inf = { w: { shape: [2], data: Float64Array.from([Infinity, 1]) } };
  assertEquals(clipGradients(inf, { mode: "value", limit: 1, backend: F64 }).gradNorm, Infinity);
  assertEquals(Array.from(inf.w.data), [1, 1]);
});
