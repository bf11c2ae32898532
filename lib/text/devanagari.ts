/**
 * Is a Devanagari word well formed? A written syllable (akshara) is a consonant or an
 * independent vowel, then marks that lean on it: a vowel sign (matra, ि ा ु ...), or a virama
 * (्) that joins the consonant to the next one, or a nukta (़) under it, or a nasal or visarga
 * sign (ँ ं ः) after it. A code-point model can emit those marks anywhere; no reader accepts
 *
 * - a vowel sign or a virama with no consonant right before it (ि at the start, ाि, अ्),
 * - two vowel signs in a row (कोा),
 * - a nukta with no consonant before it, a nasal or visarga sign with no letter before it,
 * - a virama at the end of a word (unless the word list has such words: pass
 *   `allowFinalVirama`).
 *
 * Letters of other scripts and zero-width joiners are passed over; a mark after one of them has
 * no consonant before it.
 *
 * @module
 */

/** What a code point is in a Devanagari word. */
type Kind = "consonant" | "vowel" | "vowelSign" | "virama" | "nukta" | "sign" | "joiner" | "other";

/** Options of {@linkcode devanagariProblems}. */
export interface DevanagariOptions {
  /** Accept a virama as the last code point (default false). */
  allowFinalVirama?: boolean;
}

const VIRAMA = 0x094d;

function kindOf(c: number): Kind {
  if ((c >= 0x0915 && c <= 0x0939) || (c >= 0x0958 && c <= 0x095f) || c >= 0x0978 && c <= 0x097f) {
    return "consonant";
  }
  if (
    (c >= 0x0904 && c <= 0x0914) || c === 0x0960 || c === 0x0961 || (c >= 0x0972 && c <= 0x0977)
  ) {
    return "vowel";
  }
  if (
    c === 0x093a || c === 0x093b || (c >= 0x093e && c <= 0x094c) || c === 0x094e ||
    c === 0x094f || (c >= 0x0955 && c <= 0x0957) || c === 0x0962 || c === 0x0963
  ) return "vowelSign";
  if (c === VIRAMA) return "virama";
  if (c === 0x093c) return "nukta";
  if (c >= 0x0900 && c <= 0x0903) return "sign"; // inverted candrabindu, candrabindu, anusvara, visarga
  if (c === 0x200c || c === 0x200d) return "joiner";
  return "other";
}

/**
 * The rules a word breaks, in order of position (empty when it is well formed).
 *
 * @param word A word (a name), any script.
 * @param options `allowFinalVirama`.
 * @returns One message per problem, e.g. `"vowel sign without a consonant before it at 0"`
 *   (the position counts code points).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(devanagariProblems("क्षिति"), []);
 * assert.deepEqual(devanagariProblems("िक"), ["vowel sign without a consonant before it at 0"]);
 * assert.deepEqual(devanagariProblems("कोा"), ["two vowel signs in a row at 2"]);
 * assert.deepEqual(devanagariProblems("मरुत्"), ["virama at the end at 4"]);
 * assert.deepEqual(devanagariProblems("मरुत्", { allowFinalVirama: true }), []);
 * ```
 */
export function devanagariProblems(word: string, options: DevanagariOptions = {}): string[] {
  const problems: string[] = [];
  let prev: Kind = "other", i = 0, last = -1;
  for (const ch of word) {
    const c = ch.codePointAt(0)!, kind = kindOf(c);
    const onConsonant: boolean = prev === "consonant";
    let problem = "";
    if (kind === "vowelSign" && !onConsonant) {
      problem = prev === "vowelSign"
        ? "two vowel signs in a row"
        : "vowel sign without a consonant before it";
    } else if (kind === "virama" && !onConsonant) {
      problem = "virama without a consonant before it";
    } else if (kind === "nukta" && !onConsonant) {
      problem = "nukta without a consonant before it";
    } else if (kind === "sign" && !["consonant", "vowel", "vowelSign"].includes(prev)) {
      problem = "nasal or visarga sign without a letter before it";
    }
    if (problem) problems.push(`${problem} at ${i}`);
    if (kind !== "joiner") prev = kind === "nukta" && onConsonant ? "consonant" : kind;
    last = c;
    i++;
  }
  if (last === VIRAMA && !options.allowFinalVirama) problems.push(`virama at the end at ${i - 1}`);
  return problems;
}

/**
 * Whether a word breaks none of the rules of {@linkcode devanagariProblems}.
 *
 * @param word A word.
 * @param options `allowFinalVirama`.
 * @returns True when it is well formed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isWellFormedDevanagari("लक्ष्मी"), true);
 * assert.equal(isWellFormedDevanagari("ल्ंक"), false); // anusvara after a virama
 * ```
 */
export function isWellFormedDevanagari(word: string, options: DevanagariOptions = {}): boolean {
  return devanagariProblems(word, options).length === 0;
}

/**
 * Whether a word ends in a virama (a consonant without its vowel), e.g. to decide
 * `allowFinalVirama` from a word list: `{ allowFinalVirama: names.some(endsWithVirama) }`.
 *
 * @param word A word.
 * @returns True when its last code point is the virama U+094D.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([endsWithVirama("मरुत्"), endsWithVirama("मरुत")], [true, false]);
 * ```
 */
export function endsWithVirama(word: string): boolean {
  return word.codePointAt(word.length - 1) === VIRAMA;
}
