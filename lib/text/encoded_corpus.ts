/**
 * Corpora read straight into ids: one or more texts (the bundled Brown fiction, files, folders of
 * `.txt` files) and an optional separate validation text, encoded with one vocabulary in the
 * smallest integer type it allows. Files are read twice in pieces, once to find the vocabulary
 * and length and once to encode, so a large text never exists as a string or as several
 * copies: the ids (one byte per character for up to 256 distinct characters) are the only
 * full-size allocation.
 *
 * @module
 */
import { brownCategoriesOf, corpusName, loadBrownCorpus } from "./corpus.ts";
import { idArrayFor, type TokenIds } from "./data.ts";
import {
  CORPUS_FIX,
  CORPUS_LABEL,
  listTextFiles,
  readTextChunks,
  type TextLabel,
  type TextSource,
} from "./text_files.ts";
import { compareCodePoints, splitSymbols, type TokenMode } from "./tokens.ts";
import { encode, type Vocab, vocabFromChars } from "./vocab.ts";

/** A corpus encoded with its vocabulary. */
export interface EncodedCorpus {
  /** Short name: `brown`, a file or folder name, or several joined by `+`. */
  name: string;
  /** Sorted symbols (code points, or grapheme clusters) of the training and validation texts. */
  vocab: Vocab;
  /** The training text's ids (all given texts, joined by blank lines). */
  train: TokenIds;
  /** The validation text's ids, when one was given. */
  val?: TokenIds;
  /** What was read for training, in order: file paths, or `brown`. */
  files: string[];
}

/** How far {@linkcode readCorpus} is. */
export interface CorpusProgress {
  /** `scan`: finding the vocabulary and length; `encode`: writing the ids. */
  phase: "scan" | "encode";
  /** Bytes of this phase done. */
  done: number;
  /** Bytes of this phase in all (the texts' size). */
  total: number;
}

/** Options of {@linkcode readCorpus}. */
export interface ReadCorpusOptions {
  /** A separate validation text (file or folder), encoded with the same vocabulary. */
  val?: string;
  /** Called after each piece read, to show progress. */
  onProgress?: (progress: CorpusProgress) => void;
  /** Bytes per piece (default 8 MiB). */
  chunkBytes?: number;
  /**
   * What a symbol is (default code points). Grapheme clusters can span pieces, so that mode
   * reads each text whole, then segments it.
   */
  tokens?: TokenMode;
}

/** The label of a validation text in messages. */
const VAL_LABEL: TextLabel = {
  what: "validation text",
  fix: "pass an existing UTF-8 text file or folder with --val-corpus PATH",
};

/**
 * Reads and encodes a corpus: each spec is `"brown"` (or `"brown:CATEGORY,..."`), a UTF-8 file,
 * or a folder (its `.txt` files in name order); the texts are joined by a blank line (see
 * `readTextChunks`).
 *
 * @param specs One or more texts, in order.
 * @param options A validation text, a progress callback, the piece size.
 * @returns The vocabulary and the ids.
 * @throws {Error} one line naming the text, the problem and the fix (missing, unreadable, not
 * UTF-8, empty, a folder without `.txt` files, a file that changed while read).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decode } from "./vocab.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "ab\n");
 * await Deno.writeTextFile(`${dir}/val.txt`, "ba");
 * const corpus = await readCorpus([`${dir}/a.txt`, `${dir}/a.txt`], { val: `${dir}/val.txt` });
 * assert.deepEqual(corpus.vocab.chars, ["\n", "a", "b"]);
 * assert.equal(decode(corpus.vocab, corpus.train), "ab\n\nab\n");
 * assert.ok(corpus.train instanceof Uint8Array);
 * assert.deepEqual(Array.from(corpus.val!), [2, 1]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readCorpus(
  specs: readonly string[],
  options: ReadCorpusOptions = {},
): Promise<EncodedCorpus> {
  if (specs.length === 0) {
    throw new RangeError(`Cannot read a corpus: no text given; ${CORPUS_FIX}`);
  }
  const train: TextSource[] = [];
  for (const spec of specs) train.push(...(await sourcesOf(spec, CORPUS_LABEL)));
  const val = options.val === undefined ? undefined : await sourcesOf(options.val, VAL_LABEL);
  const reading = readingOf([...train, ...(val ?? [])], options);
  const encoded = options.tokens === "graphemes"
    ? await encodeGraphemes({ train, val }, reading)
    : await encodeCodePoints({ train, val }, reading);
  return { name: corpusTitle(specs), ...encoded, files: train.map((s) => s.path) };
}

/**
 * The short name of one or more texts: each {@linkcode corpusName}, joined by `+` (the first
 * three, then `+more`).
 *
 * @param specs The texts.
 * @returns The name, e.g. for the default output folder `runs/<name>`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(corpusTitle(["data/a.txt", "brown"]), "a+brown");
 * ```
 */
export function corpusTitle(specs: readonly string[]): string {
  const names = specs.map(corpusName);
  return names.length <= 3 ? names.join("+") : `${names.slice(0, 3).join("+")}+more`;
}

/** The texts of a corpus: the training text's sources, and the validation text's if given. */
interface Texts {
  train: TextSource[];
  val?: TextSource[];
}

/** A corpus's vocabulary and the ids of its texts. */
type Encoded = Pick<EncodedCorpus, "vocab" | "train" | "val">;

/** How the texts are read: in pieces, with progress over all of their bytes. */
interface Reading {
  /** A new progress count for a phase: call it with the bytes of each piece. */
  counter(phase: CorpusProgress["phase"]): (bytes: number) => void;
  /** The pieces of some sources, their bytes counted by `onBytes`. */
  read(
    sources: TextSource[],
    options: { label: TextLabel; onBytes: (bytes: number) => void },
  ): AsyncIterable<string>;
}

/** How {@linkcode readCorpus} reads `sources`: pieces of `chunkBytes`, progress to `onProgress`. */
function readingOf(sources: TextSource[], options: ReadCorpusOptions): Reading {
  const { chunkBytes, onProgress } = options;
  const total = sources.reduce((sum, s) => sum + s.bytes, 0);
  return {
    counter: (phase) => {
      let done = 0;
      return (bytes) => {
        done += bytes;
        onProgress?.({ phase, done, total });
      };
    },
    read: (sources, { label, onBytes }) => readTextChunks(sources, { chunkBytes, onBytes, label }),
  };
}

/** Grapheme clusters can span pieces, so this mode reads each text whole, then segments it. */
async function encodeGraphemes(texts: Texts, reading: Reading): Promise<Encoded> {
  const whole = async (sources: TextSource[], label: TextLabel) => {
    let text = "";
    for await (const piece of reading.read(sources, { label, onBytes: reading.counter("scan") })) {
      text += piece;
    }
    return text;
  };
  const trainText = await whole(texts.train, CORPUS_LABEL);
  const valText = texts.val ? await whole(texts.val, VAL_LABEL) : undefined;
  const symbols = new Set([
    ...splitSymbols(trainText, "graphemes"),
    ...splitSymbols(valText ?? "", "graphemes"),
  ]);
  const vocab = vocabFromChars([...symbols].sort(compareCodePoints), { tokens: "graphemes" });
  const compact = (text: string) => {
    const ids = encode(vocab, text), out = idArrayFor(vocab.chars.length, ids.length);
    out.set(ids);
    return out;
  };
  return {
    vocab,
    train: compact(trainText),
    ...(valText !== undefined ? { val: compact(valText) } : {}),
  };
}

/**
 * Code points in two passes over the files: which occur and how many each text has, then the
 * ids, written straight into an array of the smallest type the vocabulary allows.
 */
async function encodeCodePoints(texts: Texts, reading: Reading): Promise<Encoded> {
  // pass 1: which code points occur, and how many characters each text has
  const seen = new Uint8Array(0x110000);
  const onBytes = reading.counter("scan");
  const scan = async (sources: TextSource[], label: TextLabel) => {
    let length = 0;
    for await (const piece of reading.read(sources, { label, onBytes })) {
      length += markCodePoints(piece, seen);
    }
    return length;
  };
  const trainLength = await scan(texts.train, CORPUS_LABEL);
  const valLength = texts.val ? await scan(texts.val, VAL_LABEL) : 0;
  const chars: string[] = [];
  for (let c = 0; c < seen.length; c++) if (seen[c]) chars.push(String.fromCodePoint(c));
  const vocab = vocabFromChars(chars);

  // pass 2: the ids
  const index = new Int32Array(0x110000).fill(-1);
  chars.forEach((ch, i) => (index[ch.codePointAt(0)!] = i));
  const encoding = { reading, index, vocabSize: chars.length, onBytes: reading.counter("encode") };
  const train = await encodeSources(texts.train, {
    ...encoding,
    length: trainLength,
    label: CORPUS_LABEL,
  });
  const val = texts.val
    ? await encodeSources(texts.val, { ...encoding, length: valLength, label: VAL_LABEL })
    : undefined;
  return { vocab, train, ...(val ? { val } : {}) };
}

/**
 * The ids of some sources, `length` code points found by the first pass.
 *
 * @throws {Error} when the text changed between the passes.
 */
async function encodeSources(
  sources: TextSource[],
  options: {
    reading: Reading;
    index: Int32Array;
    vocabSize: number;
    length: number;
    onBytes: (bytes: number) => void;
    label: TextLabel;
  },
): Promise<TokenIds> {
  const { reading, index, length, onBytes, label } = options;
  const ids = idArrayFor(options.vocabSize, length);
  let at = 0;
  for await (const piece of reading.read(sources, { label, onBytes })) {
    at = writeIds(piece, index, ids, at);
    if (at < 0) break;
  }
  if (at !== length) {
    const path = sources.find((s) => s.kind === "file")?.path ?? sources[0]!.path;
    throw new Error(
      `Cannot read ${label.what} "${path}": it changed while it was being read; ` +
        `try again once nothing writes to it`,
    );
  }
  return ids;
}

/** The sources of one spec: the bundled corpus as a text, or a file or folder. */
async function sourcesOf(spec: string, label: TextLabel): Promise<TextSource[]> {
  const categories = brownCategoriesOf(spec);
  if (categories) {
    const text = await loadBrownCorpus({ categories });
    return [{ kind: "text", path: spec, text, bytes: text.length }];
  }
  return await listTextFiles(spec, label);
}

/**
 * Marks the code points of a piece in `seen` (a surrogate pair is one code point).
 *
 * @returns How many code points the piece has.
 */
function markCodePoints(piece: string, seen: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < piece.length; i++) {
    const c = piece.codePointAt(i)!; // a lone surrogate is its own code point
    if (c > 0xffff) i++;
    seen[c] = 1;
    count++;
  }
  return count;
}

/**
 * Writes the ids of a piece into `ids` from `at`.
 *
 * @returns The next position, or -1 when the piece does not fit or has an unknown character
 * (the file changed between the passes).
 */
function writeIds(piece: string, index: Int32Array, ids: TokenIds, at: number): number {
  for (let i = 0; i < piece.length; i++) {
    const c = piece.codePointAt(i)!; // a lone surrogate is its own code point
    if (c > 0xffff) i++;
    const id = index[c]!;
    if (id < 0 || at >= ids.length) return -1;
    ids[at++] = id;
  }
  return at;
}
