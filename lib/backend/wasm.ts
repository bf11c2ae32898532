/**
 * The WebAssembly SIMD backend: the kernels of `wasm/kernels.as`, compiled once per process
 * from the embedded module, and all of a backend's buffers in one shared
 * `WebAssembly.Memory` (shared, so growing it never detaches the arrays already handed out,
 * and OpenBLAS can read the same arrays through FFI: the `openblas` backend is this one with
 * OpenBLAS's matrix products).
 *
 * @module
 */
import type { FloatArray } from "../core/tensor.ts";
import { type GemmKernel, type ResolvedGemmPlan, tsGemm } from "./gemm.ts";
import { BackendBase, type BackendSetup } from "./base.ts";
import type { AdamStep, Backend, RmsPropStep } from "./types.ts";
import { KERNELS_WASM_RELAXED, KERNELS_WASM_STRICT } from "./wasm/kernels_wasm.ts";

const PAGE = 65536;
const MAX_PAGES = 16384; // 1 GiB, as declared by the module (build.ts --maximumMemory)
const ALIGN = 64; // bytes: one cache line

/** The functions exported by the kernels module (pointers are byte offsets). */
interface Exports {
  sgemm(...args: number[]): void;
  sgemmNT(...args: number[]): void;
  sgemv(...args: number[]): void;
  sgemvT(...args: number[]): void;
  tanhInPlace(p: number, n: number, one: number): void;
  tanhBackward(dz: number, h: number, n: number, one: number): void;
  gatherRows(dst: number, table: number, idx: number, bias: number, N: number, H: number): void;
  scatterAddRows(dst: number, src: number, idx: number, N: number, H: number): void;
  gatherCols(...args: number[]): void;
  scatterAddCols(...args: number[]): void;
  addRowSums(dst: number, src: number, N: number, H: number): void;
  transpose(dst: number, src: number, R: number, C: number, add: number): void;
  softmaxRows(...args: number[]): void;
  softmaxBackward(...args: number[]): void;
  sgd(w: number, g: number, n: number, lr: number): void;
  adagrad(w: number, g: number, m: number, n: number, lr: number, eps: number): void;
  rmsprop(...args: number[]): void;
  adam(...args: number[]): void;
  sumSquares(p: number, n: number): number;
  clampInPlace(p: number, n: number, limit: number): number;
  scaleInPlace(p: number, n: number, s: number): void;
  multiply(dst: number, a: number, b: number, n: number): void;
  lstmForward(...args: number[]): void;
  lstmBackward(...args: number[]): void;
  gruForward(...args: number[]): void;
  gruBackward(...args: number[]): void;
}

/** The compiled kernels, or why they cannot run here. */
export type WasmSupport = { module: WebAssembly.Module; variant: "relaxed" | "strict" } | {
  module: null;
  reason: string;
};

let support: WasmSupport | undefined;

/**
 * Compiles the embedded kernels (once): the relaxed-SIMD build when this runtime validates
 * it, else the strict one; `module: null` with a reason when neither runs (no SIMD, or no
 * shared memory).
 *
 * @returns The module and its variant, or the reason.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = wasmSupport();
 * assert.ok(s.module !== null || s.reason.length > 0);
 * ```
 */
export function wasmSupport(): WasmSupport {
  if (support) return support;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return support = { module: null, reason: "shared WebAssembly memory is not supported" };
  }
  for (
    const [variant, b64] of [["relaxed", KERNELS_WASM_RELAXED], [
      "strict",
      KERNELS_WASM_STRICT,
    ]] as const
  ) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    if (WebAssembly.validate(bytes)) {
      return support = { module: new WebAssembly.Module(bytes), variant };
    }
  }
  return support = { module: null, reason: "WebAssembly SIMD is not supported by this runtime" };
}

/** A planned product on the wasm kernels (a `b` that is transposed in `a` needs no copy). */
function wasmGemm(ex: Exports, plan: ResolvedGemmPlan): GemmKernel {
  const { m, n, k, transA, transB, lda, ldb, ldc, beta } = plan;
  if (transA && transB) return tsGemm(plan); // not used by the models; correct but slow
  if (m === 1 && (!transA || lda === 1)) {
    // a row vector times op(B): a matrix-vector product on B
    if (transB) {
      return (a, b, c) => ex.sgemv(n, k, b.byteOffset, ldb, a.byteOffset, c.byteOffset, beta);
    }
    return (a, b, c) => ex.sgemvT(k, n, b.byteOffset, ldb, a.byteOffset, c.byteOffset, beta);
  }
  if (transB) {
    return (a, b, c) =>
      ex.sgemmNT(m, n, k, a.byteOffset, lda, b.byteOffset, ldb, c.byteOffset, ldc, beta);
  }
  const ars = transA ? 1 : lda, acs = transA ? lda : 1;
  return (a, b, c) =>
    ex.sgemm(m, n, k, a.byteOffset, ars, acs, b.byteOffset, ldb, c.byteOffset, ldc, beta);
}

/**
 * A backend whose float32 buffers live in one shared WebAssembly memory, with first-fit reuse
 * of freed blocks. The memory (and everything in it) is released with the backend.
 */
export class WasmBackend extends BackendBase implements Backend {
  /** Always float32. */
  readonly float = "f32" as const;
  #memory: WebAssembly.Memory;
  #buffers = new WeakSet<ArrayBufferLike>(); // every buffer object of #memory handed out
  #ex: Exports;
  #top = ALIGN; // first never-used byte; offset 0 is kept unused
  #free: { ptr: number; size: number }[] = []; // sorted by ptr
  #sizes = new Map<number, number>(); // ptr -> block size of live blocks

  /**
   * Instantiates the kernels on a new memory.
   *
   * @param options Kind, description and matrix products.
   * @throws {Error} when {@linkcode wasmSupport} reports no support.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const wasm = new WasmBackend({ kind: "wasm", detail: "wasm" });
   * const a = wasm.alloc(3);
   * a.set([3, 0, 4]);
   * assert.equal(wasm.sumSquares(a), 25);
   * ```
   */
  constructor(options: BackendSetup) {
    const s = wasmSupport();
    if (!s.module) throw new Error(`Cannot use the wasm backend: ${s.reason}`);
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const instance = new WebAssembly.Instance(s.module, { env: { memory } });
    const ex = instance.exports as unknown as Exports;
    super(options, (plan) => wasmGemm(ex, plan));
    this.#memory = memory;
    this.#ex = ex;
    this.#buffers.add(memory.buffer);
  }

  #allocBytes(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let ptr = -1;
    const i = this.#free.findIndex((b) => b.size >= size);
    if (i >= 0) {
      const block = this.#free[i]!;
      ptr = block.ptr;
      if (block.size === size) this.#free.splice(i, 1);
      else (block.ptr += size, block.size -= size);
    } else {
      ptr = this.#top;
      this.#top += size;
      const have = this.#memory.buffer.byteLength;
      if (this.#top > have) {
        const pages = Math.ceil((this.#top - have) / PAGE);
        if (have / PAGE + pages > MAX_PAGES) {
          throw new RangeError(
            `Cannot allocate ${bytes} bytes: the wasm workspace is limited to 1 GiB; ` +
              `use a smaller model or batch, or the ts backend`,
          );
        }
        this.#memory.grow(Math.max(pages, Math.ceil(have / PAGE / 4))); // grow by >= 25%
        this.#buffers.add(this.#memory.buffer);
      }
    }
    // never-used memory is zero; a reused block is cleared
    if (i >= 0) new Uint8Array(this.#memory.buffer, ptr, size).fill(0);
    this.#sizes.set(ptr, size);
    return ptr;
  }

  /** See {@linkcode Backend.alloc}. @param n Elements. @returns Zeros. */
  alloc(n: number): Float32Array {
    const ptr = this.#allocBytes(n * 4); // first: it may grow the memory
    return new Float32Array(this.#memory.buffer, ptr, n);
  }

  /** See {@linkcode Backend.allocInt32}. @param n Elements. @returns Zeros. */
  allocInt32(n: number): Int32Array {
    const ptr = this.#allocBytes(n * 4); // first: it may grow the memory
    return new Int32Array(this.#memory.buffer, ptr, n);
  }

  /** See {@linkcode Backend.free}. @param a A buffer from this backend. */
  free(a: FloatArray | Int32Array): void {
    const ptr = a.byteOffset, size = this.#sizes.get(ptr);
    if (size === undefined || !this.#buffers.has(a.buffer)) return;
    this.#sizes.delete(ptr);
    const list = this.#free;
    let i = 0;
    while (i < list.length && list[i]!.ptr < ptr) i++;
    list.splice(i, 0, { ptr, size });
    // merge with the next and the previous block
    const next = list[i + 1];
    if (next && ptr + size === next.ptr) (list[i]!.size += next.size, list.splice(i + 1, 1));
    const prev = list[i - 1];
    if (prev && prev.ptr + prev.size === ptr) (prev.size += list[i]!.size, list.splice(i, 1));
  }

  /** See {@linkcode Backend.tanh}. @param a Values. */
  tanh(a: FloatArray): void {
    this.#ex.tanhInPlace(a.byteOffset, a.length, 1);
  }

  /** See {@linkcode Backend.tanhBackward}. @param dz Gradient. @param h Tanh outputs. */
  tanhBackward(dz: FloatArray, h: FloatArray): void {
    this.#ex.tanhBackward(dz.byteOffset, h.byteOffset, dz.length, 1);
  }

  /**
   * See {@linkcode Backend.gatherRows}.
   * @param dst Output. @param table Rows. @param idx Indices. @param bias Bias.
   */
  gatherRows(dst: FloatArray, table: FloatArray, idx: Int32Array, bias: FloatArray): void {
    this.#ex.gatherRows(
      dst.byteOffset,
      table.byteOffset,
      idx.byteOffset,
      bias.byteOffset,
      idx.length,
      bias.length,
    );
  }

  /** See {@linkcode Backend.scatterAddRows}. @param dst Rows. @param src Rows. @param idx Indices. */
  scatterAddRows(dst: FloatArray, src: FloatArray, idx: Int32Array): void {
    const N = idx.length;
    this.#ex.scatterAddRows(dst.byteOffset, src.byteOffset, idx.byteOffset, N, src.length / N);
  }

  /**
   * See {@linkcode Backend.gatherColumns}.
   * @param dst Output. @param table Columns. @param idx Indices. @param bias Bias.
   */
  gatherColumns(dst: FloatArray, table: FloatArray, idx: Int32Array, bias: FloatArray): void {
    const H = bias.length;
    this.#ex.gatherCols(
      dst.byteOffset,
      table.byteOffset,
      idx.byteOffset,
      bias.byteOffset,
      idx.length,
      H,
      table.length / H,
    );
  }

  /**
   * See {@linkcode Backend.scatterAddColumns}.
   * @param dst Columns. @param src Rows. @param idx Indices.
   */
  scatterAddColumns(dst: FloatArray, src: FloatArray, idx: Int32Array): void {
    const N = idx.length, H = src.length / N;
    this.#ex.scatterAddCols(dst.byteOffset, src.byteOffset, idx.byteOffset, N, H, dst.length / H);
  }

  /** See {@linkcode Backend.addRowSums}. @param dst Accumulator. @param src Rows. */
  addRowSums(dst: FloatArray, src: FloatArray): void {
    this.#ex.addRowSums(dst.byteOffset, src.byteOffset, src.length / dst.length, dst.length);
  }

  /**
   * See {@linkcode Backend.transpose}.
   * @param dst Output. @param src Input. @param rows Rows of src. @param add Accumulate.
   */
  transpose(dst: FloatArray, src: FloatArray, rows: number, add: boolean): void {
    this.#ex.transpose(dst.byteOffset, src.byteOffset, rows, src.length / rows, add ? 1 : 0);
  }

  /**
   * See {@linkcode Backend.softmaxRows}.
   * @param logits Logits. @param bias Bias. @param targets Targets. @param stats Output.
   */
  softmaxRows(
    logits: FloatArray,
    bias: FloatArray,
    targets: Int32Array,
    stats: FloatArray,
  ): void {
    this.#ex.softmaxRows(
      logits.byteOffset,
      bias.byteOffset,
      targets.byteOffset,
      stats.byteOffset,
      targets.length,
      bias.length,
      1, // `one`: see kernels.as
    );
  }

  /**
   * See {@linkcode Backend.softmaxBackward}.
   * @param p Probabilities. @param targets Targets. @param dbias Accumulator. @param scale Factor.
   */
  softmaxBackward(p: FloatArray, targets: Int32Array, dbias: FloatArray, scale: number): void {
    this.#ex.softmaxBackward(
      p.byteOffset,
      targets.byteOffset,
      dbias.byteOffset,
      targets.length,
      dbias.length,
      scale,
    );
  }

  /** See {@linkcode Backend.sgd}. @param w Parameters. @param g Gradients. @param lr Rate. */
  sgd(w: FloatArray, g: FloatArray, lr: number): void {
    this.#ex.sgd(w.byteOffset, g.byteOffset, w.length, lr);
  }

  /**
   * See {@linkcode Backend.rmsprop}.
   * @param w Parameters. @param g Gradients. @param ms Mean squares. @param options Settings.
   */
  rmsprop(w: FloatArray, g: FloatArray, ms: FloatArray, options: RmsPropStep): void {
    const { lr, rho, eps } = options;
    this.#ex.rmsprop(w.byteOffset, g.byteOffset, ms.byteOffset, w.length, lr, rho, 1 - rho, eps);
  }

  /**
   * See {@linkcode Backend.adagrad}.
   * @param w Parameters. @param g Gradients. @param m Squares. @param options Rate and eps.
   */
  adagrad(
    w: FloatArray,
    g: FloatArray,
    m: FloatArray,
    options: { lr: number; eps: number },
  ): void {
    this.#ex.adagrad(w.byteOffset, g.byteOffset, m.byteOffset, w.length, options.lr, options.eps);
  }

  /**
   * See {@linkcode Backend.adam}.
   * @param w Parameters. @param g Gradients. @param moments `[m, v]`. @param step Settings.
   */
  adam(
    w: FloatArray,
    g: FloatArray,
    moments: [FloatArray, FloatArray],
    step: AdamStep,
  ): void {
    const { lr, beta1, beta2, c1, c2, eps } = step;
    const [m, v] = moments;
    this.#ex.adam(
      w.byteOffset,
      g.byteOffset,
      m.byteOffset,
      v.byteOffset,
      w.length,
      lr,
      beta1,
      beta2,
      1 - beta1,
      1 - beta2,
      c1,
      c2,
      eps,
    );
  }

  /** See {@linkcode Backend.sumSquares}. @param a Values. @returns The sum. */
  sumSquares(a: FloatArray): number {
    return this.#ex.sumSquares(a.byteOffset, a.length);
  }

  /** See {@linkcode Backend.clamp}. @param a Values. @param limit Bound. @returns Changed. */
  clamp(a: FloatArray, limit: number): boolean {
    return this.#ex.clampInPlace(a.byteOffset, a.length, limit) !== 0;
  }

  /** See {@linkcode Backend.scale}. @param a Values. @param s Factor. */
  scale(a: FloatArray, s: number): void {
    this.#ex.scaleInPlace(a.byteOffset, a.length, s);
  }

  /** See {@linkcode Backend.multiply}. @param dst Output. @param a Values. @param b Factors. */
  multiply(dst: FloatArray, a: FloatArray, b: FloatArray): void {
    this.#ex.multiply(dst.byteOffset, a.byteOffset, b.byteOffset, dst.length);
  }

  /** See {@linkcode Backend.lstmForward}; `c.length / H` streams. */
  lstmForward(...args: Parameters<Backend["lstmForward"]>): void {
    const [gates, cPrev, c, tanhC, h, H] = args;
    this.#ex.lstmForward(...offsets(gates, cPrev, c, tanhC, h), c.length / H, H, 1);
  }

  /** See {@linkcode Backend.lstmBackward}; `dc.length / H` streams. */
  lstmBackward(...args: Parameters<Backend["lstmBackward"]>): void {
    const [gates, cPrev, tanhC, dh, dc, dGates, H] = args;
    this.#ex.lstmBackward(...offsets(gates, cPrev, tanhC, dh, dc, dGates), dc.length / H, H, 1);
  }

  /** See {@linkcode Backend.gruForward}; H = `bhn.length`. */
  gruForward(...args: Parameters<Backend["gruForward"]>): void {
    const H = args[2].length;
    this.#ex.gruForward(...offsets(...args), args[4].length / H, H, 1);
  }

  /** See {@linkcode Backend.gruBackward}; H = `dbhn.length`. */
  gruBackward(...args: Parameters<Backend["gruBackward"]>): void {
    const H = args[6].length;
    this.#ex.gruBackward(...offsets(...args), args[3].length / H, H, 1);
  }
}

/** The byte offsets of arrays in the module's memory (its kernels' pointers). */
function offsets(...arrays: FloatArray[]): number[] {
  return arrays.map((a) => a.byteOffset);
}
