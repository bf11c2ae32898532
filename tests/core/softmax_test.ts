// Softmax and softmax cross-entropy: normalisation, stability, temperature.
import { assertClose, assertEquals, assertOk } from "../assert.ts";
import { softmax, softmaxCrossEntropy } from "../../lib/core/softmax.ts";

function naiveSoftmax(x: number[]): number[] {
  const e = x.map(Math.exp);
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

Deno.test("softmax matches the naive formula on moderate logits and sums to 1", () => {
  const logits = [1.5, -0.3, 2.2, 0, -4, 0.7];
  const p = new Float64Array(6);
  softmax(logits, p, { n: 6 });
  naiveSoftmax(logits).forEach((v, i) => assertClose(p[i]!, v, 1e-15));
  assertClose(sum(p), 1, 1e-15);
});

Deno.test("softmax is stable for logits around +1e4 and -1e4", () => {
  for (const base of [1e4, -1e4]) {
    const logits = [base, base + 1, base - 2, base + 1];
    const p = new Float64Array(4);
    softmax(logits, p, { n: 4 });
    assertOk(p.every(Number.isFinite), `finite at ${base}`);
    assertClose(sum(p), 1, 1e-15);
    // shift invariance: the same as the softmax of [0, 1, -2, 1]
    naiveSoftmax([0, 1, -2, 1]).forEach((v, i) => assertClose(p[i]!, v, 1e-15));
  }
  const mixed = new Float64Array(3);
  softmax([1e4, -1e4, 0], mixed, { n: 3 });
  assertEquals(Array.from(mixed), [1, 0, 0]);
});

Deno.test("softmax works on a row at an offset, and in place", () => {
  const rows = Float64Array.from([9, 9, 9, 0, Math.log(3), 0, 9]); // row 1 is [0, ln 3, 0]
  const out = new Float64Array(7).fill(-1);
  softmax(rows, out, { offset: 3, n: 3 });
  assertEquals(Array.from(out.subarray(0, 3)), [-1, -1, -1], "other entries untouched");
  assertClose(out[3]!, 0.2, 1e-15);
  assertClose(out[4]!, 0.6, 1e-15);
  assertClose(out[5]!, 0.2, 1e-15);
  assertEquals(out[6], -1);
  softmax(rows, rows, { offset: 3, n: 3 }); // aliasing
  assertClose(rows[4]!, 0.6, 1e-15);
  const f32 = new Float32Array(2);
  softmax([0, 0], f32, { n: 2 });
  assertEquals(Array.from(f32), [0.5, 0.5]);
});

Deno.test("temperature: below 1 sharpens, above 1 flattens, equals dividing the logits", () => {
  const logits = [2, 1, 0.5, -1];
  const at = (temperature: number): Float64Array => {
    const p = new Float64Array(4);
    softmax(logits, p, { n: 4, temperature });
    return p;
  };
  const cold = at(0.5), base = at(1), hot = at(3);
  assertOk(cold[0]! > base[0]! && base[0]! > hot[0]!, "the top probability falls as T rises");
  assertOk(cold[3]! < base[3]! && base[3]! < hot[3]!, "the bottom probability rises as T rises");
  naiveSoftmax(logits.map((v) => v / 0.5)).forEach((v, i) => assertClose(cold[i]!, v, 1e-15));
  const frozen = at(1e-3);
  assertClose(frozen[0]!, 1, 1e-15);
  const flat = at(1e6);
  flat.forEach((v) => assertClose(v, 0.25, 1e-5));
});

Deno.test("cross-entropy equals -log(softmax[target]) and fills the probabilities", () => {
  const logits = [0.3, -1.2, 2.5, 0.9, 0];
  for (let target = 0; target < 5; target++) {
    const p = new Float64Array(5);
    const loss = softmaxCrossEntropy(logits, p, { n: 5, target });
    const ref = naiveSoftmax(logits);
    assertClose(loss, -Math.log(ref[target]!), 1e-14);
    ref.forEach((v, i) => assertClose(p[i]!, v, 1e-15));
  }
  const zeros = new Float64Array(4);
  assertClose(
    softmaxCrossEntropy(new Float64Array(4), zeros, { n: 4, target: 1 }),
    Math.log(4),
    1e-15,
  );
});

Deno.test("cross-entropy stays finite when the target's probability underflows", () => {
  const p = new Float64Array(3);
  const loss = softmaxCrossEntropy([1e4, -1e4, 0], p, { n: 3, target: 1 });
  assertEquals(p[1], 0, "p[target] underflows to 0 ...");
  assertClose(loss, 2e4, 1e-9); // ... but the loss is logsumexp - logit = 1e4 - (-1e4)
  assertClose(softmaxCrossEntropy([1e4, -1e4, 0], p, { n: 3, target: 0 }), 0, 1e-15);
  assertClose(softmaxCrossEntropy([-1e4, -1e4], p, { n: 2, target: 0 }), Math.log(2), 1e-12);
});

Deno.test("cross-entropy in place at an offset reads the target logit first", () => {
  const rows = Float64Array.from([5, 0.3, -1.2, 2.5, 7]);
  const ref = -Math.log(naiveSoftmax([0.3, -1.2, 2.5])[2]!);
  const loss = softmaxCrossEntropy(rows, rows, { offset: 1, n: 3, target: 2 });
  assertClose(loss, ref, 1e-14);
  assertEquals([rows[0], rows[4]], [5, 7]);
  assertClose(rows[1]! + rows[2]! + rows[3]!, 1, 1e-15);
});
