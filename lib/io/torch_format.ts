/**
 * The weights of a model under PyTorch's names, shapes and gate order: `nn.RNN` / `nn.LSTM` /
 * `nn.GRU` (`batch_first=False`, input size V: our one-hot input is a first layer of input size
 * V, as in PyTorch) followed by an `nn.Linear(H, V)` decoder.
 *
 *   ours                         PyTorch
 *   l<k>.Wx  (G*H, I)            weight_ih_l<k>  (G*H, I)     I = V for k = 0, else H
 *   l<k>.Wh  (G*H, H)            weight_hh_l<k>  (G*H, H)
 *   l<k>.b   (G*H)               bias_ih_l<k>    (G*H)
 *   (GRU: l<k>.bhn (H))          bias_hh_l<k>    (G*H)
 *   Why (V, H), by (V)           decoder.weight (V, H), decoder.bias (V)
 *
 * Gate order: our LSTM rows are i, f, o, g and PyTorch's are i, f, g, o, so the last two
 * blocks of H rows swap (in `Wx`, `Wh` and `b`); the GRU's r, z, n is PyTorch's order.
 *
 * Biases: PyTorch adds two biases, `b_ih` and `b_hh`, where we add one, `b`:
 *   rnn, lstm   a = Wx x + b + Wh h                  = W_ih x + b_ih + W_hh h + b_hh
 *               export: b_ih = b, b_hh = 0;   import: b = b_ih + b_hh
 *   gru         r, z = sigma(Wx x + b + Wh h)        (PyTorch: + b_ih + b_hh)
 *               n = tanh(Wx_n x + b_n + r (Wh_n h + bhn))   (PyTorch: b_in, r (W_hn h + b_hn))
 *               export: b_ih = b, b_hh = [0 (r), 0 (z), bhn (n)]
 *               import: b = b_ih + [b_hh_r, b_hh_z, 0], bhn = b_hh_n
 * (the n part of `b_hh` is multiplied by r, so it stays apart: our `bhn`; see
 * `backend/cells_ts.ts`). Both directions give the same logits.
 *
 * Legend: V = vocabulary size, H = hidden size, L = layers, G = gate blocks (rnn 1, lstm 4,
 * gru 3), I = input size of a layer.
 *
 * @module
 */
import type { FloatArray, Params } from "../core/tensor.ts";
import { type CellKind, type ModelConfig, resolveModelConfig } from "../model/model_config.ts";
import { CELL_GATES } from "../model/layer.ts";
import type { SafeTensor } from "./safetensors.ts";

/** The element types of a PyTorch-layout file. */
export type TorchDtype = "F32" | "F64";

/** One tensor of the PyTorch layout. */
export interface TorchTensorSpec {
  /** PyTorch's name, e.g. `weight_ih_l0` or `decoder.bias`. */
  name: string;
  /** Its shape. */
  shape: number[];
}

/** Where the blocks of PyTorch's LSTM rows come from: i, f, g, o from our i, f, o, g. */
const LSTM_BLOCKS = [0, 1, 3, 2]; // swapping two blocks is its own inverse

/**
 * The tensors PyTorch's `nn.RNN`/`nn.LSTM`/`nn.GRU` + `nn.Linear` hold for a model config, in
 * PyTorch's `state_dict` order (layer by layer, then the decoder).
 *
 * @param config The model config.
 * @returns Names and shapes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const specs = torchTensorSpecs({ cell: "lstm", vocabSize: 5, hiddenSize: 3 });
 * assert.deepEqual(specs.map((s) => s.name), [
 *   "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "decoder.weight", "decoder.bias",
 * ]);
 * assert.deepEqual(specs[0]!.shape, [12, 5]);
 * ```
 */
export function torchTensorSpecs(config: ModelConfig): TorchTensorSpec[] {
  const { cell: kind, vocabSize: V, hiddenSize: H, numLayers: L } = resolveModelConfig(config);
  const R = CELL_GATES[kind] * H;
  const specs: TorchTensorSpec[] = [];
  for (let k = 0; k < L; k++) {
    specs.push(
      { name: `weight_ih_l${k}`, shape: [R, k === 0 ? V : H] },
      { name: `weight_hh_l${k}`, shape: [R, H] },
      { name: `bias_ih_l${k}`, shape: [R] },
      { name: `bias_hh_l${k}`, shape: [R] },
    );
  }
  specs.push({ name: "decoder.weight", shape: [V, H] }, { name: "decoder.bias", shape: [V] });
  return specs;
}

/**
 * Our parameters as PyTorch tensors (names, LSTM gate order, the bias mapping of the module
 * doc).
 *
 * @param config The model config.
 * @param params Our parameters `l<k>.Wx`, `l<k>.Wh`, `l<k>.b` (GRU: `l<k>.bhn`), `Why`, `by`.
 * @param options `dtype` of the result; default `"F32"` (PyTorch's default).
 * @returns The tensors by PyTorch name.
 * @throws {TypeError} when a parameter is missing or has another shape.
 * @throws {RangeError} for a layer-normalised model or one with zoneout (PyTorch's recurrent
 *   modules have neither).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createModel } from "../model/create.ts";
 * import { Rng } from "../core/rng.ts";
 * const model = createModel({ cell: "gru", vocabSize: 4, hiddenSize: 2 }, new Rng(1));
 * model.params["l0.bhn"]!.data.set([0.5, -0.25]);
 * const torch = toTorchTensors(model.config, model.params);
 * assert.deepEqual([...torch["bias_hh_l0"]!.data], [0, 0, 0, 0, 0.5, -0.25]); // [0 (r), 0 (z), bhn]
 * ```
 */
export function toTorchTensors(
  config: ModelConfig,
  params: Params,
  options: { dtype?: TorchDtype } = {},
): Record<string, SafeTensor> {
  const { cell: kind, vocabSize: V, hiddenSize: H, numLayers: L, norm, zoneout } =
    resolveModelConfig(
      config,
    );
  if (norm !== "none") {
    throw new RangeError(
      `Cannot convert a layer-normalised ${kind} to the PyTorch layout: nn.${kind.toUpperCase()} ` +
        `has no layer norm; train with --norm none to move a model to PyTorch`,
    );
  }
  if (zoneout > 0) {
    throw new RangeError(
      `Cannot convert a ${kind} with zoneout ${zoneout} to the PyTorch layout: ` +
        `nn.${kind.toUpperCase()} has no zoneout; ` +
        `train with --zoneout 0 to move a model to PyTorch`,
    );
  }
  const dtype = options.dtype ?? "F32";
  const array = dtype === "F32" ? Float32Array : Float64Array;
  const take = (name: string, shape: number[]): FloatArray => {
    const p = params[name];
    if (!p || p.shape.join(",") !== shape.join(",")) {
      throw new TypeError(
        `Cannot convert to the PyTorch layout: parameter "${name}" is ` +
          `${p ? `of shape [${p.shape}]` : "missing"}, expected [${shape}] for this ${kind}`,
      );
    }
    return p.data;
  };
  const out: Record<string, SafeTensor> = {};
  const put = (name: string, shape: number[], data: ArrayLike<number>) => {
    out[name] = { dtype, shape, data: array.from(data) };
  };
  const R = CELL_GATES[kind] * H;
  for (let k = 0; k < L; k++) {
    const I = k === 0 ? V : H;
    const rows = (name: string, cols: number) => gateRows(kind, take(name, [R, cols]), H, cols);
    put(`weight_ih_l${k}`, [R, I], rows(`l${k}.Wx`, I));
    put(`weight_hh_l${k}`, [R, H], rows(`l${k}.Wh`, H));
    put(`bias_ih_l${k}`, [R], gateRows(kind, take(`l${k}.b`, [R]), H, 1));
    const bhh = new Float64Array(R); // rnn, lstm: zero
    if (kind === "gru") bhh.set(take(`l${k}.bhn`, [H]), 2 * H); // [0 (r), 0 (z), bhn (n)]
    put(`bias_hh_l${k}`, [R], bhh);
  }
  put("decoder.weight", [V, H], take("Why", [V, H]));
  put("decoder.bias", [V], take("by", [V]));
  return out;
}

/**
 * PyTorch tensors back as our parameters (the inverse of {@linkcode toTorchTensors}, and the
 * bias folding of the module doc for biases trained in PyTorch), in float64. The tensors must
 * be exactly the ones of {@linkcode torchTensorSpecs}, with finite values.
 *
 * @param config The model config.
 * @param tensors The tensors by PyTorch name (F32 or F64).
 * @returns Our parameters by name, `(shape, Float64Array)`.
 * @throws {TypeError} naming the first missing, extra, mistyped or misshapen tensor, or one
 *   holding a non-finite value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = { cell: "rnn" as const, vocabSize: 2, hiddenSize: 1 };
 * const f = (...v: number[]) =>
 *   ({ dtype: "F32" as const, shape: [v.length], data: Float32Array.from(v) });
 * const params = fromTorchTensors(config, {
 *   weight_ih_l0: { ...f(1, 2), shape: [1, 2] }, weight_hh_l0: { ...f(3), shape: [1, 1] },
 *   bias_ih_l0: f(0.5), bias_hh_l0: f(0.25), "decoder.weight": { ...f(4, 5), shape: [2, 1] },
 *   "decoder.bias": f(0, 1),
 * });
 * assert.deepEqual([...params["l0.b"]!.data], [0.75]); // b = b_ih + b_hh
 * ```
 */
export function fromTorchTensors(
  config: ModelConfig,
  tensors: Record<string, SafeTensor>,
): Params {
  const resolved = resolveModelConfig(config);
  const { cell: kind, hiddenSize: H, numLayers: L } = resolved;
  const specs = torchTensorSpecs(resolved);
  const expected = new Set(specs.map((s) => s.name));
  const what = `${L}-layer ${kind}`;
  const names = `weight_ih/weight_hh/bias_ih/bias_hh_l0..l${L - 1}, decoder.weight, decoder.bias`;
  for (const name of Object.keys(tensors)) {
    if (!expected.has(name)) {
      throw invalid(`unexpected tensor "${name}" (a ${what} has only ${names})`);
    }
  }
  const data: Record<string, FloatArray> = {};
  for (const { name, shape } of specs) {
    const t = tensors[name];
    if (!t) throw invalid(`tensor "${name}" is missing (a ${what} needs it)`);
    if (t.dtype !== "F32" && t.dtype !== "F64") {
      throw invalid(`tensor "${name}" is ${t.dtype}; expected F32 or F64`);
    }
    if (t.shape.join(",") !== shape.join(",")) {
      throw invalid(`tensor "${name}" has shape [${t.shape}], expected [${shape}]`);
    }
    if (!t.data.every(Number.isFinite)) {
      throw invalid(`tensor "${name}" holds non-finite values`);
    }
    data[name] = t.data as FloatArray;
  }
  const params: Params = {};
  const put = (name: string, shape: number[], values: ArrayLike<number>) => {
    params[name] = { shape, data: Float64Array.from(values) };
  };
  const R = CELL_GATES[kind] * H;
  for (let k = 0; k < L; k++) {
    const spec = specs[4 * k]!, I = spec.shape[1]!;
    put(`l${k}.Wx`, [R, I], gateRows(kind, data[`weight_ih_l${k}`]!, H, I));
    put(`l${k}.Wh`, [R, H], gateRows(kind, data[`weight_hh_l${k}`]!, H, H));
    const bih = data[`bias_ih_l${k}`]!, bhh = data[`bias_hh_l${k}`]!;
    const b = Float64Array.from(bih, (v, j) => v + bhh[j]!); // b = b_ih + b_hh
    if (kind === "gru") {
      b.set(bih.subarray(2 * H), 2 * H); // n: b_in only; b_hn is multiplied by r
      put(`l${k}.bhn`, [H], bhh.subarray(2 * H));
    }
    put(`l${k}.b`, [R], gateRows(kind, b, H, 1));
  }
  put("Why", [resolved.vocabSize, H], data["decoder.weight"]!);
  put("by", [resolved.vocabSize], data["decoder.bias"]!);
  return params;
}

function invalid(detail: string): TypeError {
  return new TypeError(`Invalid PyTorch tensors: ${detail}`);
}

/**
 * Rows of a `(G*H, cols)` gate matrix in the other framework's block order: the LSTM's blocks
 * 2 and 3 swap (o, g <-> g, o); rnn and gru rows are the same in both.
 */
function gateRows(kind: CellKind, src: FloatArray, H: number, cols: number): FloatArray {
  if (kind !== "lstm") return src;
  const out = new Float64Array(src.length), block = H * cols;
  LSTM_BLOCKS.forEach((from, to) => {
    out.set(src.subarray(from * block, (from + 1) * block), to * block);
  });
  return out;
}
