/**
 * The text side of `deno task train`: which texts a run trains and validates on (and how a
 * checkpoint remembers them), reading them with a progress line, and the checks that the text
 * fits the run and the checkpoint.
 *
 * @module
 */
import type { TokenMode } from "../lib/text/tokens.ts";
import type { Checkpoint } from "../lib/io/checkpoint.ts";
import { formatCount } from "../lib/report/progress.ts";
import type { Split } from "../lib/text/data.ts";
import type { TrainConfig } from "../lib/train/config.ts";
import { type CorpusChoice, parseCorpusRef } from "../lib/text/corpus_ref.ts";
import { type EncodedCorpus, readCorpus } from "../lib/text/encoded_corpus.ts";
import { describeChar, type Vocab } from "../lib/text/vocab.ts";
import type { Output } from "./terminal.ts";

/**
 * Reads and encodes the texts, showing a progress line (in place on a terminal, a line per
 * quarter otherwise) once reading takes more than a second.
 *
 * @param choice The texts.
 * @param out Where the progress line goes.
 * @returns The encoded corpus.
 */
export async function readWithProgress(
  choice: CorpusChoice,
  out: Output,
  tokens: TokenMode,
): Promise<EncodedCorpus> {
  const start = performance.now();
  let quarters = 0;
  const corpus = await readCorpus(choice.train, {
    val: choice.val,
    tokens,
    onProgress: ({ phase, done, total }) => {
      const seconds = (performance.now() - start) / 1000;
      if (seconds < 1) return;
      const fraction = (phase === "scan" ? 0 : 0.5) + done / total / 2;
      const keep = !out.live && Math.floor(fraction * 4) > quarters;
      if (keep) quarters = Math.floor(fraction * 4);
      const what = phase === "scan" ? "finding the characters" : "encoding";
      out.progress(
        `Reading the corpus: ${Math.floor(fraction * 100)}% (${what}, ${formatCount(done)} of ` +
          `${formatCount(total)} bytes, ${seconds.toFixed(1)}s)`,
        keep,
      );
    },
  });
  out.clear();
  return corpus;
}

/**
 * Refuses texts whose characters differ from the checkpoint's vocabulary.
 *
 * @param specs The texts, for the message.
 * @param vocab The texts' vocabulary.
 * @param ckpt The checkpoint.
 * @param path Its path.
 * @throws {Error} naming a character that one has and the other lacks.
 */
export function checkVocab(specs: string, vocab: Vocab, ckpt: Checkpoint, path: string): void {
  const saved = ckpt.vocab.chars;
  if (vocab.chars.join("\0") === saved.join("\0")) return;
  const extra = vocab.chars.find((c) => !ckpt.vocab.charToIndex.has(c));
  const missing = saved.find((c) => !vocab.charToIndex.has(c));
  const detail = extra !== undefined
    ? `it contains ${describeChar(extra)}, which the checkpoint's vocabulary lacks`
    : `it lacks ${describeChar(missing ?? "")}, which the checkpoint's vocabulary has`;
  const was = parseCorpusRef(ckpt.corpus);
  throw new Error(
    `Corpus "${specs}" does not match checkpoint "${path}": ${detail} ` +
      `(${vocab.chars.length} vs ${saved.length} characters); pass the text the checkpoint ` +
      `was trained on with --corpus (it was "${was.train.join('", "')}"` +
      `${was.val ? `, validation "${was.val}"` : ""})`,
  );
}

/**
 * Refuses a training split too short for one batch, naming the flags to change.
 *
 * @param specs The texts, for the message.
 * @param data The split.
 * @param config The run's config.
 * @throws {Error} with the lengths and the fix.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeConfig } from "../lib/train/config.ts";
 * const data = { train: new Uint8Array(20), val: new Uint8Array(0) };
 * assert.throws(() => checkLength("x", data, makeConfig()), /too short: .* at least 2049/);
 * ```
 */
export function checkLength(specs: string, data: Split, config: TrainConfig): void {
  const { batchSize: B, seqLength: T } = config;
  if (data.train.length >= B * T + 1) return;
  throw new Error(
    `Corpus "${specs}" is too short: its training part has ${data.train.length} characters, ` +
      `but --batch-size ${B} x --seq-length ${T} needs at least ${B * T + 1}; ` +
      `use a longer text, or lower --batch-size or --seq-length`,
  );
}

/**
 * The header line describing the corpus and its split.
 *
 * @param corpus The encoded corpus.
 * @param data The split.
 * @param val The separate validation text, if any.
 * @returns The line.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildVocab } from "../lib/text/vocab.ts";
 * const corpus = { name: "x", vocab: buildVocab("ab"), train: new Uint8Array(9), files: ["x"] };
 * const data = { train: corpus.train.subarray(0, 8), val: corpus.train.subarray(8) };
 * assert.equal(
 *   describeCorpus(corpus, data),
 *   "Corpus x: 9 characters, 2 distinct (train 8, validation 1)",
 * );
 * ```
 */
export function describeCorpus(corpus: EncodedCorpus, data: Split, val?: string): string {
  const files = corpus.files.length > 1 ? ` (${corpus.files.length} texts)` : "";
  const heldOut = val === undefined ? "" : ` from ${val}`;
  const unit = corpus.vocab.tokens === "graphemes" ? "grapheme clusters" : "characters";
  return `Corpus ${corpus.name}${files}: ${formatCount(data.train.length + data.val.length)} ` +
    `${unit}, ${corpus.vocab.chars.length} distinct (train ${formatCount(data.train.length)}, ` +
    `validation ${formatCount(data.val.length)}${heldOut})`;
}
