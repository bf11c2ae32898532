// Weight averaging: the running mean then the exponential average, the in-place swap, checks.
import { assertClose, assertEquals, assertThrows } from "../assert.ts";
import { WeightAverage } from "../../lib/train/average.ts";

const param = (...v: number[]) => ({ w: { shape: [v.length], data: Float64Array.from(v) } });

Deno.test("the average is the plain mean for 1 / (1 - decay) updates, then exponential", () => {
  const params = param(100); // the initial weights: never part of the average
  const avg = new WeightAverage(params, { beta: 0.75 }); // a horizon of 4 updates
  const seen: number[] = [];
  for (let n = 1; n <= 4; n++) {
    params.w.data[0] = n * n;
    seen.push(n * n);
    avg.update(params);
    assertClose(avg.values.w!.data[0]!, seen.reduce((a, b) => a + b, 0) / n, 1e-12);
  }
  let expected = avg.values.w!.data[0]!;
  for (const x of [3, -5, 8]) {
    params.w.data[0] = x;
    avg.update(params);
    expected = 0.75 * expected + 0.25 * x;
    assertClose(avg.values.w!.data[0]!, expected, 1e-12);
  }
  assertEquals(avg.updates, 7);
});

Deno.test("a resumed average continues from its count; swap exchanges in place, twice restores", () => {
  const params = param(1, 2);
  const avg = new WeightAverage(params, { beta: 0.9, updates: 50 });
  params.w.data.set([11, 12]);
  avg.update(params); // beta = 0.9: not a mean of one update
  assertClose(avg.values.w!.data[0]!, 2, 1e-12);
  avg.swap(params);
  assertEquals([...params.w.data].map((v) => +v.toFixed(9)), [2, 3]);
  assertEquals([...avg.values.w!.data], [11, 12]);
  avg.swap(params);
  assertEquals([...params.w.data], [11, 12]);
});

Deno.test("betas outside (0, 1) are refused", () => {
  for (const beta of [0, 1, -0.5, NaN]) {
    assertThrows(() => new WeightAverage(param(1), { beta }), /Invalid weight-average beta/);
  }
});
