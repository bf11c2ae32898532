/**
 * The WebAssembly SIMD backend: the kernels of `wasm/kernels.as`, compiled once per process
 * from the embedded module, and a workspace per model holding all of its buffers in one
 * shared `WebAssembly.Memory` (shared, so growing it never detaches the arrays already
 * handed out, and OpenBLAS can read the same arrays through FFI).
 *
 * @module
 */
import {
  type AdamStep,
  type Engine,
  type GemmKernel,
  type GemmPlan,
  type ResolvedGemmPlan,
  resolveGemmPlan,
  type Workspace,
} from "./types.ts";
import { tsGemm } from "./ts.ts";
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
  adagrad(w: number, g: number, m: number, n: number, lr: number, eps: number): void;
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
const owners = new WeakMap<ArrayBufferLike, WasmWorkspace>();

/**
 * Compiles the embedded kernels (once): the relaxed-SIMD build when this runtime validates
 * it, else the strict one; `module: null` with a reason when neither runs (no SIMD, or no
 * shared memory).
 *
 * @returns The module and its variant, or the reason.
 * @example
 * ```ts
 * import { assertOk } from "../../tests/assert.ts";
 * const s = wasmSupport();
 * assertOk(s.module !== null || s.reason.length > 0);
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

/**
 * The WebAssembly workspace that handed out `a`, if any (the optimizers and clipping use it
 * to run their loops as SIMD kernels on the model's own memory).
 *
 * @param a An array.
 * @returns Its workspace, or `undefined` for ordinary arrays.
 * @example
 * ```ts
 * import { assertEquals } from "../../tests/assert.ts";
 * assertEquals(workspaceOf(new Float32Array(4)), undefined);
 * ```
 */
export function workspaceOf(a: ArrayBufferView): Workspace | undefined {
  return owners.get(a.buffer);
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
 * A workspace whose buffers live in one shared WebAssembly memory, with first-fit reuse of
 * freed blocks. The memory (and everything in it) is released with the workspace.
 */
export class WasmWorkspace implements Workspace {
  /** The engine this workspace belongs to. */
  readonly engine: Engine;
  #memory: WebAssembly.Memory;
  #ex: Exports;
  #gemm: (plan: ResolvedGemmPlan) => GemmKernel;
  #top = ALIGN; // first never-used byte; offset 0 is kept unused
  #free: { ptr: number; size: number }[] = []; // sorted by ptr
  #sizes = new Map<number, number>(); // ptr -> block size of live blocks

  /**
   * Instantiates the kernels on a new memory.
   *
   * @param engine The owning engine.
   * @param gemm Planner of the matrix products; default the wasm kernels.
   * @throws {Error} when {@linkcode wasmSupport} reports no support.
   */
  constructor(engine: Engine, gemm?: (plan: ResolvedGemmPlan) => GemmKernel) {
    const s = wasmSupport();
    if (!s.module) throw new Error(`Cannot use the wasm engine: ${s.reason}`);
    this.engine = engine;
    this.#memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
    const instance = new WebAssembly.Instance(s.module, { env: { memory: this.#memory } });
    const ex = this.#ex = instance.exports as unknown as Exports;
    this.#gemm = gemm ?? ((plan) => wasmGemm(ex, plan));
    owners.set(this.#memory.buffer, this);
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
              `use a smaller model or batch, or the openblas/ts engine`,
          );
        }
        this.#memory.grow(Math.max(pages, Math.ceil(have / PAGE / 4))); // grow by >= 25%
        owners.set(this.#memory.buffer, this);
      }
    }
    // never-used memory is zero; a reused block is cleared
    if (i >= 0) new Uint8Array(this.#memory.buffer, ptr, size).fill(0);
    this.#sizes.set(ptr, size);
    return ptr;
  }

  /** See {@linkcode Workspace.alloc}. @param n Elements. @returns Zeros. */
  alloc(n: number): Float32Array {
    const ptr = this.#allocBytes(n * 4); // first: it may grow the memory
    return new Float32Array(this.#memory.buffer, ptr, n);
  }

  /** See {@linkcode Workspace.allocInt32}. @param n Elements. @returns Zeros. */
  allocInt32(n: number): Int32Array {
    const ptr = this.#allocBytes(n * 4); // first: it may grow the memory
    return new Int32Array(this.#memory.buffer, ptr, n);
  }

  /** See {@linkcode Workspace.free}. @param a A buffer from this workspace. */
  free(a: Float32Array | Int32Array): void {
    const ptr = a.byteOffset, size = this.#sizes.get(ptr);
    if (size === undefined || owners.get(a.buffer) !== this) return;
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

  /** See {@linkcode Workspace.gemm}. @param plan The product. @returns Its kernel. */
  gemm(plan: GemmPlan): GemmKernel {
    return this.#gemm(resolveGemmPlan(plan));
  }

  /** See {@linkcode Workspace.tanh}. @param a Values. */
  tanh(a: Float32Array): void {
    this.#ex.tanhInPlace(a.byteOffset, a.length, 1);
  }

  /** See {@linkcode Workspace.tanhBackward}. @param dz Gradient. @param h Tanh outputs. */
  tanhBackward(dz: Float32Array, h: Float32Array): void {
    this.#ex.tanhBackward(dz.byteOffset, h.byteOffset, dz.length, 1);
  }

  /**
   * See {@linkcode Workspace.gatherRows}.
   * @param dst Output. @param table Rows. @param idx Indices. @param bias Bias.
   */
  gatherRows(dst: Float32Array, table: Float32Array, idx: Int32Array, bias: Float32Array): void {
    this.#ex.gatherRows(
      dst.byteOffset,
      table.byteOffset,
      idx.byteOffset,
      bias.byteOffset,
      idx.length,
      bias.length,
    );
  }

  /** See {@linkcode Workspace.scatterAddRows}. @param dst Rows. @param src Rows. @param idx Indices. */
  scatterAddRows(dst: Float32Array, src: Float32Array, idx: Int32Array): void {
    const N = idx.length;
    this.#ex.scatterAddRows(dst.byteOffset, src.byteOffset, idx.byteOffset, N, src.length / N);
  }

  /**
   * See {@linkcode Workspace.gatherColumns}.
   * @param dst Output. @param table Columns. @param idx Indices. @param bias Bias.
   */
  gatherColumns(dst: Float32Array, table: Float32Array, idx: Int32Array, bias: Float32Array): void {
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
   * See {@linkcode Workspace.scatterAddColumns}.
   * @param dst Columns. @param src Rows. @param idx Indices.
   */
  scatterAddColumns(dst: Float32Array, src: Float32Array, idx: Int32Array): void {
    const N = idx.length, H = src.length / N;
    this.#ex.scatterAddCols(dst.byteOffset, src.byteOffset, idx.byteOffset, N, H, dst.length / H);
  }

  /** See {@linkcode Workspace.addRowSums}. @param dst Accumulator. @param src Rows. */
  addRowSums(dst: Float32Array, src: Float32Array): void {
    this.#ex.addRowSums(dst.byteOffset, src.byteOffset, src.length / dst.length, dst.length);
  }

  /**
   * See {@linkcode Workspace.transpose}.
   * @param dst Output. @param src Input. @param rows Rows of src. @param add Accumulate.
   */
  transpose(dst: Float32Array, src: Float32Array, rows: number, add: boolean): void {
    this.#ex.transpose(dst.byteOffset, src.byteOffset, rows, src.length / rows, add ? 1 : 0);
  }

  /**
   * See {@linkcode Workspace.softmaxRows}.
   * @param logits Logits. @param bias Bias. @param targets Targets. @param stats Output.
   */
  softmaxRows(
    logits: Float32Array,
    bias: Float32Array,
    targets: Int32Array,
    stats: Float32Array,
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
   * See {@linkcode Workspace.softmaxBackward}.
   * @param p Probabilities. @param targets Targets. @param dbias Accumulator. @param scale Factor.
   */
  softmaxBackward(p: Float32Array, targets: Int32Array, dbias: Float32Array, scale: number): void {
    this.#ex.softmaxBackward(
      p.byteOffset,
      targets.byteOffset,
      dbias.byteOffset,
      targets.length,
      dbias.length,
      scale,
    );
  }

  /**
   * See {@linkcode Workspace.adagrad}.
   * @param w Parameters. @param g Gradients. @param m Squares. @param options Rate and eps.
   */
  adagrad(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    options: { lr: number; eps: number },
  ): void {
    this.#ex.adagrad(w.byteOffset, g.byteOffset, m.byteOffset, w.length, options.lr, options.eps);
  }

  /**
   * See {@linkcode Workspace.adam}.
   * @param w Parameters. @param g Gradients. @param moments `[m, v]`. @param step Settings.
   */
  adam(
    w: Float32Array,
    g: Float32Array,
    moments: [Float32Array, Float32Array],
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

  /** See {@linkcode Workspace.sumSquares}. @param a Values. @returns The sum. */
  sumSquares(a: Float32Array): number {
    return this.#ex.sumSquares(a.byteOffset, a.length);
  }

  /** See {@linkcode Workspace.clamp}. @param a Values. @param limit Bound. @returns Changed. */
  clamp(a: Float32Array, limit: number): boolean {
    return this.#ex.clampInPlace(a.byteOffset, a.length, limit) !== 0;
  }

  /** See {@linkcode Workspace.scale}. @param a Values. @param s Factor. */
  scale(a: Float32Array, s: number): void {
    this.#ex.scaleInPlace(a.byteOffset, a.length, s);
  }

  /** See {@linkcode Workspace.multiply}. @param dst Output. @param a Values. @param b Factors. */
  multiply(dst: Float32Array, a: Float32Array, b: Float32Array): void {
    this.#ex.multiply(dst.byteOffset, a.byteOffset, b.byteOffset, dst.length);
  }

  /**
   * See {@linkcode Workspace.lstmForward}.
   * @param gates Gates. @param cPrev c_{t-1}. @param c c_t. @param tanhC tanh(c_t).
   * @param h h_t. @param H Hidden size.
   */
  lstmForward(
    gates: Float32Array,
    cPrev: Float32Array,
    c: Float32Array,
    tanhC: Float32Array,
    h: Float32Array,
    H: number,
  ): void {
    const o = (a: Float32Array) => a.byteOffset;
    this.#ex.lstmForward(o(gates), o(cPrev), o(c), o(tanhC), o(h), c.length / H, H, 1);
  }

  /**
   * See {@linkcode Workspace.lstmBackward}.
   * @param gates Activations. @param cPrev c_{t-1}. @param tanhC tanh(c_t). @param dh dL/dh_t.
   * @param dc dL/dc, carried back. @param dGates Output. @param H Hidden size.
   */
  lstmBackward(
    gates: Float32Array,
    cPrev: Float32Array,
    tanhC: Float32Array,
    dh: Float32Array,
    dc: Float32Array,
    dGates: Float32Array,
    H: number,
  ): void {
    const o = (a: Float32Array) => a.byteOffset;
    this.#ex.lstmBackward(
      o(gates),
      o(cPrev),
      o(tanhC),
      o(dh),
      o(dc),
      o(dGates),
      dc.length / H,
      H,
      1,
    );
  }

  /**
   * See {@linkcode Workspace.gruForward}.
   * @param gates Gates. @param ah Hidden side. @param bhn Bias. @param hPrev h_{t-1}.
   * @param h h_t. @param hn The reset's operand.
   */
  gruForward(
    gates: Float32Array,
    ah: Float32Array,
    bhn: Float32Array,
    hPrev: Float32Array,
    h: Float32Array,
    hn: Float32Array,
  ): void {
    const o = (a: Float32Array) => a.byteOffset, H = bhn.length;
    this.#ex.gruForward(o(gates), o(ah), o(bhn), o(hPrev), o(h), o(hn), h.length / H, H, 1);
  }

  /**
   * See {@linkcode Workspace.gruBackward}.
   * @param gates Activations. @param hn Reset operand. @param hPrev h_{t-1}. @param dh dL/dh_t.
   * @param dax Input side. @param dah Hidden side. @param dbhn Accumulator. @param dhPrev Accumulator.
   */
  gruBackward(
    gates: Float32Array,
    hn: Float32Array,
    hPrev: Float32Array,
    dh: Float32Array,
    dax: Float32Array,
    dah: Float32Array,
    dbhn: Float32Array,
    dhPrev: Float32Array,
  ): void {
    const o = (a: Float32Array) => a.byteOffset, H = dbhn.length;
    this.#ex.gruBackward(
      o(gates),
      o(hn),
      o(hPrev),
      o(dh),
      o(dax),
      o(dah),
      o(dbhn),
      o(dhPrev),
      dh.length / H,
      H,
      1,
    );
  }
}
