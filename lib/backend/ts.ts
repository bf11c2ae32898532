/**
 * The TypeScript backends: one class of plain loops, generic over the float array type, that
 * is both the `ts` backend (float32, the last resort when neither OpenBLAS nor WebAssembly
 * SIMD runs) and the `f64` backend (float64, the reference that gradient checks run on and
 * every float32 backend is compared with). No allocation per call.
 *
 * @module
 */
import type { FloatArray } from "../core/tensor.ts";
import {
  gruGatesBackward,
  gruGatesForward,
  lstmGatesBackward,
  lstmGatesForward,
} from "./cells_ts.ts";
import { tsGemm } from "./gemm.ts";
import { layerNormBlocksBackward, layerNormBlocksForward } from "./norm_ts.ts";
import { BackendBase, type BackendSetup } from "./base.ts";
import type { AdamStep, Backend, RmsPropStep } from "./types.ts";

/** The setup of a {@linkcode TsBackend}: its identity, array type and matrix products. */
export interface TsBackendOptions extends BackendSetup {
  /** Storage: `Float32Array` or `Float64Array`. */
  array: Float32ArrayConstructor | Float64ArrayConstructor;
}

/** A backend on plain typed arrays with TypeScript loops; see the module doc. */
export class TsBackend extends BackendBase implements Backend {
  /** See {@linkcode Backend.float}. */
  readonly float: "f32" | "f64";
  #array: Float32ArrayConstructor | Float64ArrayConstructor;

  /**
   * Creates a backend.
   *
   * @param options Kind, description, array type and matrix products.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const f64 = new TsBackend({ kind: "f64", detail: "f64", array: Float64Array });
   * const a = f64.alloc(2);
   * a.set([1, -1]);
   * assert.equal(f64.sumSquares(a), 2);
   * assert.ok(a instanceof Float64Array);
   * ```
   */
  constructor(options: TsBackendOptions) {
    super(options, tsGemm);
    this.#array = options.array;
    this.float = options.array === Float64Array ? "f64" : "f32";
  }

  /** See {@linkcode Backend.alloc}. @param n Elements. @returns Zeros. */
  alloc(n: number): FloatArray {
    return new this.#array(n);
  }

  /** See {@linkcode Backend.allocInt32}. @param n Elements. @returns Zeros. */
  allocInt32(n: number): Int32Array {
    return new Int32Array(n);
  }

  /** Nothing to do: the garbage collector frees plain arrays. */
  free(): void {}

  /** See {@linkcode Backend.tanh}. @param a Values. */
  tanh(a: FloatArray): void {
    for (let i = 0; i < a.length; i++) a[i] = Math.tanh(a[i]!);
  }

  /** See {@linkcode Backend.tanhBackward}. @param dz Gradient. @param h Tanh outputs. */
  tanhBackward(dz: FloatArray, h: FloatArray): void {
    for (let i = 0; i < dz.length; i++) dz[i] = dz[i]! * (1 - h[i]! * h[i]!); // (1 - h^2) dz
  }

  /**
   * See {@linkcode Backend.gatherRows}.
   * @param dst Output. @param table Rows. @param idx Indices. @param bias Bias.
   */
  gatherRows(dst: FloatArray, table: FloatArray, idx: Int32Array, bias: FloatArray): void {
    const H = bias.length;
    for (let n = 0; n < idx.length; n++) {
      const s = idx[n]! * H, d = n * H;
      for (let j = 0; j < H; j++) dst[d + j] = table[s + j]! + bias[j]!;
    }
  }

  /** See {@linkcode Backend.scatterAddRows}. @param dst Rows. @param src Rows. @param idx Indices. */
  scatterAddRows(dst: FloatArray, src: FloatArray, idx: Int32Array): void {
    const H = src.length / idx.length;
    for (let n = 0; n < idx.length; n++) {
      const d = idx[n]! * H, s = n * H;
      for (let j = 0; j < H; j++) dst[d + j] = dst[d + j]! + src[s + j]!;
    }
  }

  /**
   * See {@linkcode Backend.gatherColumns}.
   * @param dst Output. @param table Columns. @param idx Indices. @param bias Bias.
   */
  gatherColumns(dst: FloatArray, table: FloatArray, idx: Int32Array, bias: FloatArray): void {
    const H = bias.length, R = table.length / H;
    for (let n = 0; n < idx.length; n++) {
      const x = idx[n]!, d = n * H;
      for (let i = 0; i < H; i++) dst[d + i] = table[i * R + x]! + bias[i]!;
    }
  }

  /**
   * See {@linkcode Backend.scatterAddColumns}.
   * @param dst Columns. @param src Rows. @param idx Indices.
   */
  scatterAddColumns(dst: FloatArray, src: FloatArray, idx: Int32Array): void {
    const H = src.length / idx.length, R = dst.length / H;
    for (let n = 0; n < idx.length; n++) {
      const x = idx[n]!, s = n * H;
      for (let i = 0; i < H; i++) dst[i * R + x] = dst[i * R + x]! + src[s + i]!;
    }
  }

  /** See {@linkcode Backend.addRowSums}. @param dst Accumulator. @param src Rows. */
  addRowSums(dst: FloatArray, src: FloatArray): void {
    const H = dst.length, N = src.length / H;
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < H; j++) dst[j] = dst[j]! + src[n * H + j]!;
    }
  }

  /**
   * See {@linkcode Backend.transpose}.
   * @param dst Output. @param src Input. @param rows Rows of src. @param add Accumulate.
   */
  transpose(dst: FloatArray, src: FloatArray, rows: number, add: boolean): void {
    const cols = src.length / rows;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const d = c * rows + r;
        dst[d] = add ? dst[d]! + src[r * cols + c]! : src[r * cols + c]!;
      }
    }
  }

  /**
   * See {@linkcode Backend.softmaxRows}.
   * @param logits Logits. @param bias Bias. @param targets Targets. @param stats Output.
   */
  softmaxRows(logits: FloatArray, bias: FloatArray, targets: Int32Array, stats: FloatArray): void {
    const V = bias.length;
    for (let n = 0; n < targets.length; n++) {
      const o = n * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) {
        const y = logits[o + v]! + bias[v]!;
        logits[o + v] = y;
        if (y > max) max = y;
      }
      const picked = logits[o + targets[n]!]! - max;
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = Math.exp(logits[o + v]! - max);
        logits[o + v] = e;
        sum += e;
      }
      for (let v = 0; v < V; v++) logits[o + v] = logits[o + v]! / sum;
      stats[2 * n] = sum;
      stats[2 * n + 1] = picked;
    }
  }

  /**
   * See {@linkcode Backend.softmaxBackward}.
   * @param p Probabilities. @param targets Targets. @param dbias Accumulator. @param scale Factor.
   */
  softmaxBackward(p: FloatArray, targets: Int32Array, dbias: FloatArray, scale: number): void {
    const V = dbias.length;
    for (let n = 0; n < targets.length; n++) {
      const o = n * V;
      p[o + targets[n]!] = p[o + targets[n]!]! - 1; // dL/dy = p - onehot
      for (let v = 0; v < V; v++) {
        const g = p[o + v]! * scale;
        p[o + v] = g;
        dbias[v] = dbias[v]! + g;
      }
    }
  }

  /** See {@linkcode Backend.sgd}. @param w Parameters. @param g Gradients. @param lr Rate. */
  sgd(w: FloatArray, g: FloatArray, lr: number): void {
    for (let i = 0; i < w.length; i++) w[i] = w[i]! - lr * g[i]!; // w -= lr g
  }

  /**
   * See {@linkcode Backend.adagrad}.
   * @param w Parameters. @param g Gradients. @param m Squares. @param options Rate and eps.
   */
  adagrad(w: FloatArray, g: FloatArray, m: FloatArray, options: { lr: number; eps: number }): void {
    const { lr, eps } = options;
    for (let i = 0; i < w.length; i++) {
      m[i] = m[i]! + g[i]! * g[i]!; // m += g^2
      w[i] = w[i]! - lr * g[i]! / Math.sqrt(m[i]! + eps); // w -= lr g / sqrt(m + eps)
    }
  }

  /**
   * See {@linkcode Backend.rmsprop}.
   * @param w Parameters. @param g Gradients. @param ms Mean squares. @param options Settings.
   */
  rmsprop(w: FloatArray, g: FloatArray, ms: FloatArray, options: RmsPropStep): void {
    const { lr, rho, eps } = options;
    for (let i = 0; i < w.length; i++) {
      ms[i] = rho * ms[i]! + (1 - rho) * g[i]! * g[i]!; // ms = rho ms + (1 - rho) g^2
      w[i] = w[i]! - lr * g[i]! / (Math.sqrt(ms[i]!) + eps); // w -= lr g / (sqrt(ms) + eps)
    }
  }

  /**
   * See {@linkcode Backend.adam}.
   * @param w Parameters. @param g Gradients. @param moments `[m, v]`. @param step Settings.
   */
  adam(w: FloatArray, g: FloatArray, moments: [FloatArray, FloatArray], step: AdamStep): void {
    const { lr, beta1, beta2, c1, c2, eps } = step;
    const [m, v] = moments;
    for (let i = 0; i < w.length; i++) {
      m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!; // m = b1 m + (1 - b1) g
      v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!; // v = b2 v + (1 - b2) g^2
      w[i] = w[i]! - lr * (m[i]! / c1) / (Math.sqrt(v[i]! / c2) + eps);
    }
  }

  /** See {@linkcode Backend.sumSquares}. @param a Values. @returns The sum. */
  sumSquares(a: FloatArray): number {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0; // four sums: no wait on one add
    for (; i + 4 <= a.length; i += 4) {
      const x0 = a[i]!, x1 = a[i + 1]!, x2 = a[i + 2]!, x3 = a[i + 3]!;
      s0 += x0 * x0;
      s1 += x1 * x1;
      s2 += x2 * x2;
      s3 += x3 * x3;
    }
    for (; i < a.length; i++) s0 += a[i]! * a[i]!;
    return s0 + s1 + s2 + s3;
  }

  /** See {@linkcode Backend.clamp}. @param a Values. @param limit Bound. @returns Changed. */
  clamp(a: FloatArray, limit: number): boolean {
    let changed = false;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (v > limit) (a[i] = limit, changed = true);
      else if (v < -limit) (a[i] = -limit, changed = true);
    }
    return changed;
  }

  /** See {@linkcode Backend.scale}. @param a Values. @param s Factor. */
  scale(a: FloatArray, s: number): void {
    for (let i = 0; i < a.length; i++) a[i] = a[i]! * s;
  }

  /** See {@linkcode Backend.multiply}. @param dst Output. @param a Values. @param b Factors. */
  multiply(dst: FloatArray, a: FloatArray, b: FloatArray): void {
    for (let k = 0; k < dst.length; k++) dst[k] = a[k]! * b[k]!;
  }

  /** See {@linkcode Backend.lstmForward}. */
  readonly lstmForward: Backend["lstmForward"] = lstmGatesForward;
  /** See {@linkcode Backend.lstmBackward}. */
  readonly lstmBackward: Backend["lstmBackward"] = lstmGatesBackward;
  /** See {@linkcode Backend.gruForward}. */
  readonly gruForward: Backend["gruForward"] = gruGatesForward;
  /** See {@linkcode Backend.gruBackward}. */
  readonly gruBackward: Backend["gruBackward"] = gruGatesBackward;
  /** See {@linkcode Backend.layerNorm}. */
  readonly layerNorm: Backend["layerNorm"] = layerNormBlocksForward;
  /** See {@linkcode Backend.layerNormBackward}. */
  readonly layerNormBackward: Backend["layerNormBackward"] = layerNormBlocksBackward;
}
