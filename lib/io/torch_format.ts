/**
 * The weights of a model under PyTorch's names, shapes and gate order. A plain model maps onto
 * `nn.RNN` / `nn.LSTM` / `nn.GRU` (`batch_first=False`, input size V: our one-hot input is a
 * first layer of input size V, as in PyTorch) followed by an `nn.Linear(H, V)` decoder; a
 * layer-normalised one onto `python/charrnn_model.py`'s `Recurrent`, whose per-side norms
 * `ln_ih_l<k>`, `ln_hh_l<k>` take the place of the two biases (the same names either way for
 * the weights, and for a model with zoneout but no layer norm):
 *
 *   ours                         PyTorch
 *   l<k>.Wx  (G*H, I)            weight_ih_l<k>  (G*H, I)     I = V for k = 0, else H
 *   l<k>.Wh  (G*H, H)            weight_hh_l<k>  (G*H, H)
 *   l<k>.b   (G*H)               bias_ih_l<k>    (G*H)        layer norm: ln_ih_l<k>.bias
 *   (GRU: l<k>.bhn (H))          bias_hh_l<k>    (G*H)        layer norm: ln_hh_l<k>.bias
 *   l<k>.gx  (G*H), layer norm   ln_ih_l<k>.weight (G*H)
 *   l<k>.gh  (G*H), layer norm   ln_hh_l<k>.weight (G*H)
 *   Why (V, H), by (V)           decoder.weight (V, H), decoder.bias (V)
 *
 * Gate order: our LSTM rows are i, f, o, g and PyTorch's are i, f, g, o, so the last two
 * blocks of H rows swap (in every `(G*H, ...)` tensor: weights, biases, gains); the GRU's
 * r, z, n is PyTorch's order.
 *
 * Biases: PyTorch adds an input-side and a hidden-side bias where we add one, `b` (plain:
 * after the products; layer norm: after each side's norm, `AX = LN(X Wx^T) gx + b`,
 * `AH = LN(h Wh^T) gh` + the hidden bias):
 *   rnn, lstm   a = AX + AH                        export: hidden bias 0
 *                                                  import: b = input bias + hidden bias
 *   gru         r, z = sigma(AX + AH)  n = tanh(AX_n + r (AH_n + bhn))
 *               export: hidden bias = [0 (r), 0 (z), bhn (n)]
 *               import: b = input bias + [hidden r, hidden z, 0], bhn = hidden n
 * (the n part of the hidden bias is multiplied by r, so it stays apart: our `bhn`; see
 * `backend/cells_ts.ts`). Both directions give the same logits. The same mapping carries
 * Adam's moments (a record with the parameters' names and shapes).
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

/** PyTorch's names of layer k's tensors (the biases: the norms' with layer norm). */
function layerNames(k: number, layerNorm: boolean) {
  return {
    Wx: `weight_ih_l${k}`,
    Wh: `weight_hh_l${k}`,
    inBias: layerNorm ? `ln_ih_l${k}.bias` : `bias_ih_l${k}`,
    hiddenBias: layerNorm ? `ln_hh_l${k}.bias` : `bias_hh_l${k}`,
    gx: `ln_ih_l${k}.weight`,
    gh: `ln_hh_l${k}.weight`,
  };
}

/**
 * The tensors a model config has in the PyTorch layout, layer by layer, then the decoder:
 * `nn.RNN`/`nn.LSTM`/`nn.GRU` + `nn.Linear`'s, or with layer norm `Recurrent`'s.
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
 * const norm = torchTensorSpecs({ cell: "gru", vocabSize: 5, hiddenSize: 3, norm: "layer" });
 * assert.deepEqual(norm.map((s) => s.name).slice(2, 6), [
 *   "ln_ih_l0.weight", "ln_ih_l0.bias", "ln_hh_l0.weight", "ln_hh_l0.bias",
 * ]);
 * ```
 */
export function torchTensorSpecs(config: ModelConfig): TorchTensorSpec[] {
  const { cell, vocabSize: V, hiddenSize: H, numLayers: L, norm } = resolveModelConfig(config);
  const R = CELL_GATES[cell] * H, layerNorm = norm === "layer";
  const specs: TorchTensorSpec[] = [];
  for (let k = 0; k < L; k++) {
    const n = layerNames(k, layerNorm);
    specs.push({ name: n.Wx, shape: [R, k === 0 ? V : H] }, { name: n.Wh, shape: [R, H] });
    if (layerNorm) specs.push({ name: n.gx, shape: [R] });
    specs.push({ name: n.inBias, shape: [R] });
    if (layerNorm) specs.push({ name: n.gh, shape: [R] });
    specs.push({ name: n.hiddenBias, shape: [R] });
  }
  specs.push({ name: "decoder.weight", shape: [V, H] }, { name: "decoder.bias", shape: [V] });
  return specs;
}

/**
 * Our parameters (or a record of the same names and shapes, such as Adam's moments) as
 * PyTorch tensors: names, LSTM gate order, the bias mapping of the module doc.
 *
 * @param config The model config.
 * @param params Our parameters `l<k>.Wx`, `l<k>.Wh`, `l<k>.b` (GRU: `l<k>.bhn`; layer norm:
 *   `l<k>.gx`, `l<k>.gh`), `Why`, `by`.
 * @param options `dtype` of the result; default `"F32"` (PyTorch's default).
 * @returns The tensors by PyTorch name.
 * @throws {TypeError} when a parameter is missing or has another shape.
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
  const { cell, vocabSize: V, hiddenSize: H, numLayers: L, norm } = resolveModelConfig(config);
  const dtype = options.dtype ?? "F32";
  const array = dtype === "F32" ? Float32Array : Float64Array;
  const take = (name: string, shape: number[]): FloatArray => {
    const p = params[name];
    if (!p || p.shape.join(",") !== shape.join(",")) {
      throw new TypeError(
        `Cannot convert to the PyTorch layout: parameter "${name}" is ` +
          `${p ? `of shape [${p.shape}]` : "missing"}, expected [${shape}] for this ${cell}`,
      );
    }
    return p.data;
  };
  const out: Record<string, SafeTensor> = {};
  const put = (name: string, shape: number[], data: ArrayLike<number>) => {
    out[name] = { dtype, shape, data: array.from(data) };
  };
  const R = CELL_GATES[cell] * H, layerNorm = norm === "layer";
  const vector = (name: string) => gateRows(cell, take(name, [R]), H, 1);
  for (let k = 0; k < L; k++) {
    const I = k === 0 ? V : H, n = layerNames(k, layerNorm);
    const rows = (name: string, cols: number) => gateRows(cell, take(name, [R, cols]), H, cols);
    put(n.Wx, [R, I], rows(`l${k}.Wx`, I));
    put(n.Wh, [R, H], rows(`l${k}.Wh`, H));
    put(n.inBias, [R], vector(`l${k}.b`));
    const hidden = new Float64Array(R); // rnn, lstm: zero
    if (cell === "gru") hidden.set(take(`l${k}.bhn`, [H]), 2 * H); // [0 (r), 0 (z), bhn (n)]
    put(n.hiddenBias, [R], hidden);
    if (layerNorm) {
      put(n.gx, [R], vector(`l${k}.gx`));
      put(n.gh, [R], vector(`l${k}.gh`));
    }
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
  const { cell, vocabSize: V, hiddenSize: H, numLayers: L, norm } = resolved;
  const data = checkedTensors(resolved, tensors);
  const params: Params = {};
  const put = (name: string, shape: number[], values: ArrayLike<number>) => {
    params[name] = { shape, data: Float64Array.from(values) };
  };
  const R = CELL_GATES[cell] * H, layerNorm = norm === "layer";
  for (let k = 0; k < L; k++) {
    const I = k === 0 ? V : H, n = layerNames(k, layerNorm);
    put(`l${k}.Wx`, [R, I], gateRows(cell, data[n.Wx]!, H, I));
    put(`l${k}.Wh`, [R, H], gateRows(cell, data[n.Wh]!, H, H));
    const bin = data[n.inBias]!, bhid = data[n.hiddenBias]!;
    const b = Float64Array.from(bin, (v, j) => v + bhid[j]!); // b = input bias + hidden bias
    if (cell === "gru") {
      b.set(bin.subarray(2 * H), 2 * H); // n: the input bias only; the hidden one is times r
      put(`l${k}.bhn`, [H], bhid.subarray(2 * H));
    }
    put(`l${k}.b`, [R], gateRows(cell, b, H, 1));
    if (layerNorm) {
      put(`l${k}.gx`, [R], gateRows(cell, data[n.gx]!, H, 1));
      put(`l${k}.gh`, [R], gateRows(cell, data[n.gh]!, H, 1));
    }
  }
  put("Why", [V, H], data["decoder.weight"]!);
  put("by", [V], data["decoder.bias"]!);
  return params;
}

/** The tensors' data by name, once every one of {@linkcode torchTensorSpecs} is checked. */
function checkedTensors(
  config: Required<ModelConfig>,
  tensors: Record<string, SafeTensor>,
): Record<string, FloatArray> {
  const specs = torchTensorSpecs(config);
  const expected = new Set(specs.map((s) => s.name));
  const what = `${config.numLayers}-layer ${config.norm === "layer" ? "layer-normalised " : ""}` +
    config.cell;
  for (const name of Object.keys(tensors)) {
    if (!expected.has(name)) {
      throw invalid(`unexpected tensor "${name}" (a ${what} has only ${[...expected]})`);
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
  return data;
}

function invalid(detail: string): TypeError {
  return new TypeError(`Invalid PyTorch tensors: ${detail}`);
}

/**
 * Rows of a `(G*H, cols)` gate matrix in the other framework's block order: the LSTM's blocks
 * 2 and 3 swap (o, g <-> g, o); rnn and gru rows are the same in both.
 */
function gateRows(cell: CellKind, src: FloatArray, H: number, cols: number): FloatArray {
  if (cell !== "lstm") return src;
  const out = new Float64Array(src.length), block = H * cols;
  LSTM_BLOCKS.forEach((from, to) => {
    out.set(src.subarray(from * block, (from + 1) * block), to * block);
  });
  return out;
}
