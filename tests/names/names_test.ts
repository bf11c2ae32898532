// The name generator's parts: held-out names and reshuffled epochs, the bigram baseline against
// a hand count, the recipe's choices, drawing (the same seed gives the same names, prefixes,
// lengths, copies left out), the figures, and the run folder.
import { assertClose, assertEquals, assertOk, assertRejects, assertThrows } from "../assert.ts";
import { Rng } from "../../lib/core/rng.ts";
import { bigramBitsPerCodePoint } from "../../lib/names/bigram.ts";
import { drawNames } from "../../lib/names/draw.ts";
import { namesRecipe, SHORT_LIST_SYMBOLS, SYMBOL_BUDGET } from "../../lib/names/recipe.ts";
import { nameStats } from "../../lib/names/report.ts";
import { loadNamesRun, NAMES_FILE, saveNamesRun } from "../../lib/names/run_folder.ts";
import { epochIds, splitNames } from "../../lib/names/split.ts";
import { trainNames } from "../../lib/names/train.ts";
import type { CharModel } from "../../lib/model/char_model.ts";
import { createModel } from "../../lib/model/create.ts";
import { makeConfig, modelConfigOf } from "../../lib/train/config.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { Trainer } from "../../lib/train/trainer.ts";
import { englishFirstNames, namesToText } from "../../lib/text/names.ts";
import { sanskritNames } from "../../lib/text/sanskrit_names.ts";
import { buildVocab, decode, type Vocab } from "../../lib/text/vocab.ts";
import { needs } from "../permissions.ts";

/** Twelve names we made up, to learn by heart. */
const FEW = ["Alvo", "Brisa", "Cato", "Dessa", "Elun", "Farro", "Gilda", "Hesper", "Ivo", "Jorna"]
  .concat(["Kelm", "Lissa"]);

/** A model that has learnt {@linkcode FEW} by heart: a GRU trained on it, nothing held out. */
const learnt: Promise<{ model: CharModel; vocab: Vocab }> = (async () => {
  const vocab = buildVocab(namesToText(FEW));
  const config = makeConfig({ cell: "gru", hiddenSize: 48, seqLength: 16, batchSize: 8 });
  const train = epochIds(FEW, vocab, { epochs: 200, rng: new Rng(1) });
  const model = createModel(modelConfigOf(config, vocab.chars.length), new Rng(2));
  const optimizer = createOptimizer("adam", model.params, { backend: model.backend });
  const data = { train, val: train.subarray(0, 0) };
  const trainer = new Trainer(model, { vocab, data, config: { ...config, steps: 600 }, optimizer });
  await trainer.train();
  return { model, vocab };
})();

Deno.test("names: held-out names are chosen at random and never train", () => {
  const names = englishFirstNames();
  const { train, heldOut } = splitNames(names, 842, new Rng(1));
  assertEquals([train.length, heldOut.length], [names.length - 842, 842]);
  const trained = new Set(train);
  assertOk(heldOut.every((n) => !trained.has(n)));
  // not the end of the (sorted) list: its held-out names start with many letters
  assertOk(new Set(heldOut.map((n) => n[0])).size > 15, heldOut.slice(0, 9).join(" "));
  assertThrows(() => splitNames(["Ada"], 1, new Rng(1)), /Cannot hold out 1 of 1 names/);
});

Deno.test("names: every epoch holds each training name once, in a new order", () => {
  const names = sanskritNames().slice(0, 30);
  const vocab = buildVocab("\n" + names.join(""), { tokens: "graphemes" });
  const text = decode(vocab, epochIds(names, vocab, { epochs: 3, rng: new Rng(2) }));
  const read = text.slice(1, -1).split("\n");
  const epochs = [0, 1, 2].map((e) => read.slice(30 * e, 30 * (e + 1)));
  assertEquals(read.length, 90);
  for (const epoch of epochs) assertEquals([...epoch].sort(), [...names].sort());
  assertOk(epochs[0]!.join() !== epochs[1]!.join() && epochs[1]!.join() !== epochs[2]!.join());
});

Deno.test("names: the bigram baseline matches a hand count (Witten-Bell)", () => {
  // "\nab\n": p(b | \n) = (0 + 1 * 2/7) / (1 + 1) = 1/7; p(\n | b) = (1 + 1 * 3/7) / 2 = 5/7
  const expected = (Math.log2(7) + Math.log2(7 / 5)) / 2;
  assertClose(bigramBitsPerCodePoint(["ab"], ["b"]), expected, 1e-12);
});

Deno.test("names: the recipe picks symbols, model and epochs from the list", () => {
  const sanskrit = namesRecipe(sanskritNames());
  assertEquals(sanskrit.config.tokens, "graphemes");
  assertEquals([sanskrit.config.hiddenSize, sanskrit.config.norm], [64, "layer"]);
  assertEquals(sanskrit.heldOut, Math.round(sanskritNames().length / 10));
  const english = namesRecipe(englishFirstNames());
  assertEquals([english.config.tokens, english.config.hiddenSize], ["codepoints", 128]);
  const symbols = english.config.steps * english.config.batchSize * english.config.seqLength;
  assertOk(symbols <= SYMBOL_BUDGET && symbols > 0.9 * SYMBOL_BUDGET, `${symbols} symbols`);
  assertOk(english.epochs * SHORT_LIST_SYMBOLS > 0 && english.evalEvery <= 100);
  assertEquals(namesRecipe(sanskritNames(), { tokens: "codepoints" }).config.tokens, "codepoints");
  assertThrows(() => namesRecipe([]), /has 0 distinct names; .* at least 10/);
});

Deno.test("names: drawing keeps no copies or repeats unless asked, and repeats per seed", async () => {
  const { model, vocab } = await learnt;
  const copies = drawNames(model, vocab, { count: 40, seed: 1, list: FEW, allowCopies: true });
  const copied = copies.kept.filter((d) => !d.new).length;
  assertOk(copied >= 20, `a model that learnt the list by heart writes it: ${copied} of 40`);
  const fresh = drawNames(model, vocab, { count: 10, seed: 1, list: FEW });
  assertEquals(fresh.kept.length, 10);
  assertOk(fresh.kept.every((d) => d.new && !FEW.includes(d.name) && d.logProb < 0));
  assertEquals(new Set(fresh.kept.map((d) => d.name)).size, 10);
  assertEquals(drawNames(model, vocab, { count: 10, seed: 1, list: FEW }), fresh);
  const other = drawNames(model, vocab, { count: 10, seed: 2, list: FEW });
  assertOk(other.kept.map((d) => d.name).join() !== fresh.kept.map((d) => d.name).join());
});

Deno.test("names: a prefix starts every name; lengths stay in the range", async () => {
  const { model, vocab } = await learnt;
  const options = { count: 12, seed: 3, list: FEW, prefix: "Ke", minLength: 4, maxLength: 6 };
  const { kept, drawn } = drawNames(model, vocab, { ...options, allowCopies: true });
  assertEquals(kept.length, 12);
  assertOk(kept.every((d) => d.name.startsWith("Ke") && d.name.length >= 4 && d.name.length <= 6));
  assertOk(drawn.length >= kept.length);
  assertThrows(
    () => drawNames(model, vocab, { ...options, prefix: "Q" }),
    /prefix character "Q" \(U\+0051\) never occurs/,
  );
  assertThrows(() => drawNames(model, vocab, { ...options, minLength: 7 }), /length range 7 to 6/);
});

Deno.test("names: figures of drawn names, well formed for a Devanagari list", () => {
  const stats = nameStats(["गंगा", "गंगा", "ाका", "सुधा"], sanskritNames());
  assertEquals(stats, { drawn: 4, newShare: 0.25, distinctShare: 0.75, wellFormedShare: 0.75 });
});

Deno.test("names: a run folder saves the model and its list, and loads back", {
  ignore: needs("read", "write"),
}, async () => {
  const recipe = namesRecipe(FEW, { seed: 5, overrides: { epochs: 40 } });
  const trained = await trainNames(FEW, { recipe });
  const dir = await Deno.makeTempDir({ prefix: "names_test_" });
  try {
    const path = await saveNamesRun(dir, trained, "few.txt");
    const run = await loadNamesRun(path);
    assertEquals([run.list, run.names.length, run.heldOut], ["few.txt", 12, trained.split.heldOut]);
    const options = { count: 5, seed: 9, list: FEW };
    assertEquals(
      drawNames(run.checkpoint.model, run.checkpoint.vocab, options),
      drawNames(trained.model, trained.vocab, options),
    );
    await Deno.writeTextFile(`${dir}/${NAMES_FILE}`, "{}");
    await assertRejects(() => loadNamesRun(path), /Invalid name list .*names.json/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
