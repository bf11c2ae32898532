/**
 * The WebAssembly SIMD backend: the kernels of `wasm/kernels.as`, compiled once per process
 * from the embedded module, working on the buffers of one {@linkcode WasmHeap} (which
 * OpenBLAS can read too through FFI: the `openblas` backend is this one with OpenBLAS's
 * matrix products).
 *
 * @module
 */
import type { FloatArray } from "../core/tensor.ts";
import { BackendBase, type BackendSetup } from "./base.ts";
import { LAYER_NORM_EPS } from "./norm_ts.ts";
import type { AdamStep, Backend, RmsPropStep } from "./types.ts";
import { WasmHeap } from "./wasm_heap.ts";
import { type Exports, wasmGemm, wasmSupport } from "./wasm_module.ts";

/**
 * A backend whose float32 buffers live in one shared WebAssembly memory (a {@linkcode WasmHeap}),
 * released with the backend.
 */
export class WasmBackend extends BackendBase implements Backend {
  /** Always float32. */
  readonly float = "f32" as const;
  #heap: WasmHeap;
  #ex: Exports;

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
    const heap = new WasmHeap();
    const instance = new WebAssembly.Instance(s.module, { env: { memory: heap.memory } });
    const ex = instance.exports as unknown as Exports;
    super(options, (plan) => wasmGemm(ex, plan));
    this.#heap = heap;
    this.#ex = ex;
  }

  /** See {@linkcode Backend.alloc}. @param n Elements. @returns Zeros. */
  alloc(n: number): Float32Array {
    return this.#heap.float32(n);
  }

  /** See {@linkcode Backend.allocInt32}. @param n Elements. @returns Zeros. */
  allocInt32(n: number): Int32Array {
    return this.#heap.int32(n);
  }

  /** See {@linkcode Backend.free}. @param a A buffer from this backend (others are ignored). */
  free(a: FloatArray | Int32Array): void {
    this.#heap.free(a);
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

  /** See {@linkcode Backend.layerNorm}; H = `x.length / rstd.length`. */
  layerNorm(...args: Parameters<Backend["layerNorm"]>): void {
    const [x, gain, bias, y, xhat, rstd, accumulate] = args;
    const blocks = rstd.length, H = x.length / blocks;
    this.#ex.layerNorm(
      ...offsets(x, gain),
      bias ? bias.byteOffset : 0,
      bias ? 1 : 0,
      ...offsets(y, xhat, rstd),
      blocks,
      H,
      gain.length,
      accumulate ? 1 : 0,
      LAYER_NORM_EPS,
    );
  }

  /** See {@linkcode Backend.layerNormBackward}; H = `dy.length / rstd.length`. */
  layerNormBackward(...args: Parameters<Backend["layerNormBackward"]>): void {
    const [dy, xhat, rstd, gain, dgain, dbias, dx] = args;
    const blocks = rstd.length;
    this.#ex.layerNormBackward(
      ...offsets(dy, xhat, rstd, gain, dgain),
      dbias ? dbias.byteOffset : 0,
      dbias ? 1 : 0,
      dx.byteOffset,
      blocks,
      dy.length / blocks,
      gain.length,
    );
  }
}

/** The byte offsets of arrays in the module's memory (its kernels' pointers). */
function offsets(...arrays: FloatArray[]): number[] {
  return arrays.map((a) => a.byteOffset);
}
