// Vocabulary over Unicode code points: Devanagari, accented Latin and emoji.
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { buildVocab, decode, describeChar, encode, vocabFromChars } from "../../lib/text/vocab.ts";

const SANSKRIT = "रामः सीता लक्ष्मणः हनुमान् "; // written for this test
const ACCENTED = "Ça déçoit Zoë à Málaga. ";
const EMOJI = "🐍 mit 🎵 "; // U+1F40D and U+1F3B5: two UTF-16 units each

Deno.test("vocab round trip: Devanagari, accented Latin and emoji", () => {
  const text = SANSKRIT + ACCENTED + EMOJI + "\n";
  const vocab = buildVocab(text);
  const ids = encode(vocab, text);
  assertEquals(ids.length, [...text].length, "one index per code point");
  assertOk(ids.length < text.length, "the emoji are shorter in code points than in UTF-16 units");
  assertEquals(decode(vocab, ids), text);
  for (const part of [SANSKRIT, ACCENTED, EMOJI]) {
    assertEquals(decode(vocab, encode(vocab, part)), part);
  }
  assertEquals(vocab.charToIndex.size, vocab.chars.length);
  vocab.chars.forEach((ch, i) => assertEquals(vocab.charToIndex.get(ch), i));
});

Deno.test("an astral character is ONE symbol", () => {
  const vocab = buildVocab("a🐍b🐍");
  assertEquals(vocab.chars, ["a", "b", "🐍"]);
  assertEquals(Array.from(encode(vocab, "🐍a🐍")), [2, 0, 2]);
  assertEquals("🐍".length, 2); // UTF-16 units
  assertEquals(decode(vocab, [2]), "🐍");
});

Deno.test("Devanagari combining marks and virama are separate code points", () => {
  // "क्ष" is क + ् (virama) + ष: three code points, three symbols
  const vocab = buildVocab("क्ष");
  assertEquals(vocab.chars, ["क", "ष", "्"]); // U+0915, U+0937, U+094D
  assertEquals(Array.from(encode(vocab, "क्ष")), [0, 2, 1]);
});

Deno.test("characters are sorted by code point, not by UTF-16 unit or locale", () => {
  // U+FF01 (fullwidth !) is above the surrogates 0xD83D..., so a UTF-16 sort puts the emoji first.
  const text = "！🐍zAé ";
  const vocab = buildVocab(text);
  assertEquals(vocab.chars, [" ", "A", "z", "é", "！", "🐍"]);
  assertEquals([...text].sort(), [" ", "A", "z", "é", "🐍", "！"], "naive sort differs");
  const codes = vocab.chars.map((c) => c.codePointAt(0)!);
  assertEquals(codes, [...codes].sort((a, b) => a - b));
  assertEquals(buildVocab("banana").chars, ["a", "b", "n"]);
  assertEquals(buildVocab("").chars, []);
});

Deno.test("encode names the unknown character and its code point", () => {
  const vocab = buildVocab("abc");
  assertThrows(
    () => encode(vocab, "abé"),
    /Character "é" \(U\+00E9\) is not in the model's vocabulary/,
  );
  assertThrows(() => encode(vocab, "a🐍"), /"🐍" \(U\+1F40D\)/);
  assertThrows(() => encode(vocab, "aराम"), /"र" \(U\+0930\)/);
  let error: unknown;
  try {
    encode(vocab, "x");
  } catch (e) {
    error = e;
  }
  assertOk(error instanceof RangeError, "a RangeError");
  assertOk(/use only characters from the training text/.test(error.message));
});

Deno.test("describeChar formats control, BMP and astral characters", () => {
  assertEquals(describeChar("\n"), '"\\n" (U+000A)');
  assertEquals(describeChar("\t"), '"\\t" (U+0009)');
  assertEquals(describeChar("म"), '"म" (U+092E)');
  assertEquals(describeChar("🎵"), '"🎵" (U+1F3B5)');
});

Deno.test("vocabFromChars rebuilds a vocabulary and rejects bad entries", () => {
  const v = buildVocab(SANSKRIT + EMOJI);
  const again = vocabFromChars(v.chars);
  assertEquals(again.chars, v.chars);
  assertEquals([...again.charToIndex], [...v.charToIndex]);
  assertThrows(
    () => vocabFromChars(["a", "bc"]),
    /Invalid vocabulary entry "bc": expected one character/,
  );
  assertThrows(() => vocabFromChars(["a", ""]), /Invalid vocabulary entry ""/);
  assertThrows(() => vocabFromChars(["a", "b", "a"]), /character "a" appears twice/);
  assertEquals(vocabFromChars(["🐍"]).chars, ["🐍"]); // one code point, two UTF-16 units
});

Deno.test("encode returns an Int32Array and decode accepts any index list", () => {
  const v = buildVocab("xyz");
  const ids = encode(v, "zyx");
  assertOk(ids instanceof Int32Array);
  assertEquals(decode(v, [2, 1, 0]), "zyx");
  assertEquals(decode(v, Int32Array.of(0, 0)), "xx");
  assertEquals(encode(v, "").length, 0);
});
