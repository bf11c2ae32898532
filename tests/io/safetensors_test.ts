import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "../../lib/io/safetensors.ts";

/** Builds a file by hand: u64 LE header length, the header text as given, then `data`. */
function rawFile(header: string | Uint8Array, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** A header object serialized as JSON, then `data`. */
function fileWith(header: unknown, dataBytes = 0): Uint8Array {
  return rawFile(JSON.stringify(header), new Uint8Array(dataBytes));
}

/** Seeded PRNG (mulberry32) returning floats in [0, 1). */
function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return function next(): number {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function allDtypes(): Record<string, SafeTensor> {
  return {
    f32: { dtype: "F32", shape: [2, 3], data: new Float32Array([1.5, -2, 0, -0, Infinity, NaN]) },
    f64: { dtype: "F64", shape: [3], data: new Float64Array([Math.PI, -1e-300, 1e300]) },
    i32: { dtype: "I32", shape: [2, 2], data: new Int32Array([-2147483648, 2147483647, -1, 0]) },
    u32: { dtype: "U32", shape: [2], data: new Uint32Array([4294967295, 7]) },
    u8: { dtype: "U8", shape: [1, 1, 3], data: new Uint8Array([0, 128, 255]) },
    scalar: { dtype: "F64", shape: [], data: new Float64Array([42]) },
    empty: { dtype: "F32", shape: [0], data: new Float32Array(0) },
    empty2d: { dtype: "I32", shape: [3, 0], data: new Int32Array(0) },
  };
}

Deno.test("safetensors round-trips every dtype, empty tensors, scalars and metadata", () => {
  const tensors = allDtypes();
  const metadata = { format: "pt", step: "1200", note: "üñï ✓" };
  const { tensors: back, metadata: meta } = decodeSafetensors(encodeSafetensors(tensors, metadata));
  assertEquals(meta, metadata);
  assertEquals(Object.keys(back).sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) assertEquals(back[name], t, name);
  assertOk(Object.is(back.f32!.data[3], -0), "negative zero survives");
  assertOk(Number.isNaN(back.f32!.data[5]), "NaN survives");
});

Deno.test("safetensors round-trips an empty record with and without metadata", () => {
  assertEquals(decodeSafetensors(encodeSafetensors({})), { tensors: {}, metadata: {} });
  assertEquals(decodeSafetensors(encodeSafetensors({}, {})).metadata, {});
  assertEquals(decodeSafetensors(encodeSafetensors({}, { a: "" })).metadata, { a: "" });
});

Deno.test("safetensors writes the exact hand-computed layout", () => {
  const bytes = encodeSafetensors({
    b: { dtype: "U8", shape: [2], data: new Uint8Array([5, 6]) },
    a: { dtype: "F32", shape: [], data: new Float32Array([1.5]) },
  }, { k: "v" });
  const json = '{"__metadata__":{"k":"v"},' +
    '"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
    '"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}';
  assertEquals(json.length, 130); // padded with 6 spaces to 136 = 0x88
  const expected = [
    ...[0x88, 0, 0, 0, 0, 0, 0, 0], // u64 LE header length
    ...new TextEncoder().encode(json + "      "),
    ...[0x00, 0x00, 0xc0, 0x3f], // a = 1.5f (0x3FC00000) little-endian
    ...[5, 6], // b
  ];
  assertEquals(Array.from(bytes), expected);
});

Deno.test("safetensors pads the header so the data starts 8-byte aligned", () => {
  for (let len = 1; len <= 17; len++) {
    const name = "x".repeat(len);
    const bytes = encodeSafetensors({
      [name]: { dtype: "U8", shape: [1], data: new Uint8Array(1) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assertEquals((8 + n) % 8, 0, `name length ${len}`);
    assertEquals(bytes.length, 8 + n + 1);
  }
});

Deno.test("safetensors decode returns aligned copies, not views of the input", () => {
  const encoded = encodeSafetensors({
    w: { dtype: "F64", shape: [2], data: new Float64Array([1, 2]) },
  });
  // Embed at an odd offset to check unaligned input is handled.
  const host = new Uint8Array(encoded.length + 3);
  host.set(encoded, 3);
  const input = host.subarray(3);
  const w = decodeSafetensors(input).tensors.w!;
  assertOk(w.data.buffer !== host.buffer);
  assertEquals(w.data.byteOffset, 0);
  host.fill(0);
  assertEquals(w.data, new Float64Array([1, 2]));
});

Deno.test("safetensors decode keeps unusual names as own properties", () => {
  const header = '{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
  const { tensors } = decodeSafetensors(rawFile(header, new Uint8Array([9])));
  assertOk(Object.hasOwn(tensors, "__proto__"));
  assertEquals(Object.getPrototypeOf(tensors), Object.prototype);
  assertEquals(
    Object.getOwnPropertyDescriptor(tensors, "__proto__")?.value.data,
    new Uint8Array([9]),
  );
});

Deno.test("safetensors encode rejects inconsistent tensors", () => {
  const bad = (t: unknown) => () => encodeSafetensors({ w: t as SafeTensor });
  assertThrows(
    bad({ dtype: "F32", shape: [2], data: new Float64Array(2) }),
    /is F32 but holds a Float64Array/,
  );
  assertThrows(
    bad({ dtype: "F32", shape: [3], data: new Float32Array(2) }),
    /has 2 values but shape \[3\] needs 3/,
  );
  assertThrows(
    bad({ dtype: "F16", shape: [1], data: new Uint8Array(2) }),
    /unsupported dtype "F16"/,
  );
  assertThrows(
    bad({ dtype: "U8", shape: [-1], data: new Uint8Array(0) }),
    /use non-negative integers/,
  );
  assertThrows(
    bad({ dtype: "U8", shape: [1.5], data: new Uint8Array(0) }),
    /use non-negative integers/,
  );
  assertThrows(
    () => encodeSafetensors({ __metadata__: { dtype: "U8", shape: [0], data: new Uint8Array(0) } }),
    /reserved name/,
  );
  assertThrows(
    () => encodeSafetensors({}, { step: 3 as unknown as string }),
    /metadata "step" must be a string/,
  );
  try {
    bad({ dtype: "F32", shape: [2], data: new Float64Array(2) })();
  } catch (e) {
    assertOk(e instanceof TypeError);
  }
});

const F32_1 = { dtype: "F32", shape: [1], data_offsets: [0, 4] };

Deno.test("safetensors decode rejects a bad length field or header", () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(5), /Invalid safetensors file: file is 5 bytes, .*truncated/],
    [new Uint8Array(0), /file is 0 bytes/],
    [
      (() => {
        const b = new Uint8Array(120);
        new DataView(b.buffer).setBigUint64(0, 9999999n, true);
        return b;
      })(),
      /Invalid safetensors file: header length 9999999 exceeds file size 120/,
    ],
    [
      (() => {
        const b = new Uint8Array(16).fill(0xff);
        return b;
      })(),
      /header length 18446744073709551615 exceeds the 100000000-byte limit/,
    ],
    [rawFile(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /header is not valid UTF-8/],
    [rawFile("{not json"), /header is not valid JSON/],
    [rawFile(""), /header is not valid JSON/],
    [rawFile("[1, 2]"), /header JSON must be an object/],
    [rawFile("null"), /header JSON must be an object/],
    [rawFile('"str"'), /header JSON must be an object/],
    [fileWith({ __metadata__: "x" }), /"__metadata__" must be an object of strings/],
    [fileWith({ __metadata__: ["x"] }), /"__metadata__" must be an object of strings/],
    [fileWith({ __metadata__: { step: 3 } }), /metadata "step" must be a string, got 3/],
    [fileWith({ __metadata__: { a: null } }), /metadata "a" must be a string/],
  ];
  for (const [bytes, pattern] of cases) assertThrows(() => decodeSafetensors(bytes), pattern);
});

Deno.test("safetensors decode rejects bad tensor entries", () => {
  const cases: [unknown, number, RegExp][] = [
    [{ w: 3 }, 0, /tensor "w" must be an object/],
    [{ w: { ...F32_1, extra: 1 } }, 4, /tensor "w" has unknown key "extra"/],
    [{ w: { ...F32_1, dtype: "F16" } }, 4, /tensor "w" has unsupported dtype "F16"/],
    [{ w: { ...F32_1, dtype: 5 } }, 4, /unsupported dtype 5/],
    [{ w: { shape: [1], data_offsets: [0, 4] } }, 4, /unsupported dtype undefined/],
    [{ w: { ...F32_1, shape: [-1] } }, 4, /shape \[-1\] is not an array of non-negative integers/],
    [{ w: { ...F32_1, shape: [1.5] } }, 4, /not an array of non-negative integers/],
    [{ w: { ...F32_1, shape: ["1"] } }, 4, /not an array of non-negative integers/],
    [{ w: { ...F32_1, shape: 1 } }, 4, /not an array of non-negative integers/],
    [{ w: { ...F32_1, data_offsets: [0] } }, 4, /data_offsets \[0\] must be two non-negative/],
    [{ w: { ...F32_1, data_offsets: [0, 4, 8] } }, 4, /must be two non-negative integers/],
    [{ w: { ...F32_1, data_offsets: [-4, 0] } }, 4, /must be two non-negative integers/],
    [{ w: { ...F32_1, data_offsets: [0, 4.5] } }, 4, /must be two non-negative integers/],
    [{ w: { ...F32_1, data_offsets: "0,4" } }, 4, /must be two non-negative integers/],
    [{ w: { ...F32_1, data_offsets: [8, 4] } }, 8, /data_offsets begin 8 > end 4/],
    [{ w: { ...F32_1, shape: [3] } }, 4, /has 4 bytes but shape \[3\] needs 12 bytes/],
    [{ w: { ...F32_1, shape: [1 << 30, 1 << 30, 1 << 30] } }, 4, /needs over 2\^53 elements/],
    [{ w: { ...F32_1, dtype: "F64" } }, 4, /has 4 bytes but shape \[1\] needs 8 bytes/],
  ];
  for (const [header, n, pattern] of cases) {
    assertThrows(() => decodeSafetensors(fileWith(header, n)), pattern);
  }
});

Deno.test("safetensors decode rejects overlaps, gaps, out-of-range and trailing bytes", () => {
  const at = (begin: number) => ({ ...F32_1, data_offsets: [begin, begin + 4] });
  const cases: [unknown, number, RegExp][] = [
    [{ a: at(0), b: at(2) }, 6, /tensor "b" starts at byte 2, overlapping the previous one/],
    [{ a: at(0), b: at(0) }, 4, /overlapping/],
    [{ a: at(0), e: { ...F32_1, shape: [0], data_offsets: [2, 2] } }, 4, /overlapping/],
    [{ a: at(0), b: at(8) }, 12, /gap of 4 bytes before tensor "b"/],
    [{ a: at(4) }, 8, /gap of 4 bytes before tensor "a"/],
    [{ a: at(0) }, 6, /2 trailing bytes after the last tensor/],
    [{}, 1, /1 trailing bytes/],
    [{ a: at(0), b: at(4) }, 6, /truncated: tensor "b" ends at 8 of 6 data bytes/],
    [{ a: at(1000) }, 4, /gap of 1000 bytes/],
  ];
  for (const [header, n, pattern] of cases) {
    assertThrows(() => decodeSafetensors(fileWith(header, n)), pattern);
  }
  // Zero-size tensors may sit at a boundary, in any name order.
  const ok = { z: { ...F32_1, shape: [0], data_offsets: [4, 4] }, a: at(0), b: at(4) };
  assertEquals(Object.keys(decodeSafetensors(fileWith(ok, 8)).tensors).sort(), ["a", "b", "z"]);
});

Deno.test("safetensors decode reports truncation at every cut point", () => {
  const bytes = encodeSafetensors(allDtypes(), { step: "3" });
  for (let cut = 0; cut < bytes.length; cut++) {
    const sliced = bytes.slice(0, cut);
    assertThrows(() => decodeSafetensors(sliced), /Invalid safetensors file: .*truncated/);
  }
});

Deno.test("safetensors decode rejects a wrong header length field", () => {
  const bytes = encodeSafetensors(allDtypes());
  const view = new DataView(bytes.buffer);
  const n = view.getBigUint64(0, true);
  for (const delta of [-9n, -1n, 1n, 7n, 8n, 1n << 20n]) {
    const copy = bytes.slice();
    new DataView(copy.buffer).setBigUint64(0, n + delta, true);
    assertThrows(() => decodeSafetensors(copy), /Invalid safetensors file: /);
  }
});

Deno.test("safetensors decode survives random corruption (seeded fuzz)", () => {
  const next = makeRng(12345);
  const original = encodeSafetensors(allDtypes(), { step: "7", lr: "0.1" });
  const headerEnd = 8 + Number(new DataView(original.buffer).getBigUint64(0, true));
  let rejected = 0;
  let accepted = 0;
  for (let iter = 0; iter < 3000; iter++) {
    let bytes = original.slice();
    const mode = iter % 4;
    if (mode === 0) {
      bytes = bytes.slice(0, Math.floor(next() * bytes.length));
    } else {
      const flips = 1 + Math.floor(next() * 4);
      for (let k = 0; k < flips; k++) {
        // Mostly hit the length field and header, where corruption matters.
        const limit = next() < 0.8 ? headerEnd : bytes.length;
        const pos = Math.floor(next() * limit);
        if (mode === 1) bytes[pos]! ^= 1 << Math.floor(next() * 8);
        else if (mode === 2) bytes[pos] = Math.floor(next() * 256);
        else bytes[pos] = '0123456789[],":{} '.charCodeAt(Math.floor(next() * 18));
      }
    }
    try {
      const { tensors, metadata } = decodeSafetensors(bytes);
      accepted++;
      for (const [name, t] of Object.entries(tensors)) {
        assertEquals(t.data.length, t.shape.reduce((a, b) => a * b, 1), name);
        assertEquals(t.data.byteOffset, 0);
      }
      for (const v of Object.values(metadata)) assertEquals(typeof v, "string");
    } catch (e) {
      rejected++;
      assertOk(e instanceof Error, `non-Error thrown: ${String(e)}`);
      assertEquals(e.constructor, Error, `unexpected ${e.name}: ${e.message}`);
      assertOk(e.message.includes("safetensors"), e.message);
    }
  }
  assertOk(rejected > 1000, `rejected ${rejected}`);
  assertOk(accepted > 10, `accepted ${accepted}`);
});
