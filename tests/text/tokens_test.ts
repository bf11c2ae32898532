// Symbols as code points or as grapheme clusters (aksharas): splitting, vocabularies, priming,
// names, copied spans, scores per code point, and checkpoints that keep the mode.
import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { copyReport } from "../../lib/generate/novelty.ts";
import { generateNames } from "../../lib/generate/names.ts";
import { sample } from "../../lib/generate/sample.ts";
import { scoreText } from "../../lib/generate/score.ts";
import { tracePassage } from "../../lib/generate/inspect.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../lib/io/checkpoint.ts";
import { createModel } from "../../lib/model/create.ts";
import { namesToText } from "../../lib/text/names.ts";
import { sanskritNames } from "../../lib/text/sanskrit_names.ts";
import { codePointCount, splitSymbols, TOKEN_MODES } from "../../lib/text/tokens.ts";
import {
  buildVocab,
  codePointsOf,
  decode,
  encode,
  symbolsOf,
  type Vocab,
  vocabFromChars,
} from "../../lib/text/vocab.ts";
import { makeConfig } from "../../lib/train/config.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { needs } from "../permissions.ts";

const NAMES = sanskritNames();
const TEXT = namesToText(NAMES);
const f64 = () => createBackend({ kind: "f64" });

function modelFor(vocab: Vocab) {
  return createModel({ cell: "rnn", vocabSize: vocab.chars.length, hiddenSize: 8 }, new Rng(1), {
    backend: f64(),
  });
}

Deno.test("graphemes: a conjunct with its vowel sign is one symbol; joined they give the text", () => {
  assertEquals(splitSymbols("लक्ष्मण", "graphemes"), ["ल", "क्ष्म", "ण"]);
  assertEquals(splitSymbols("लक्ष्मण"), ["ल", "क", "्", "ष", "्", "म", "ण"]);
  assertEquals(splitSymbols("क्षि", "graphemes"), ["क्षि"]); // क + ् + ष + ि
  for (const mode of TOKEN_MODES) assertEquals(splitSymbols(TEXT, mode).join(""), TEXT);
  assertEquals(splitSymbols("e\u0301🐍", "graphemes"), ["e\u0301", "🐍"]);
  assertThrows(() => splitSymbols("a", "words" as never), /Unknown token mode "words"/);
});

Deno.test("a grapheme vocabulary: fewer symbols in the text, more in the vocabulary, same text", () => {
  const points = buildVocab(TEXT), graphemes = buildVocab(TEXT, { tokens: "graphemes" });
  assertEquals([points.tokens, graphemes.tokens], [undefined, "graphemes"]);
  const p = encode(points, TEXT), g = encode(graphemes, TEXT);
  console.log(
    `names: ${p.length} code points (${points.chars.length} distinct), ` +
      `${g.length} grapheme clusters (${graphemes.chars.length} distinct)`,
  );
  assertOk(g.length < 0.7 * p.length, "aksharas hold several code points");
  assertOk(graphemes.chars.length > 4 * points.chars.length);
  assertEquals(decode(graphemes, g), TEXT);
  assertEquals(codePointsOf(graphemes, g), codePointCount(TEXT));
  assertEquals(codePointsOf(points, p), p.length);
  graphemes.chars.forEach((ch, i) => {
    assertEquals(splitSymbols(ch, "graphemes").length, 1, `entry ${i} is one cluster`);
    assertEquals(graphemes.charToIndex.get(ch), i);
  });
  const sorted = [...graphemes.chars].sort((a, b) => (a < b ? -1 : 1)); // BMP only: units = points
  assertEquals(graphemes.chars, sorted);
});

Deno.test("vocabFromChars checks entries against the token mode", () => {
  assertThrows(() => vocabFromChars(["कि"]), /"कि": expected one character/);
  assertThrows(
    () => vocabFromChars(["कि", "कि"], { tokens: "graphemes" }),
    /"कि" appears twice/,
  );
  assertThrows(
    () => vocabFromChars(["किता"], { tokens: "graphemes" }),
    /expected one grapheme cluster/,
  );
  assertEquals(vocabFromChars(["कि", "ता"], { tokens: "graphemes" }).charToIndex.get("ता"), 1);
});

Deno.test("primes, prefixes, traces and copied spans split into the vocabulary's symbols", () => {
  const vocab = buildVocab(TEXT, { tokens: "graphemes" });
  const model = modelFor(vocab);
  const text = sample(model, vocab, { prime: "लक्ष्मी", length: 5, rng: new Rng(2) });
  assertEquals(symbolsOf(vocab, text).length <= 5 || text.includes("\n"), true);
  // "्" alone is a code point of the text, but no grapheme cluster of it
  assertThrows(
    () => sample(model, vocab, { prime: "क्", length: 1, rng: new Rng(2) }),
    /"क्" \(U\+0915 U\+094D\), which is not in the model's vocabulary/,
  );
  const names = generateNames(model, vocab, {
    count: 6,
    rng: new Rng(3),
    prefix: "श्री",
    maxLength: 3,
  });
  for (const name of names) {
    assertOk(name.startsWith("श्री"));
    assertOk(symbolsOf(vocab, name).length <= 3, `${name}: at most 3 aksharas`);
  }
  const trace = tracePassage(model, vocab, "सीता");
  assertEquals(trace.chars, ["सी", "ता"]);
  const copied = copyReport("सीताराम", encode(vocab, "\nसीता\n"), vocab, { n: 2 });
  assertEquals([copied.longestCopied, copied.longestCopiedText, copied.ngrams], [2, "सीता", 3]);
});

Deno.test("scores per code point agree across token modes for the same text", () => {
  const text = NAMES.slice(0, 40).join("\n");
  for (const tokens of TOKEN_MODES) {
    const vocab = buildVocab(text, { tokens });
    const score = scoreText(modelFor(vocab), vocab, text);
    const symbols = symbolsOf(vocab, text);
    assertEquals(score.predicted, symbols.length - 1);
    assertEquals(score.predictedCodePoints, codePointCount(symbols.slice(1).join("")));
    assertClose(
      score.bitsPerCodePoint * score.predictedCodePoints,
      score.bits * score.predicted,
      1e-9,
    );
    if (tokens === "codepoints") assertEquals(score.bitsPerCodePoint, score.bits);
    else assertOk(score.bitsPerCodePoint < score.bits);
  }
});

Deno.test("checkpoints keep the token mode; files without one load as code points", {
  ignore: needs("read"),
}, () => {
  const vocab = buildVocab(TEXT, { tokens: "graphemes" });
  const model = modelFor(vocab);
  const config = makeConfig({ hiddenSize: 8, batchSize: 1 }); // tokens left at the default
  const bytes = encodeCheckpoint({
    model,
    vocab,
    config,
    optimizer: createOptimizer("adam", model.params, { backend: model.backend }),
    step: 3,
    position: 0,
    state: model.initialState(1),
    smoothLoss: 1,
    rng: new Rng(2).getState(),
    corpus: "names",
    bestValLoss: null,
  });
  const back = decodeCheckpoint(bytes, { backend: f64() });
  assertEquals([back.vocab.tokens, back.config.tokens], ["graphemes", "graphemes"]);
  assertEquals(back.vocab.chars, vocab.chars);
  assertEquals(
    sample(back.model, back.vocab, { prime: "गो", length: 20, rng: new Rng(4) }),
    sample(model, vocab, { prime: "गो", length: 20, rng: new Rng(4) }),
  );
  const v1 = decodeCheckpoint(
    Deno.readFileSync(new URL("../fixtures/v1_rnn.safetensors", import.meta.url)),
    { backend: f64() },
  );
  assertEquals([v1.vocab.tokens, v1.config.tokens], [undefined, "codepoints"]);
});
