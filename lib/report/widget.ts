/**
 * A generator that runs in the page: a notebook output holding the trained weights (packed as
 * float32, float16 or 8-bit, `io/quantize.ts`) and the library's own generation code compiled
 * for the browser (`widget/bundle.ts`, built from `widget/entry.ts`), with a prime box,
 * temperature and top-p sliders, length, seed and a Generate button. The Deno kernel takes no
 * messages from the page, so nothing goes back to it: the output works while the kernel runs,
 * after it is gone, and in an HTML export, offline.
 *
 * What the packing costs is measured, not guessed: bits per character on held-out text with
 * the trained weights and with the packed ones ({@linkcode packingCosts}), shown in the caption.
 *
 * @module
 */
import { Rng } from "../core/rng.ts";
import { sample } from "../generate/sample.ts";
import { scoreIds, type TextScore } from "../generate/score.ts";
import type { Precision } from "../io/quantize.ts";
import type { CharModel } from "../model/char_model.ts";
import type { TokenIds } from "../text/data.ts";
import { encode, type Vocab } from "../text/vocab.ts";
import { JUPYTER_DISPLAY } from "./plot_bundle.ts";
import { WIDGET_SCRIPT } from "./widget/bundle.ts";
import { packModel, unpackModel, type WidgetPayload } from "./widget_payload.ts";

/** The settings of the controls, and of {@linkcode GeneratorWidget.kernelText}. */
export interface WidgetSettings {
  /** Text to start from (shown in bold before the generated text). */
  prime: string;
  /** Softmax temperature, 0 to 2 (0: the most likely character). */
  temperature: number;
  /** Nucleus mass, 0.05 to 1 (1 keeps every character). */
  topP: number;
  /** Characters to generate. */
  length: number;
  /** Seed of the page's random generator. */
  seed: number;
}

/** The settings a widget starts with unless options say otherwise. */
export const DEFAULT_WIDGET_SETTINGS: Readonly<WidgetSettings> = Object.freeze({
  prime: "",
  temperature: 0.8,
  topP: 0.95,
  length: 300,
  seed: 42,
});

/** Options of {@linkcode generatorWidget}. */
export interface GeneratorWidgetOptions extends Partial<WidgetSettings> {
  /** How the weights travel: `"int8"` (default), `"f16"` or `"f32"` (exact). */
  precision?: Precision;
  /** Held-out text (or its indices) to measure what the packing costs in bits per character. */
  heldOut?: string | TokenIds;
  /** Most symbols of `heldOut` scored (default 20000). */
  heldOutLimit?: number;
  /** Heading of the widget (default "Generate in this page"). */
  title?: string;
  /**
   * Also show the text the kernel computes for the starting settings with `sample()` on the
   * page's model: Generate with those settings must give the same text (default false).
   */
  showKernelText?: boolean;
}

/** What packing the weights at one precision costs. */
export interface PackingCost {
  /** The precision. */
  precision: Precision;
  /** Bytes of the payload (weights and vocabulary as JSON) in the page. */
  bytes: number;
  /** Held-out score with the trained weights. */
  original: TextScore;
  /** Held-out score with the packed weights. */
  packed: TextScore;
}

let widgetCount = 0;
const sessionTag = crypto.randomUUID().slice(0, 8);

/** A generator widget: display it by ending a cell with it (or pass it to `display`). */
export class GeneratorWidget {
  /** Id of the widget's root element. */
  readonly id: string;
  /** The model as the page receives it. */
  readonly payload: WidgetPayload;
  /** The settings the controls start with. */
  readonly settings: Readonly<WidgetSettings>;
  /** What the packing costs on the held-out text, when one was given. */
  readonly cost: PackingCost | undefined;
  readonly #options: GeneratorWidgetOptions;
  readonly #json: string;

  /**
   * Packs the model; see {@linkcode generatorWidget}.
   *
   * @param model A {@linkcode StackedRnn}, e.g. from `createModel` or a checkpoint.
   * @param vocab Its vocabulary.
   * @param options Precision, starting settings, held-out text, title.
   */
  constructor(model: CharModel, vocab: Vocab, options: GeneratorWidgetOptions = {}) {
    const precision = options.precision ?? "int8";
    this.id = `charrnn-widget-${sessionTag}-${++widgetCount}`;
    this.payload = packModel(model, vocab, precision);
    this.#json = JSON.stringify(this.payload);
    const { prime, temperature, topP, length, seed } = { ...DEFAULT_WIDGET_SETTINGS, ...options };
    this.settings = Object.freeze({ prime, temperature, topP, length, seed });
    this.#options = options;
    const heldOut = options.heldOut;
    this.cost = heldOut === undefined ? undefined : measure(model, vocab, this.payload, {
      ids: heldOutIds(vocab, heldOut),
      limit: options.heldOutLimit ?? 20_000,
      bytes: utf8Length(this.#json),
    });
  }

  /** UTF-8 bytes of the payload (weights and vocabulary) in the page. */
  get payloadBytes(): number {
    return utf8Length(this.#json);
  }

  /** UTF-8 bytes of the page code that every widget output carries. */
  get scriptBytes(): number {
    return utf8Length(WIDGET_SCRIPT);
  }

  /**
   * The text the page shows after Generate with the starting settings: the prime and
   * `sample()` of the page's model (the packed weights on the TypeScript float32 backend),
   * computed here in the kernel.
   *
   * @returns The prime followed by the generated text.
   */
  kernelText(): string {
    const { model, vocab } = unpackModel(this.payload);
    const { prime, temperature, topP, length, seed } = this.settings;
    return prime + sample(model, vocab, { prime, temperature, topP, length, rng: new Rng(seed) });
  }

  /** One line on the model and its packing, as shown under the controls. */
  get caption(): string {
    const { model, vocab, tokens, precision } = this.payload;
    const layers = model.numLayers > 1 ? `${model.numLayers} layers x ` : "";
    const symbols = tokens === "graphemes" ? "grapheme clusters" : "code points";
    const parts = [
      `${model.cell.toUpperCase()} ${layers}${model.hiddenSize}, ${vocab.length} symbols ` +
      `(${symbols}); weights as ${precision}: ${kb(this.payloadBytes)} in this output ` +
      `(+ ${kb(this.scriptBytes)} of page code)`,
    ];
    if (this.cost) parts.push(describeCost(this.cost, tokens === "graphemes"));
    return parts.join("; ") + ".";
  }

  /**
   * The output's HTML: the controls, then the page code and the payload in one script.
   *
   * @returns An HTML fragment.
   */
  html(): string {
    const s = this.settings, id = this.id;
    const title = escapeHtml(this.#options.title ?? "Generate in this page");
    const kernel = this.#options.showKernelText
      ? `<details class="cw-kernel"><summary>The kernel's text for the starting settings ` +
        `(sample() in Deno on the page's model)</summary>` +
        `<pre data-role="kernel-sample">${escapeHtml(this.kernelText())}</pre></details>`
      : "";
    const call = `charrnnWidget.mount(${scriptJson(id)}, ${scriptJson(this.payload)});`;
    return `<div class="charrnn-widget" id="${id}" data-state="static" ` +
      `data-precision="${this.payload.precision}">
<style>${STYLE}</style>
<div class="cw-title">${title}</div>
<div class="cw-controls">
<label>Prime <input data-role="prime" type="text" size="24" value="${escapeHtml(s.prime)}"></label>
${slider("temperature", "Temperature", 0, 2, 0.05, s.temperature)}
${slider("top-p", "Top-p", 0.05, 1, 0.05, s.topP)}
<label>Length <input data-role="length" type="number" min="1" max="20000" value="${s.length}"></label>
<label>Seed <input data-role="seed" type="number" min="0" step="1" value="${s.seed}"></label>
<button data-role="generate" type="button" disabled>Generate</button>
</div>
<pre data-role="output" class="cw-output"></pre>
<div data-role="status" class="cw-status">The page code has not run: in Jupyter, trust the notebook ` +
      `(File, Trust Notebook) and reload, or open its HTML export.</div>
${kernel}<div data-role="caption" class="cw-caption">${escapeHtml(this.caption)}</div>
</div>
<script type="text/javascript">${WIDGET_SCRIPT}
${call}</script>`;
  }

  /**
   * The mime bundle: `text/html` (the widget) and `text/plain` (the caption).
   *
   * @returns The bundle.
   */
  bundle(): { "text/plain": string; "text/html": string } {
    return { "text/plain": `Generator widget: ${this.caption}`, "text/html": this.html() };
  }

  /**
   * Builds the mime bundle; called by the Deno kernel.
   *
   * @returns The bundle.
   */
  [JUPYTER_DISPLAY](): { "text/plain": string; "text/html": string } {
    return this.bundle();
  }
}

/**
 * A generator widget for a trained model: end a notebook cell with it.
 *
 * @param model A {@linkcode StackedRnn}, e.g. from `createModel` or a checkpoint.
 * @param vocab Its vocabulary.
 * @param options Precision (default int8), starting settings, held-out text for the cost of
 *   the packing, title, whether to show the kernel's text.
 * @returns The widget.
 * @throws {TypeError} when the model is not a `StackedRnn`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("to be or not to be\n");
 * const model = createModel({ cell: "lstm", vocabSize: vocab.chars.length, hiddenSize: 16 }, new Rng(1), {
 *   backend: createBackend({ kind: "ts" }),
 * });
 * const widget = generatorWidget(model, vocab, { prime: "to ", heldOut: "not to be or to be" });
 * assert.ok(widget.html().includes('data-role="generate"') && widget.payloadBytes < 10_000);
 * assert.ok(widget.kernelText().startsWith("to "));
 * assert.ok(Math.abs(widget.cost!.packed.bits - widget.cost!.original.bits) < 0.05);
 * ```
 */
export function generatorWidget(
  model: CharModel,
  vocab: Vocab,
  options: GeneratorWidgetOptions = {},
): GeneratorWidget {
  return new GeneratorWidget(model, vocab, options);
}

/**
 * What packing the weights costs at each precision: payload size and bits per character on
 * held-out text with the trained and the packed weights (both on the model's backend).
 *
 * @param model A {@linkcode StackedRnn}.
 * @param vocab Its vocabulary.
 * @param heldOut Held-out text, or its indices.
 * @param options `precisions` (default f32, f16, int8); `limit`: most symbols scored (20000).
 * @returns One entry per precision.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend } from "../backend/create.ts";
 * import { Rng } from "../core/rng.ts";
 * import { createModel } from "../model/create.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("abcd");
 * const model = createModel({ cell: "rnn", vocabSize: 4, hiddenSize: 32 }, new Rng(1), {
 *   backend: createBackend({ kind: "f64" }),
 * });
 * const [f32, f16, int8] = packingCosts(model, vocab, "abcdabcdbbca");
 * assert.ok(f32!.bytes > f16!.bytes && f16!.bytes > int8!.bytes);
 * assert.ok(Math.abs(f32!.packed.bits - f32!.original.bits) < 1e-6);
 * ```
 */
export function packingCosts(
  model: CharModel,
  vocab: Vocab,
  heldOut: string | TokenIds,
  options: { precisions?: readonly Precision[]; limit?: number } = {},
): PackingCost[] {
  const { precisions = ["f32", "f16", "int8"], limit = 20_000 } = options;
  const ids = heldOutIds(vocab, heldOut);
  return precisions.map((precision) => {
    const payload = packModel(model, vocab, precision);
    return measure(model, vocab, payload, {
      ids,
      limit,
      bytes: utf8Length(JSON.stringify(payload)),
    });
  });
}

/** Held-out text or ids (of any width) as the Int32Array ids the scorer reads. */
function heldOutIds(vocab: Vocab, heldOut: string | TokenIds): Int32Array {
  if (typeof heldOut === "string") return encode(vocab, heldOut);
  return heldOut instanceof Int32Array ? heldOut : Int32Array.from(heldOut);
}

function measure(
  model: CharModel,
  vocab: Vocab,
  payload: WidgetPayload,
  options: { ids: Int32Array; limit: number; bytes: number },
): PackingCost {
  const ids = options.ids.subarray(0, options.limit);
  const packed = unpackModel(payload, { backend: model.backend }).model;
  return {
    precision: payload.precision,
    bytes: options.bytes,
    original: scoreIds(model, vocab, ids),
    packed: scoreIds(packed, vocab, ids),
  };
}

function describeCost(cost: PackingCost, graphemes: boolean): string {
  const bits = (s: TextScore) => graphemes ? s.bitsPerCodePoint : s.bits;
  const unit = graphemes ? "bits per code point" : "bits/char";
  const delta = bits(cost.packed) - bits(cost.original);
  const n = `${cost.original.predicted.toLocaleString("en-US")} held-out ` +
    (graphemes ? "grapheme clusters" : "characters");
  return `on ${n}: ${bits(cost.original).toFixed(3)} ${unit} with the trained weights, ` +
    `${bits(cost.packed).toFixed(3)} with these (${delta >= 0 ? "+" : ""}${delta.toFixed(4)})`;
}

function slider(
  role: string,
  label: string,
  min: number,
  max: number,
  step: number,
  value: number,
): string {
  return `<label>${label} <input data-role="${role}" type="range" min="${min}" max="${max}" ` +
    `step="${step}" value="${value}"> <span data-role="${role}-value">${value}</span></label>`;
}

function kb(bytes: number): string {
  return `${(bytes / 1000).toFixed(bytes < 10_000 ? 1 : 0)} kB`;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a `<script>`: `<`, `>`, `&` and line separators escaped. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const STYLE = `.charrnn-widget{font-family:sans-serif;border:1px solid #ccc;border-radius:6px;` +
  `padding:8px 12px;margin:4px 0;max-width:60em}` +
  `.charrnn-widget .cw-title{font-weight:bold;margin-bottom:6px}` +
  `.charrnn-widget .cw-controls{display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center}` +
  `.charrnn-widget input[type=number]{width:6em}` +
  `.charrnn-widget .cw-output{white-space:pre-wrap;word-break:break-word;min-height:3em;` +
  `background:#f7f7f7;padding:6px;margin:8px 0 4px;font-size:14px;border-radius:4px}` +
  `.charrnn-widget .cw-status,.charrnn-widget .cw-caption{font-size:smaller;color:#666}` +
  `.charrnn-widget .cw-kernel pre{white-space:pre-wrap;word-break:break-word;margin:4px 0}`;
