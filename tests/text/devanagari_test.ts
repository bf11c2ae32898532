// Well-formed Devanagari words, the Sanskrit name list, and why grapheme symbols cannot break
// the script's rules while code-point symbols do.
import { assertEquals, assertOk } from "../assert.ts";
import { Rng } from "../../lib/core/rng.ts";
import {
  devanagariProblems,
  endsWithVirama,
  isWellFormedDevanagari,
} from "../../lib/text/devanagari.ts";
import { SANSKRIT_NAME_GROUPS, sanskritNames } from "../../lib/text/sanskrit_names.ts";
import { splitSymbols, type TokenMode } from "../../lib/text/tokens.ts";

Deno.test("each rule names its problem and position", () => {
  const cases: [string, string[]][] = [
    ["राम", []],
    ["क्षत्रिय", []],
    ["अंशु", []], // anusvara after an independent vowel
    ["ज़रा", []], // nukta under a consonant, then a vowel sign
    ["ाम", ["vowel sign without a consonant before it at 0"]],
    ["अि", ["vowel sign without a consonant before it at 1"]],
    ["किे", ["two vowel signs in a row at 2"]],
    ["्र", ["virama without a consonant before it at 0"]],
    ["का्", ["virama without a consonant before it at 2", "virama at the end at 2"]],
    ["राम्", ["virama at the end at 3"]],
    ["अ़", ["nukta without a consonant before it at 1"]],
    ["ंक", ["nasal or visarga sign without a letter before it at 0"]],
    ["क्ः", ["nasal or visarga sign without a letter before it at 2"]],
    ["a\u093f", ["vowel sign without a consonant before it at 1"]],
  ];
  for (const [word, problems] of cases) {
    assertEquals(devanagariProblems(word), problems, word);
    assertEquals(isWellFormedDevanagari(word), problems.length === 0, word);
  }
  assertEquals(devanagariProblems("राम्", { allowFinalVirama: true }), []);
  assertEquals(devanagariProblems("क\u200d्ष"), [], "a zero-width joiner is passed over");
});

Deno.test("the Sanskrit names: a few hundred, distinct, Devanagari, every one well formed", () => {
  const names = sanskritNames();
  const groups = Object.entries(SANSKRIT_NAME_GROUPS).map(([k, v]) => `${k} ${v.length}`);
  console.log(`${names.length} names (${groups.join(", ")})`);
  assertOk(names.length >= 300);
  assertEquals(new Set(names).size, names.length);
  for (const name of names) {
    assertOk(/^[\u0900-\u097f]+$/.test(name), `${name} is Devanagari only`);
    assertEquals(devanagariProblems(name), [], name);
    assertEquals(endsWithVirama(name), false, `${name} ends in a virama`);
  }
});

/** Random strings of the list's symbols drawn as often as they occur: a unigram model's names. */
function randomWords(tokens: TokenMode, count: number): string[] {
  const symbols = splitSymbols(sanskritNames().join(""), tokens);
  const rng = new Rng(11);
  return Array.from({ length: count }, () => {
    const n = 3 + rng.int(4); // 3 to 6 symbols
    return Array.from({ length: n }, () => symbols[rng.int(symbols.length)]!).join("");
  });
}

Deno.test("any string of the list's grapheme clusters is well formed; of its code points, rarely", () => {
  const share = (words: string[]) =>
    words.filter((w) => isWellFormedDevanagari(w)).length / words.length;
  const graphemes = share(randomWords("graphemes", 2000));
  const codePoints = share(randomWords("codepoints", 2000));
  console.log(
    `well formed: ${(100 * graphemes).toFixed(1)}% of random grapheme strings, ` +
      `${(100 * codePoints).toFixed(1)}% of random code-point strings`,
  );
  assertEquals(graphemes, 1);
  assertOk(codePoints < 0.5);
});
