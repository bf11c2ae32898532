/**
 * The elementwise gate math of the LSTM and GRU cells for one time step of B streams: the
 * TypeScript kernels behind {@linkcode Backend.lstmForward} and friends, generic over the
 * float array type (float32 on the `ts` backend, float64 on the `f64` reference). The
 * WebAssembly kernels (`wasm/kernels.as`) are the same equations; the step around them (the
 * hidden side's matrix product, layer norm, zoneout) is the model's (`model/lstm_cell.ts`,
 * `model/gru_cell.ts`).
 *
 *   LSTM (gates i, f, o, g):  c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)
 *   GRU (gates r, z, n, PyTorch's variant):
 *     n = tanh(Wx_n x + b_n + r (Wh_n h_{t-1} + bhn)),  h_t = (1 - z) n + z h_{t-1}
 *
 * Row layout: a gate row `(B, G*H)` holds the G blocks of one stream side by side.
 * Legend: B = batch size, H = hidden size.
 *
 * @module
 */
import type { FloatArray } from "../core/tensor.ts";

/**
 * The logistic sigmoid `1 / (1 + e^-x)`, stable for large |x|.
 *
 * @param x Input.
 * @returns `sigma(x)` in (0, 1).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(sigmoid(0), 0.5);
 * ```
 */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * LSTM forward of one step: gate pre-activations to activations (in place), then the new
 * cell and hidden state.
 *
 * @param gates `(B, 4H)` pre-activations `Wx x + b + Wh h_{t-1}`, replaced by i, f, o, g.
 * @param cPrev `(B, H)` cell state c_{t-1}.
 * @param c `(B, H)` output: c_t = f c_{t-1} + i g.
 * @param tanhC `(B, H)` output: tanh(c_t).
 * @param h `(B, H)` output: h_t = o tanh(c_t).
 * @param H Hidden size.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const gates = new Float64Array(4), c = new Float64Array(1), tc = new Float64Array(1);
 * const h = new Float64Array(1);
 * lstmGatesForward(gates, Float64Array.from([1]), c, tc, h, 1); // every gate at 0: i = f = o = 1/2
 * assert.equal(c[0]!, 0.5);
 * ```
 */
export function lstmGatesForward(
  gates: FloatArray,
  cPrev: FloatArray,
  c: FloatArray,
  tanhC: FloatArray,
  h: FloatArray,
  H: number,
): void {
  const B = c.length / H, R = 4 * H;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const a = b * R + j, n = b * H + j; // gate i of unit j; f, o, g at +H, +2H, +3H
      const i = sigmoid(gates[a]!), f = sigmoid(gates[a + H]!), o = sigmoid(gates[a + 2 * H]!);
      const g = Math.tanh(gates[a + 3 * H]!);
      gates[a] = i;
      gates[a + H] = f;
      gates[a + 2 * H] = o;
      gates[a + 3 * H] = g;
      const cn = f * cPrev[n]! + i * g; // c_t = f c_{t-1} + i g
      const tc = Math.tanh(cn);
      c[n] = cn;
      tanhC[n] = tc;
      h[n] = o * tc; // h_t = o tanh(c_t)
    }
  }
}

/**
 * LSTM backward of one step: the gradients of the four pre-activations, and `dc` carried
 * back to c_{t-1}. `dh` must already hold the whole gradient w.r.t. h_t.
 *
 * @param gates `(B, 4H)` activations i, f, o, g of the step.
 * @param cPrev `(B, H)` c_{t-1}.
 * @param tanhC `(B, H)` tanh(c_t).
 * @param dh `(B, H)` dL/dh_t (read only).
 * @param dc `(B, H)` dL/dc_t from the step after (not through h_t); becomes dL/dc_{t-1}.
 * @param dGates `(B, 4H)` output: dL/d(pre-activations).
 * @param H Hidden size.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const gates = Float64Array.from([0.5, 0.5, 0.5, 0]), d = new Float64Array(4);
 * const dc = Float64Array.from([1]);
 * lstmGatesBackward(gates, Float64Array.from([2]), new Float64Array(1), new Float64Array(1), dc, d, 1);
 * assert.equal(d[1]!, 0.5); // df = dc c_{t-1} f (1 - f)
 * assert.equal(dc[0]!, 0.5); // dc_{t-1} = dc f
 * ```
 */
export function lstmGatesBackward(
  gates: FloatArray,
  cPrev: FloatArray,
  tanhC: FloatArray,
  dh: FloatArray,
  dc: FloatArray,
  dGates: FloatArray,
  H: number,
): void {
  const R = 4 * H, B = dGates.length / R; // B = rows of dGates
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const a = b * R + j, n = b * H + j;
      const i = gates[a]!, f = gates[a + H]!, o = gates[a + 2 * H]!, g = gates[a + 3 * H]!;
      const tc = tanhC[n]!, dhn = dh[n]!;
      const dcn = dc[n]! + dhn * o * (1 - tc * tc); // dc_t += dh_t o (1 - tanh^2 c_t)
      dGates[a] = dcn * g * i * (1 - i); // di = dc g, through sigmoid
      dGates[a + H] = dcn * cPrev[n]! * f * (1 - f); // df = dc c_{t-1}, through sigmoid
      dGates[a + 2 * H] = dhn * tc * o * (1 - o); // do = dh tanh(c_t), through sigmoid
      dGates[a + 3 * H] = dcn * i * (1 - g * g); // dg = dc i, through tanh
      dc[n] = dcn * f; // dc_{t-1} = dc_t f
    }
  }
}

/**
 * GRU forward of one step (PyTorch's variant: see the module doc).
 *
 * @param gates `(B, 3H)` input side `Wx x + b`, replaced by the activations r, z, n.
 * @param ah `(B, 3H)` hidden side `Wh h_{t-1}`.
 * @param bhn `(H)` hidden-side bias of n.
 * @param hPrev `(B, H)` h_{t-1}.
 * @param h `(B, H)` output: h_t = (1 - z) n + z h_{t-1}.
 * @param hn `(B, H)` output: the reset's operand `Wh_n h_{t-1} + bhn`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const h = new Float64Array(1), hn = new Float64Array(1);
 * gruGatesForward(new Float64Array(3), new Float64Array(3), new Float64Array(1), Float64Array.from([1]), h, hn);
 * assert.equal(h[0]!, 0.5); // z = 1/2, n = 0
 * ```
 */
export function gruGatesForward(
  gates: FloatArray,
  ah: FloatArray,
  bhn: FloatArray,
  hPrev: FloatArray,
  h: FloatArray,
  hn: FloatArray,
): void {
  const H = bhn.length, B = h.length / H, R = 3 * H;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const a = b * R + j, n = b * H + j; // gate r of unit j; z, n at +H, +2H
      const r = sigmoid(gates[a]! + ah[a]!);
      const z = sigmoid(gates[a + H]! + ah[a + H]!);
      const hnv = ah[a + 2 * H]! + bhn[j]!; // Wh_n h_{t-1} + bhn
      const nv = Math.tanh(gates[a + 2 * H]! + r * hnv);
      gates[a] = r;
      gates[a + H] = z;
      gates[a + 2 * H] = nv;
      hn[n] = hnv;
      h[n] = (1 - z) * nv + z * hPrev[n]!; // h_t = (1 - z) n + z h_{t-1}
    }
  }
}

/**
 * GRU backward of one step. `dh` must already hold the whole gradient w.r.t. h_t.
 *
 * @param gates `(B, 3H)` activations r, z, n of the step.
 * @param hn `(B, H)` the reset's operand of the step.
 * @param hPrev `(B, H)` h_{t-1}.
 * @param dh `(B, H)` dL/dh_t (read only).
 * @param dax `(B, 3H)` output: gradient of the input-side pre-activations.
 * @param dah `(B, 3H)` output: gradient of the hidden-side products `Wh h_{t-1}`.
 * @param dbhn `(H)` accumulator: `+= dan r`.
 * @param dhPrev `(B, H)` accumulator: `+= z dh` (the direct path to h_{t-1}).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const gates = Float64Array.from([0.5, 0.5, 0]), dhPrev = new Float64Array(1);
 * const dax = new Float64Array(3), dah = new Float64Array(3);
 * gruGatesBackward(gates, new Float64Array(1), new Float64Array(1), Float64Array.from([1]), dax, dah, new Float64Array(1), dhPrev);
 * assert.equal(dax[2]!, 0.5); // dn = dh (1 - z)
 * assert.equal(dhPrev[0]!, 0.5); // z dh
 * ```
 */
export function gruGatesBackward(
  gates: FloatArray,
  hn: FloatArray,
  hPrev: FloatArray,
  dh: FloatArray,
  dax: FloatArray,
  dah: FloatArray,
  dbhn: FloatArray,
  dhPrev: FloatArray,
): void {
  const H = dbhn.length, R = 3 * H, B = dax.length / R; // B = rows of dax
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const a = b * R + j, n = b * H + j;
      const r = gates[a]!, z = gates[a + H]!, nv = gates[a + 2 * H]!, dhn = dh[n]!;
      const dan = dhn * (1 - z) * (1 - nv * nv); // dn = dh (1 - z), through tanh
      const daz = dhn * (hPrev[n]! - nv) * z * (1 - z); // dz = dh (h_{t-1} - n), sigmoid
      const dar = dan * hn[n]! * r * (1 - r); // dr = dan (Wh_n h + bhn), sigmoid
      dax[a] = dah[a] = dar;
      dax[a + H] = dah[a + H] = daz;
      dax[a + 2 * H] = dan;
      dah[a + 2 * H] = dan * r; // d(Wh_n h_{t-1} + bhn) = dan r
      dbhn[j] = dbhn[j]! + dan * r;
      dhPrev[n] = dhPrev[n]! + dhn * z; // dh_{t-1} += z dh_t
    }
  }
}
