/**
 * The safetensors checkpoint format: an 8-byte little-endian u64 header length `N`, `N` bytes of
 * UTF-8 JSON header, then the raw little-endian tensor bytes.
 *
 * The header maps each tensor name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets are
 * relative to the first byte after the header) plus an optional `"__metadata__"` record of strings.
 * The decoder validates every field and returns fresh, aligned typed arrays.
 *
 * @module
 */

/** Element types this module reads and writes. */
export type SafeDtype = "F32" | "F64" | "I32" | "U32" | "U8";

/** Typed-array storage for a {@link SafeDtype}. */
export type SafeArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

/** One named tensor: `data.length === product(shape)`, row-major. */
export type SafeTensor = {
  /** Element type; must match the class of `data`. */
  dtype: SafeDtype;
  /** Dimensions, outermost first; `[]` is a scalar. */
  shape: number[];
  /** Row-major values. */
  data: SafeArray;
};

/** Largest header accepted, in bytes (the same limit as the reference implementation). */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";
const TENSOR_KEYS = ["dtype", "shape", "data_offsets"];
const show = JSON.stringify;
const OWN = { enumerable: true, writable: true, configurable: true };

/** Whether this machine stores numbers little-endian, as safetensors files do. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Per-dtype item size, typed-array class and DataView accessors. */
const DTYPES = {
  F32: { size: 4, ctor: Float32Array, get: "getFloat32", set: "setFloat32" },
  F64: { size: 8, ctor: Float64Array, get: "getFloat64", set: "setFloat64" },
  I32: { size: 4, ctor: Int32Array, get: "getInt32", set: "setInt32" },
  U32: { size: 4, ctor: Uint32Array, get: "getUint32", set: "setUint32" },
  U8: { size: 1, ctor: Uint8Array, get: "getUint8", set: "setUint8" },
} as const;

function isDtype(value: unknown): value is SafeDtype {
  return typeof value === "string" && Object.hasOwn(DTYPES, value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Sets an own enumerable property, even for names such as `__proto__`. */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { ...OWN, value });
}

/** Product of a shape, or -1 if it is not a safe integer. */
function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return Number.isSafeInteger(n) ? n : -1;
}

function invalid(detail: string): Error {
  return new Error(`Invalid safetensors file: ${detail}`);
}

/** Validates a tensor before encoding; returns its element count. */
function checkTensor(name: string, t: SafeTensor): number {
  const where = `Cannot encode safetensors: tensor "${name}"`;
  const shape = show(t.shape);
  if (name === METADATA_KEY) throw new TypeError(`${where} uses a reserved name; rename it`);
  if (!isDtype(t.dtype)) throw new TypeError(`${where} has unsupported dtype "${t.dtype}"`);
  if (!(t.data instanceof DTYPES[t.dtype].ctor)) {
    throw new TypeError(`${where} is ${t.dtype} but holds a ${t.data?.constructor?.name}`);
  }
  if (!Array.isArray(t.shape) || !t.shape.every(isCount)) {
    throw new RangeError(`${where} has shape ${shape}; use non-negative integers`);
  }
  const size = shapeSize(t.shape);
  if (size !== t.data.length) {
    throw new RangeError(`${where} has ${t.data.length} values but shape ${shape} needs ${size}`);
  }
  return size;
}

/**
 * Serializes named tensors to safetensors bytes. Tensors are laid out contiguously in sorted-name
 * order, and the header is padded with spaces so the data starts at an 8-byte boundary.
 *
 * @param tensors Tensors by name; `dtype` must match the typed-array class of `data`.
 * @param metadata Optional string-to-string record stored under `"__metadata__"`.
 * @returns The file contents.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const w = { dtype: "F32" as const, shape: [2], data: new Float32Array([1, 2]) };
 * const bytes = encodeSafetensors({ w }, { step: "10" });
 * assert.deepEqual(decodeSafetensors(bytes).tensors.w!.data, new Float32Array([1, 2]));
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string") {
        throw new TypeError(`Cannot encode safetensors: metadata "${key}" must be a string`);
      }
    }
    header[METADATA_KEY] = { ...metadata };
  }
  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const size = checkTensor(name, t);
    const spec = DTYPES[t.dtype];
    const end = offset + size * spec.size;
    setOwn(header, name, { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, end] });
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded); // spaces
  let pos = 8 + padded;
  for (const name of names) {
    const t = tensors[name]!;
    const spec = DTYPES[t.dtype];
    if (LITTLE_ENDIAN) { // the file's byte order: copy the bytes as they are
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
      pos += t.data.byteLength;
      continue;
    }
    const setter = view[spec.set].bind(view) as (at: number, value: number, le: boolean) => void;
    for (let i = 0; i < t.data.length; i++, pos += spec.size) setter(pos, t.data[i]!, true);
  }
  return out;
}

/** A header entry after validation, before its bytes are read. */
interface Entry {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Validates one header entry (everything except its position relative to the others). */
function parseEntry(name: string, raw: unknown): Entry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(raw)) throw invalid(`${where} must be an object`);
  for (const key of Object.keys(raw)) {
    if (!TENSOR_KEYS.includes(key)) throw invalid(`${where} has unknown key "${key}"`);
  }
  const { dtype, shape, data_offsets: offsets } = raw;
  if (!isDtype(dtype)) {
    throw invalid(`${where} has unsupported dtype ${show(dtype)} (use F32, F64, I32, U32, U8)`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw invalid(`${where} shape ${show(shape)} is not an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw invalid(`${where} data_offsets ${show(offsets)} must be two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw invalid(`${where} data_offsets begin ${begin} > end ${end}`);
  const size = shapeSize(shape);
  const itemSize = DTYPES[dtype].size;
  const need = size < 0 ? "over 2^53 elements" : `${size * itemSize} bytes`;
  if (size < 0 || size * itemSize !== end - begin) {
    throw invalid(`${where} has ${end - begin} bytes but shape ${show(shape)} needs ${need}`);
  }
  return { name, dtype, shape: [...shape], begin, end };
}

/** Reads and validates the length field and the JSON header; returns entries and metadata. */
function parseHeader(bytes: Uint8Array): { entries: Entry[]; meta: Record<string, string> } {
  if (bytes.length < 8) {
    throw invalid(`file is ${bytes.length} bytes, shorter than the 8-byte length (truncated)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw invalid(`header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const n = Number(length);
  if (8 + n > bytes.length) {
    throw invalid(`header length ${n} exceeds file size ${bytes.length} (truncated file?)`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw invalid("header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw invalid(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(header)) throw invalid("header JSON must be an object");
  const meta: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name !== METADATA_KEY) {
      entries.push(parseEntry(name, raw));
      continue;
    }
    if (!isPlainObject(raw)) throw invalid(`"${METADATA_KEY}" must be an object of strings`);
    for (const [key, value] of Object.entries(raw)) {
      if (typeof value !== "string") {
        throw invalid(`metadata "${key}" must be a string, got ${show(value)}`);
      }
      setOwn(meta, key, value);
    }
  }
  return { entries, meta };
}

/**
 * Parses and validates safetensors bytes. Every malformed input (truncated file, bad header,
 * unsupported dtype, inconsistent shape or offsets, gaps, overlaps, trailing bytes) throws an
 * `Error` whose message starts with `Invalid safetensors file:`.
 *
 * @param bytes The file contents.
 * @returns The tensors (fresh typed arrays, never views of `bytes`) and the metadata record
 *   (`{}` when absent).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const ids = { dtype: "U8" as const, shape: [3], data: new Uint8Array([7, 8, 9]) };
 * const bytes = encodeSafetensors({ ids });
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * assert.deepEqual(tensors.ids, ids);
 * assert.deepEqual(metadata, {});
 * assert.throws(() => decodeSafetensors(bytes.subarray(0, bytes.length - 1)), /truncated/);
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array,
): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  const { entries, meta } = parseHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataStart = 8 + Number(view.getBigUint64(0, true));
  const dataLength = bytes.length - dataStart;
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of sorted) {
    if (e.begin < expected) {
      throw invalid(`tensor "${e.name}" starts at byte ${e.begin}, overlapping the previous one`);
    }
    if (e.begin > expected) {
      throw invalid(`gap of ${e.begin - expected} bytes before tensor "${e.name}"`);
    }
    if (e.end > dataLength) {
      throw invalid(`truncated: tensor "${e.name}" ends at ${e.end} of ${dataLength} data bytes`);
    }
    expected = e.end;
  }
  if (expected !== dataLength) {
    throw invalid(`${dataLength - expected} trailing bytes after the last tensor`);
  }
  const tensors: Record<string, SafeTensor> = {};
  for (const e of entries) {
    const spec = DTYPES[e.dtype];
    const count = (e.end - e.begin) / spec.size;
    let pos = dataStart + e.begin;
    if (LITTLE_ENDIAN) { // a copy of the bytes is the array (and aligned, unlike a view)
      const data = new spec.ctor(bytes.slice(pos, pos + e.end - e.begin).buffer);
      setOwn(tensors, e.name, { dtype: e.dtype, shape: e.shape, data });
      continue;
    }
    const data = new spec.ctor(count);
    const getter = view[spec.get].bind(view) as (at: number, le: boolean) => number;
    for (let i = 0; i < count; i++, pos += spec.size) data[i] = getter(pos, true);
    setOwn(tensors, e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata: meta };
}
