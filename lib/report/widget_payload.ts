/**
 * The model a generator widget carries into the page: its config, vocabulary (with the token
 * mode) and every parameter packed at a precision (`io/quantize.ts`), as one JSON-ready record.
 * The page rebuilds a {@linkcode StackedRnn} from it on the plain TypeScript float32 backend
 * and generates with the library's own `generate`; the kernel can rebuild the same model to
 * measure what the packing costs or to compute the page's text.
 *
 * Nothing here needs Deno, so the page's bundle (`widget/entry.ts`) imports it.
 *
 * @module
 */
import type { Backend } from "../backend/types.ts";
import { TsBackend } from "../backend/ts.ts";
import type { CharModel } from "../model/char_model.ts";
import type { CellKind, ModelNorm } from "../model/model_config.ts";
import { StackedRnn } from "../model/stacked.ts";
import { type PackedTensor, packTensor, type Precision, unpackTensor } from "../io/quantize.ts";
import type { TokenMode } from "../text/tokens.ts";
import { type Vocab, vocabFromChars } from "../text/vocab.ts";

/** What a widget's page needs to rebuild the model. */
export interface WidgetPayload {
  /** Marks the record. */
  format: "charrnn-widget";
  /** Version of the record. */
  version: 1;
  /**
   * The model's shape, norm and zoneout (no dropout: the page only generates); no norm means
   * none, no zoneout 0.
   */
  model: {
    cell: CellKind;
    vocabSize: number;
    hiddenSize: number;
    numLayers: number;
    norm?: ModelNorm;
    zoneout?: number;
  };
  /** The vocabulary's symbols, in index order. */
  vocab: string[];
  /** What a symbol is. */
  tokens: TokenMode;
  /** How the parameters are packed. */
  precision: Precision;
  /** Every parameter by name (`l0.Wx`, ..., `Why`, `by`). */
  tensors: Record<string, PackedTensor>;
}

/**
 * Packs a model and its vocabulary for a page.
 *
 * @param model A {@linkcode StackedRnn} (what `createModel` and checkpoints give).
 * @param vocab Its vocabulary.
 * @param precision `"f32"` (exact), `"f16"` or `"int8"`.
 * @returns The payload.
 * @throws {TypeError} when the model's parameters are not those of a `StackedRnn` of its config.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("abc");
 * const model = createModel({ cell: "gru", vocabSize: 3, hiddenSize: 4 }, new Rng(1), {
 *   backend: createBackend({ kind: "ts" }),
 * });
 * const payload = packModel(model, vocab, "f32");
 * const page = unpackModel(payload).model;
 * assert.deepEqual(page.params["l0.Wh"]!.data, model.params["l0.Wh"]!.data); // f32 is exact
 * ```
 */
export function packModel(model: CharModel, vocab: Vocab, precision: Precision): WidgetPayload {
  const { cell, vocabSize, hiddenSize, numLayers = 1, norm = "none", zoneout = 0 } = model.config;
  const shape = { cell, vocabSize, hiddenSize, numLayers, norm, zoneout };
  const expected = Object.keys(emptyModel(shape, pageBackend()).params).sort().join(", ");
  if (Object.keys(model.params).sort().join(", ") !== expected) {
    throw new TypeError(
      `Cannot pack this model for a page: its parameters are not those of a StackedRnn ` +
        `(${expected}); build it with createModel or load it from a checkpoint`,
    );
  }
  const tensors: Record<string, PackedTensor> = {};
  for (const [name, t] of Object.entries(model.params)) tensors[name] = packTensor(t, precision);
  return {
    format: "charrnn-widget",
    version: 1,
    model: shape,
    vocab: [...vocab.chars],
    tokens: vocab.tokens ?? "codepoints",
    precision,
    tensors,
  };
}

/**
 * Rebuilds the model and vocabulary of a payload.
 *
 * @param payload A payload from {@linkcode packModel}.
 * @param options `backend`: where the model runs (default: the plain TypeScript float32
 *   backend, as in the page).
 * @returns The model, with the packed (for f16 and int8: rounded) weights, and the vocabulary.
 * @throws {TypeError} for a record that is not a widget payload, a tensor of the wrong shape,
 *   or one its model does not have.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("सीता राम", { tokens: "graphemes" });
 * const model = createModel({ cell: "rnn", vocabSize: vocab.chars.length, hiddenSize: 4 }, new Rng(1));
 * const page = unpackModel(packModel(model, vocab, "int8"));
 * assert.deepEqual([page.model.backend.kind, page.vocab.tokens], ["ts", "graphemes"]);
 * assert.throws(() => unpackModel({ ...packModel(model, vocab, "f16"), version: 2 } as never), /version 1/);
 * ```
 */
export function unpackModel(
  payload: WidgetPayload,
  options: { backend?: Backend } = {},
): { model: StackedRnn; vocab: Vocab } {
  if (payload?.format !== "charrnn-widget" || payload.version !== 1) {
    throw new TypeError("Invalid widget payload: not a charrnn-widget record of version 1");
  }
  const vocab = vocabFromChars(payload.vocab, { tokens: payload.tokens });
  const model = emptyModel(payload.model, options.backend ?? pageBackend());
  for (const [name, p] of Object.entries(model.params)) {
    const packed = payload.tensors[name];
    if (!packed || packed.shape.join(",") !== p.shape.join(",")) {
      throw new TypeError(`Invalid widget payload: tensor "${name}" is missing or misshapen`);
    }
    p.data.set(unpackTensor(packed));
  }
  const extra = Object.keys(payload.tensors).find((name) => !(name in model.params));
  if (extra) throw new TypeError(`Invalid widget payload: tensor "${extra}" is not in its model`);
  return { model, vocab };
}

/** The plain TypeScript float32 backend, which runs in any JavaScript engine. */
function pageBackend(): Backend {
  return new TsBackend({ kind: "ts", detail: "ts (TypeScript, float32)", array: Float32Array });
}

function emptyModel(shape: WidgetPayload["model"], backend: Backend): StackedRnn {
  return new StackedRnn(null, { ...shape, backend });
}
