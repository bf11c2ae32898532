/**
 * What a name generator did, in words and figures: how its training went; of the names drawn,
 * the share that are new (not in the list), distinct, and for a Devanagari list well formed
 * (`text/devanagari.ts`); and the one summary line `deno task names` prints, with the held-out
 * bits per code point beside the bigram baseline's.
 *
 * @module
 */
import { formatDuration } from "../report/progress.ts";
import { endsWithVirama, isWellFormedDevanagari } from "../text/devanagari.ts";
import type { TrainedNames } from "./train.ts";

/** Figures of a set of drawn names. */
export interface NameStats {
  /** Names drawn. */
  drawn: number;
  /** Share of them not in the list, in `[0, 1]`. */
  newShare: number;
  /** Distinct names over names drawn. */
  distinctShare: number;
  /** For a Devanagari list: the share that are well formed; else `undefined`. */
  wellFormedShare?: number;
}

/**
 * Whether a list is written in Devanagari: most of its names use Devanagari letters.
 *
 * @param list Names.
 * @returns True for a Devanagari list.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([isDevanagariList(["गंगा", "Ada", "सीता"]), isDevanagariList(["Ada"])], [true, false]);
 * ```
 */
export function isDevanagariList(list: readonly string[]): boolean {
  const devanagari = list.filter((name) => /\p{Script=Devanagari}/u.test(name)).length;
  return devanagari > list.length / 2;
}

/**
 * The figures of drawn names against their list.
 *
 * @param drawn The names drawn (copies and repeats kept).
 * @param list The list the model learnt.
 * @returns Count and shares; well-formedness for a Devanagari list (a final virama counts as a
 *   mistake unless a name of the list ends in one).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const stats = nameStats(["Ada", "Ida", "Ida", "Uma"], ["Ada", "Bo"]);
 * assert.deepEqual(stats, { drawn: 4, newShare: 0.75, distinctShare: 0.75, wellFormedShare: undefined });
 * assert.equal(nameStats(["गंगा", "ािक"], ["सीता"]).wellFormedShare, 0.5);
 * ```
 */
export function nameStats(drawn: readonly string[], list: readonly string[]): NameStats {
  const known = new Set(list), n = Math.max(1, drawn.length);
  const share = (keep: (name: string) => boolean) => drawn.filter(keep).length / n;
  const rules = { allowFinalVirama: list.some(endsWithVirama) };
  return {
    drawn: drawn.length,
    newShare: share((name) => !known.has(name)),
    distinctShare: new Set(drawn).size / n,
    wellFormedShare: isDevanagariList(list)
      ? share((name) => isWellFormedDevanagari(name, rules))
      : undefined,
  };
}

/**
 * The summary line of a name generator's run.
 *
 * @param stats Figures of the names drawn ({@linkcode nameStats}).
 * @param scores Held-out bits per code point of the model and of the bigram baseline, when
 *   known (a model loaded from a checkpoint without its held-out names has none).
 * @returns One line.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const stats = { drawn: 300, newShare: 0.95, distinctShare: 0.99 };
 * assert.equal(
 *   formatNamesSummary(stats, { heldOutBits: 2.5, bigramBits: 3.125 }),
 *   "300 names drawn: 95.0% new, 99.0% distinct; held-out names 2.500 bits per code point " +
 *     "(bigram baseline 3.125)",
 * );
 * ```
 */
export function formatNamesSummary(
  stats: NameStats,
  scores?: { heldOutBits: number; bigramBits: number },
): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const shares = [`${pct(stats.newShare)} new`, `${pct(stats.distinctShare)} distinct`];
  if (stats.wellFormedShare !== undefined) shares.push(`${pct(stats.wellFormedShare)} well formed`);
  const held = scores
    ? `; held-out names ${scores.heldOutBits.toFixed(3)} bits per code point ` +
      `(bigram baseline ${scores.bigramBits.toFixed(3)})`
    : "";
  return `${stats.drawn} names drawn: ${shares.join(", ")}${held}`;
}

/**
 * How a name model's training went, in one line.
 *
 * @param trained What `trainNames` returned (its time, steps, kept step, held-out scores).
 * @returns E.g. `Trained in 2s (the held-out names stopped it at step 247); kept step 143:
 *   held-out names 3.820 bits per code point (bigram baseline 4.137)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const trained = {
 *   trainMs: 2000, bestStep: 40, bigramBits: 4, heldOut: { bitsPerCodePoint: 3.5 },
 *   result: { steps: 50, stopped: true, stoppedEarly: true },
 * } as const;
 * assert.equal(
 *   formatTraining(trained),
 *   "Trained in 2s (the held-out names stopped it at step 50); kept step 40: held-out names " +
 *     "3.500 bits per code point (bigram baseline 4.000)",
 * );
 * ```
 */
export function formatTraining(trained: {
  readonly trainMs: number;
  readonly bestStep: number;
  readonly bigramBits: number;
  readonly heldOut: Pick<TrainedNames["heldOut"], "bitsPerCodePoint">;
  readonly result: Pick<TrainedNames["result"], "steps" | "stopped" | "stoppedEarly">;
}): string {
  const { result, bestStep, trainMs, heldOut, bigramBits } = trained;
  const end = result.stoppedEarly
    ? `the held-out names stopped it at step ${result.steps}`
    : result.stopped
    ? `interrupted at step ${result.steps}`
    : `all ${result.steps} steps`;
  return `Trained in ${formatDuration(trainMs)} (${end}); kept step ${bestStep}: held-out names ` +
    `${heldOut.bitsPerCodePoint.toFixed(3)} bits per code point (bigram baseline ` +
    `${bigramBits.toFixed(3)})`;
}
