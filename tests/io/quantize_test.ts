// Packed weights for pages: float16 against the runtime's own rounding, int8 error bounds per
// row, exact float32, base64, and clear errors for data that does not fit.
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { Rng } from "../../lib/core/rng.ts";
import {
  float16Bits,
  fromBase64,
  fromFloat16Bits,
  packedBytes,
  packTensor,
  toBase64,
  unpackTensor,
} from "../../lib/io/quantize.ts";

const f16round = (Math as unknown as { f16round?: (x: number) => number }).f16round;

Deno.test("float16 rounds like Math.f16round: normals, subnormals, ties, overflow", () => {
  const rng = new Rng(1);
  const values = [
    0,
    -0,
    1,
    -1,
    65504,
    65519.99,
    65520,
    1e6,
    -1e6,
    2 ** -24,
    2 ** -25,
    2 ** -26,
    3 * 2 ** -25,
    6.1e-5,
    1 + 2 ** -11,
    1 + 3 * 2 ** -11,
    Infinity,
    -Infinity,
  ];
  for (let i = 0; i < 20_000; i++) values.push(Math.fround(rng.normal() * 10 ** (rng.int(12) - 8)));
  let worst = 0;
  for (const v of values) {
    const x = Math.fround(v), back = fromFloat16Bits(float16Bits(x));
    if (f16round) assertEquals(Object.is(back, f16round(x)), true, `f16(${x}) = ${back}`);
    if (Math.abs(x) >= 2 ** -14 && Math.abs(x) <= 65504) {
      worst = Math.max(worst, Math.abs(back - x) / Math.abs(x));
    }
  }
  console.log(`float16: worst relative error of normals ${worst.toExponential(2)} (bound 2^-11)`);
  assertOk(worst <= 2 ** -11);
  assertOk(Number.isNaN(fromFloat16Bits(float16Bits(NaN))));
});

Deno.test("int8: one scale per row, every value within half a step of its row's scale", () => {
  const rng = new Rng(2);
  const R = 7, C = 33;
  const data = Float32Array.from(
    { length: R * C },
    (_, i) => rng.normal() * (1 + Math.floor(i / C)),
  );
  const packed = packTensor({ shape: [R, C], data }, "int8");
  const scales = new DataView(fromBase64(packed.scales!).buffer);
  assertEquals(scales.byteLength, 4 * R);
  const back = unpackTensor(packed);
  for (let r = 0; r < R; r++) {
    const scale = scales.getFloat32(4 * r, true);
    const max = Math.max(...Array.from(data.subarray(r * C, (r + 1) * C), Math.abs));
    assertOk(Math.abs(scale - max / 127) < 1e-6 * max, `row ${r} scale`);
    for (let j = 0; j < C; j++) {
      assertOk(Math.abs(back[r * C + j]! - data[r * C + j]!) <= scale / 2 + 1e-7, `(${r}, ${j})`);
    }
  }
  assertEquals(packedBytes(packed), R * C + 4 * R);
  const zeros = unpackTensor(packTensor({ shape: [3], data: new Float32Array(3) }, "int8"));
  assertEquals(zeros, new Float32Array(3), "an all-zero row stays zero");
});

Deno.test("float32 packing is exact and float16 halves the bytes", () => {
  const rng = new Rng(3);
  const data = Float32Array.from({ length: 1000 }, () => rng.normal());
  const f32 = packTensor({ shape: [10, 100], data }, "f32");
  assertEquals(unpackTensor(f32), data);
  const f16 = packTensor({ shape: [10, 100], data: Float64Array.from(data) }, "f16");
  assertEquals([packedBytes(f32), packedBytes(f16)], [4000, 2000]);
});

Deno.test("base64 round trips every byte and length", () => {
  const rng = new Rng(4);
  for (const n of [0, 1, 2, 3, 4, 100_001]) {
    const bytes = Uint8Array.from({ length: n }, () => rng.int(256));
    assertEquals(fromBase64(toBase64(bytes)), bytes);
  }
  assertEquals(toBase64(new TextEncoder().encode("charrnn")), "Y2hhcnJubg==");
});

Deno.test("packing and unpacking refuse data that does not fit", () => {
  assertThrows(
    () => packTensor({ shape: [2, 2], data: new Float32Array(3) }, "f16"),
    /shape \[2,2\] with 3 values/,
  );
  assertThrows(
    () => packTensor({ shape: [1], data: new Float32Array(1) }, "q4" as never),
    /Unknown precision "q4"/,
  );
  const packed = packTensor({ shape: [2, 2], data: new Float32Array(4) }, "int8");
  assertThrows(() => unpackTensor({ ...packed, shape: [2, 3] }), /4 bytes for shape \[2,3\]/);
  assertThrows(() => unpackTensor({ ...packed, scales: "" }), /0 scales for 2 rows/);
});
