/**
 * Turning an encoded text into training data: a train/validation split, the
 * seed notebook's input/target windows, and minibatches of B parallel streams.
 *
 * A text is held in the smallest integer type its vocabulary allows ({@linkcode TokenIds}:
 * one byte per character for up to 256 distinct characters); the chunks handed to a model are
 * `Int32Array`s, copied out of it here.
 *
 * Legend: T = sequence length, B = batch size (parallel streams).
 *
 * @module
 */

/** An encoded text: vocabulary indices in the smallest type its vocabulary allows. */
export type TokenIds = Uint8Array | Uint16Array | Int32Array;

/**
 * A zeroed id array for `length` characters of a `vocabSize`-character vocabulary:
 * `Uint8Array` up to 256 characters, `Uint16Array` up to 65,536, else `Int32Array`.
 *
 * @param vocabSize Vocabulary size V.
 * @param length Number of characters.
 * @returns The array.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(idArrayFor(256, 3) instanceof Uint8Array);
 * assert.ok(idArrayFor(257, 3) instanceof Uint16Array);
 * assert.ok(idArrayFor(70_000, 3) instanceof Int32Array);
 * ```
 */
export function idArrayFor(vocabSize: number, length: number): TokenIds {
  if (vocabSize <= 256) return new Uint8Array(length);
  if (vocabSize <= 65_536) return new Uint16Array(length);
  return new Int32Array(length);
}

/** The two parts of a split text. */
export interface Split {
  /** The leading part, used for training. */
  train: TokenIds;
  /** The trailing part (may be empty), used for validation. */
  val: TokenIds;
}

/**
 * Splits an encoded text: the last `valFraction` of it becomes validation data.
 *
 * @param ids Encoded text.
 * @param valFraction Fraction in `[0, 1)` held out at the end.
 * @returns Views of the two parts.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const { train, val } = splitData(new Int32Array(10), 0.2);
 * assert.deepEqual([train.length, val.length], [8, 2]);
 * ```
 */
export function splitData(ids: TokenIds, valFraction: number): Split {
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new RangeError(`Invalid validation fraction ${valFraction}: expected 0 <= f < 1`);
  }
  const cut = ids.length - Math.floor(ids.length * valFraction);
  return { train: ids.subarray(0, cut), val: ids.subarray(cut) };
}

/**
 * The seed notebook's windows: input `ids[i..i+T)` and target `ids[i+1..i+T]`
 * for `i = 0, step, 2*step, ...`.
 *
 * @param ids Encoded text.
 * @param seqLength Window length T.
 * @param step Distance between window starts.
 * @returns Inputs and targets, each `(count, T)` row-major.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const w = makeWindows(Int32Array.from([0, 1, 2, 3]), 2, 1);
 * assert.deepEqual([w.count, Array.from(w.targets.subarray(0, 2))], [2, [1, 2]]);
 * ```
 */
export function makeWindows(
  ids: TokenIds,
  seqLength: number,
  step = 1,
): { inputs: Int32Array; targets: Int32Array; count: number } {
  const count = Math.max(0, Math.ceil((ids.length - seqLength) / step));
  const inputs = new Int32Array(count * seqLength); // (count, T)
  const targets = new Int32Array(count * seqLength); // (count, T)
  for (let w = 0; w < count; w++) {
    const i = w * step;
    inputs.set(ids.subarray(i, i + seqLength), w * seqLength);
    targets.set(ids.subarray(i + 1, i + seqLength + 1), w * seqLength);
  }
  return { inputs, targets, count };
}

/** One chunk of B parallel streams, time-major. */
export interface Batch {
  /** Input indices, `(T, B)`: `inputs[t * B + b]`. */
  inputs: Int32Array;
  /** Target indices (the next characters), `(T, B)`. */
  targets: Int32Array;
  /** True when the streams restarted from their beginning: carried state should be reset. */
  wrapped: boolean;
}

/** Options of {@linkcode BatchStream}. */
export interface BatchStreamOptions {
  /** Sequence length T (time steps per chunk). */
  seqLength: number;
  /** Number of parallel streams B. */
  batchSize: number;
  /** How far each stream moves per chunk; defaults to T (consecutive chunks, carried state). */
  stride?: number;
}

/**
 * Minibatches for truncated BPTT as char-rnn does it: the text is cut into B
 * contiguous segments, and chunk k of stream b continues where chunk k-1 of
 * stream b stopped, so the hidden state can carry across chunks.
 * With B = 1 and `stride: 1` it walks the seed notebook's sliding window.
 */
export class BatchStream {
  /** Sequence length T. */
  readonly seqLength: number;
  /** Number of streams B. */
  readonly batchSize: number;
  /** Characters each stream advances per chunk. */
  readonly stride: number;
  /** Length of each stream's segment. */
  readonly segmentLength: number;
  /** Offset of the next chunk inside each segment (save it to resume exactly). */
  position = 0;
  #ids: TokenIds;
  #batch: Batch;

  /**
   * Cuts `ids` into B segments.
   *
   * @param ids Encoded training text (any {@linkcode TokenIds} type; chunks are `Int32Array`).
   * @param options Shape of the chunks.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const s = new BatchStream(Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]), {
   *   seqLength: 2,
   *   batchSize: 2,
   * });
   * assert.deepEqual(Array.from(s.next().inputs), [0, 4, 1, 5]); // (T, B)
   * ```
   */
  constructor(ids: TokenIds, options: BatchStreamOptions) {
    const { seqLength: T, batchSize: B } = options;
    const stride = options.stride ?? T;
    for (const [name, v] of [["seqLength", T], ["batchSize", B], ["stride", stride]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`Invalid ${name} ${v}: expected a positive integer`);
      }
    }
    const segmentLength = Math.floor((ids.length - 1) / B);
    if (segmentLength < T) {
      throw new RangeError(
        `Text too short: ${ids.length} characters cannot fill ${B} stream(s) of ${T} characters ` +
          `(needs at least ${B * T + 1}); use a longer text or a smaller batch size or ` +
          `sequence length`,
      );
    }
    this.seqLength = T;
    this.batchSize = B;
    this.stride = stride;
    this.segmentLength = segmentLength;
    this.#ids = ids;
    this.#batch = {
      inputs: new Int32Array(T * B),
      targets: new Int32Array(T * B),
      wrapped: false,
    };
  }

  /** Characters consumed per chunk across all streams (T * B). */
  get charsPerBatch(): number {
    return this.seqLength * this.batchSize;
  }

  /**
   * The next chunk. The returned object and its arrays are reused by the next call.
   *
   * @returns The chunk, `(T, B)` time-major.
   */
  next(): Batch {
    const { seqLength: T, batchSize: B, segmentLength: L } = this;
    let wrapped = false;
    if (this.position + T > L) {
      this.position = 0;
      wrapped = true;
    }
    const { inputs, targets } = this.#batch;
    const ids = this.#ids;
    for (let b = 0; b < B; b++) {
      const start = b * L + this.position;
      for (let t = 0; t < T; t++) {
        inputs[t * B + b] = ids[start + t]!;
        targets[t * B + b] = ids[start + t + 1]!;
      }
    }
    this.position += this.stride;
    this.#batch.wrapped = wrapped;
    return this.#batch;
  }
}
