import { assertClose, assertOk, assertThrows } from "../assert.ts";
import { checkDropoutRate, sampleDropoutMask } from "../../lib/model/dropout.ts";
import { Rng } from "../../lib/core/rng.ts";

Deno.test("dropout masks drop about `rate` of the entries and keep the mean at 1", () => {
  for (const rate of [0, 0.2, 0.5]) {
    const mask = new Float64Array(20000);
    sampleDropoutMask(mask, { rate, rng: new Rng(1) });
    const zeros = mask.filter((m) => m === 0).length / mask.length;
    const mean = mask.reduce((a, m) => a + m, 0) / mask.length;
    assertClose(zeros, rate, 0.015);
    assertClose(mean, 1, 0.03);
    assertOk(mask.every((m) => m === 0 || m === 1 / (1 - rate)));
  }
});

Deno.test("dropout masks are reproducible from the seed", () => {
  const a = new Float64Array(50), b = new Float64Array(50);
  sampleDropoutMask(a, { rate: 0.3, rng: new Rng(9) });
  sampleDropoutMask(b, { rate: 0.3, rng: new Rng(9) });
  assertOk(a.every((v, k) => v === b[k]));
});

Deno.test("dropout rates outside [0, 1) are rejected", () => {
  for (const rate of [1, -0.1, NaN, 2]) {
    assertThrows(
      () => checkDropoutRate(rate),
      /Invalid dropout .*: expected a number >= 0 and < 1/,
    );
    assertThrows(
      () => sampleDropoutMask(new Float64Array(2), { rate, rng: new Rng(1) }),
      /Invalid dropout/,
    );
  }
});
