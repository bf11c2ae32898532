/**
 * Looking inside a trained model: the hidden activations over a passage and
 * the model's surprisal (bits) for each character of it.
 *
 * @module
 */
import type { CharModel } from "../model/char_model.ts";
import { softmax } from "../core/softmax.ts";
import { encode, symbolsOf, type Vocab } from "../text/vocab.ts";

/** Per-character readings of a model over a passage. */
export interface PassageTrace {
  /** The passage's symbols (code points, or grapheme clusters). */
  chars: string[];
  /** Hidden activations of the top layer after reading each character, `(N, H)` row-major. */
  hidden: Float64Array;
  /** Hidden size H. */
  hiddenSize: number;
  /**
   * Surprisal of each character in bits, `-log2 p(char | previous chars)`;
   * `NaN` for the first character, which nothing predicts.
   */
  bits: Float64Array;
}

/**
 * Runs a passage through a model one character at a time from a zero state.
 *
 * @param model Any character model.
 * @param vocab Its vocabulary.
 * @param text The passage (only vocabulary characters).
 * @returns Hidden activations and surprisal per character.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../core/rng.ts";
 * import { VanillaRnn } from "../model/vanilla_rnn.ts";
 * import { buildVocab } from "../text/vocab.ts";
 * const vocab = buildVocab("abc");
 * const model = new VanillaRnn(new Rng(1), { vocabSize: 3, hiddenSize: 4 });
 * const trace = tracePassage(model, vocab, "abca");
 * assert.deepEqual([trace.hidden.length, trace.bits.length], [16, 4]);
 * ```
 */
export function tracePassage(model: CharModel, vocab: Vocab, text: string): PassageTrace {
  const ids = encode(vocab, text);
  const N = ids.length, V = vocab.chars.length, H = model.config.hiddenSize;
  const state = model.initialState(1);
  const topName = Object.keys(state).filter((k) => k.startsWith("h")).at(-1);
  if (topName === undefined) throw new TypeError("Cannot trace: the model state has no h tensor");
  const x = new Int32Array(1);
  const logits = new Float64Array(V);
  const p = new Float64Array(V);
  const hidden = new Float64Array(N * H); // (N, H)
  const bits = new Float64Array(N).fill(NaN);
  for (let t = 0; t < N; t++) {
    if (t > 0) {
      softmax(logits, p, { n: V });
      bits[t] = -Math.log2(p[ids[t]!]!); // surprisal of char t given chars < t
    }
    x[0] = ids[t]!;
    model.step(x, state, logits);
    hidden.set(state[topName]!.data.subarray(0, H), t * H);
  }
  return { chars: symbolsOf(vocab, text), hidden, hiddenSize: H, bits };
}

/**
 * Renders a passage as HTML with each character's background shaded by its surprisal
 * (white = expected, red = surprising), with the bits in a tooltip.
 *
 * @param chars Characters.
 * @param bits Surprisal per character (NaN: unshaded).
 * @param options `maxBits`: surprisal shown fully red (default 8).
 * @returns An HTML fragment.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(surprisalHtml(["<", "b"], Float64Array.from([NaN, 4])).includes("&lt;"));
 * ```
 */
export function surprisalHtml(
  chars: readonly string[],
  bits: ArrayLike<number>,
  options: { maxBits?: number } = {},
): string {
  const { maxBits = 8 } = options;
  const spans = chars.map((ch, t) => {
    const b = bits[t]!;
    const a = Number.isNaN(b) ? 0 : Math.min(1, Math.max(0, b / maxBits));
    const shown = ch === "\n" ? "↵<br>" : escapeHtml(ch);
    const title = Number.isNaN(b) ? "" : ` title="${b.toFixed(2)} bits"`;
    return `<span style="background:rgba(220,40,40,${a.toFixed(3)})"${title}>${shown}</span>`;
  });
  return `<div style="font-family:monospace;white-space:pre-wrap;line-height:1.6">${
    spans.join("")
  }</div>`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}
