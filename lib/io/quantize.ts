/**
 * Smaller weights for shipping a model inside a web page: each tensor packed as float32
 * (exact), float16 (IEEE half precision, rounded to nearest even: about 3 significant digits)
 * or 8-bit integers with one float32 scale per row (`w ~ scale_r * q`, `q` in -127..127,
 * `scale_r = max_j |w_rj| / 127`), as base64 text that a page decodes with `atob`. A row is
 * the last dimension: a `(R, C)` weight has R scales, a bias one.
 *
 * Nothing here needs Deno: the page's code uses {@linkcode unpackTensor} too.
 *
 * @module
 */

/** How tensor values are stored: 4, 2 or 1 byte per value. */
export type Precision = "f32" | "f16" | "int8";

/** The precisions, most exact first. */
export const PRECISIONS: readonly Precision[] = ["f32", "f16", "int8"];

/** A tensor packed for a page: values (and int8 scales) as base64 of little-endian bytes. */
export interface PackedTensor {
  /** Dimensions, outermost first. */
  shape: number[];
  /** How `data` stores the values. */
  precision: Precision;
  /** Base64 of the values: float32 or float16 little-endian, or int8. */
  data: string;
  /** `int8` only: base64 of one little-endian float32 scale per row. */
  scales?: string;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The float16 bit pattern nearest a number (after rounding it to float32), ties to even;
 * overflow gives infinity, tiny values subnormals or zero.
 *
 * @param x Any number.
 * @returns The 16-bit pattern.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([float16Bits(1), float16Bits(-2), float16Bits(65520)], [0x3c00, 0xc000, 0x7c00]);
 * ```
 */
export function float16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000, exp = (b >>> 23) & 0xff, mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // infinity, NaN
  const e = exp - 112; // exponent in float16's bias (15) instead of float32's (127)
  if (e >= 0x1f) return sign | 0x7c00; // too large: infinity
  if (e <= 0) { // subnormal in float16: m * 2^-24
    if (e < -10) return sign; // below half the smallest subnormal: zero
    const full = mant | 0x800000, shift = 14 - e;
    let m = full >>> shift;
    const rest = full & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  let out = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1))) out++; // a carry moves into the exponent
  return out;
}

/**
 * The number a float16 bit pattern stands for.
 *
 * @param h A 16-bit pattern.
 * @returns Its value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([fromFloat16Bits(0x3c00), fromFloat16Bits(0x0001)], [1, 2 ** -24]);
 * ```
 */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * Base64 of bytes (the standard alphabet with padding, as `atob` reads it).
 *
 * @param bytes Any bytes.
 * @returns The text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(toBase64(Uint8Array.of(1, 2, 3, 250)), "AQID+g==");
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/**
 * The bytes of a base64 text.
 *
 * @param text Base64, as {@linkcode toBase64} writes it.
 * @returns The bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(fromBase64("AQID+g=="), Uint8Array.of(1, 2, 3, 250));
 * ```
 */
export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/**
 * Packs a tensor at a precision.
 *
 * @param tensor Shape and values (float32 or float64).
 * @param precision `"f32"`, `"f16"` or `"int8"`.
 * @returns The packed tensor.
 * @throws {RangeError} for an unknown precision or a shape that does not match the values.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const w = { shape: [2, 2], data: Float32Array.of(0.5, -1, 2, 0.25) };
 * assert.deepEqual(unpackTensor(packTensor(w, "f16")), w.data);
 * const q = unpackTensor(packTensor(w, "int8")); // row scales 1/127 and 2/127
 * assert.ok(Math.abs(q[3]! - 0.25) <= 1 / 127 && q[1] === -1);
 * ```
 */
export function packTensor(
  tensor: { readonly shape: readonly number[]; readonly data: ArrayLike<number> },
  precision: Precision,
): PackedTensor {
  const { data } = tensor, shape = [...tensor.shape], n = data.length;
  if (shape.reduce((a, b) => a * b, 1) !== n) {
    throw new RangeError(`Cannot pack a tensor of shape [${shape}] with ${n} values`);
  }
  const view = (bytes: number) => new DataView(new ArrayBuffer(bytes));
  if (precision === "f32" || precision === "f16") {
    const size = precision === "f32" ? 4 : 2, out = view(n * size);
    for (let i = 0; i < n; i++) {
      if (size === 4) out.setFloat32(4 * i, data[i]!, true);
      else out.setUint16(2 * i, float16Bits(data[i]!), true);
    }
    return { shape, precision, data: toBase64(new Uint8Array(out.buffer)) };
  }
  if (precision !== "int8") {
    throw new RangeError(
      `Unknown precision "${precision}": expected one of ${PRECISIONS.join(", ")}`,
    );
  }
  const C = shape.at(-1) ?? 1, R = C > 0 ? n / C : 0; // rows of the last dimension
  const q = new Int8Array(n), scales = view(4 * R);
  for (let r = 0; r < R; r++) {
    let max = 0;
    for (let j = 0; j < C; j++) max = Math.max(max, Math.abs(data[r * C + j]!));
    f32[0] = max > 0 ? max / 127 : 1;
    const scale = f32[0]; // as stored
    scales.setFloat32(4 * r, scale, true);
    for (let j = 0; j < C; j++) {
      q[r * C + j] = Math.max(-127, Math.min(127, Math.round(data[r * C + j]! / scale)));
    }
  }
  return {
    shape,
    precision,
    data: toBase64(new Uint8Array(q.buffer)),
    scales: toBase64(new Uint8Array(scales.buffer)),
  };
}

/**
 * The float32 values of a packed tensor (what a page's model computes with).
 *
 * @param packed A tensor from {@linkcode packTensor}.
 * @returns Its values, row-major.
 * @throws {RangeError} when the data does not fit the shape and precision.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const t = { shape: [3], data: Float32Array.of(0.1, 0.2, 0.3) };
 * assert.deepEqual(unpackTensor(packTensor(t, "f32")), t.data); // float32 is exact
 * ```
 */
export function unpackTensor(packed: PackedTensor): Float32Array {
  const { shape, precision } = packed;
  const n = shape.reduce((a, b) => a * b, 1), out = new Float32Array(n);
  const bytes = fromBase64(packed.data);
  const size = precision === "f32" ? 4 : precision === "f16" ? 2 : 1;
  if (bytes.length !== n * size || !PRECISIONS.includes(precision)) {
    throw new RangeError(
      `Invalid packed tensor: ${bytes.length} bytes for shape [${shape}] at ${precision}`,
    );
  }
  const view = new DataView(bytes.buffer);
  if (precision === "f32") { for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true); }
  else if (precision === "f16") {
    for (let i = 0; i < n; i++) out[i] = fromFloat16Bits(view.getUint16(2 * i, true));
  } else {
    const C = shape.at(-1) ?? 1, R = C > 0 ? n / C : 0;
    const scales = new DataView(fromBase64(packed.scales ?? "").buffer);
    if (scales.byteLength !== 4 * R) {
      throw new RangeError(`Invalid packed tensor: ${scales.byteLength / 4} scales for ${R} rows`);
    }
    for (let r = 0; r < R; r++) {
      const scale = scales.getFloat32(4 * r, true);
      for (let j = 0; j < C; j++) out[r * C + j] = scale * view.getInt8(r * C + j);
    }
  }
  return out;
}

/**
 * The bytes a packed tensor's values and scales take before base64 (which adds a third).
 *
 * @param packed A packed tensor.
 * @returns Its size in bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const t = { shape: [2, 3], data: new Float32Array(6) };
 * assert.deepEqual(PRECISIONS.map((p) => packedBytes(packTensor(t, p))), [24, 12, 6 + 8]);
 * ```
 */
export function packedBytes(packed: PackedTensor): number {
  const fromLength = (b64: string) =>
    b64.length * 3 / 4 - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);
  return fromLength(packed.data) + (packed.scales ? fromLength(packed.scales) : 0);
}
