// The recipe on the bundled lists: 300 names drawn at the default temperature (copies kept) are
// at least 90% new and distinct, the Devanagari ones at least 98% well formed, and the held-out
// names score better than the bigram baseline. The Sanskrit list trains with the full recipe
// (a few seconds); the English one with 6 of its 23 epochs, to keep the suite short (the full
// recipe's figures, from `deno task names`, are in docs/names.md). The short Sanskrit list is
// stopped by its held-out names, and the model returned holds the weights that scored best.
import { assertClose, assertEquals, assertOk } from "../assert.ts";
import { scoreText } from "../../lib/generate/score.ts";
import { drawNames } from "../../lib/names/draw.ts";
import { namesRecipe, type NamesRecipeOptions } from "../../lib/names/recipe.ts";
import { formatNamesSummary, nameStats } from "../../lib/names/report.ts";
import { trainNames } from "../../lib/names/train.ts";
import { NAME_LISTS, type NameListName, namesToText } from "../../lib/text/names.ts";

async function check(list: NameListName, options: NamesRecipeOptions = {}): Promise<void> {
  const names = NAME_LISTS[list]();
  const recipe = namesRecipe(names, options);
  const trained = await trainNames(names, { recipe });
  const { kept } = drawNames(trained.model, trained.vocab, {
    count: 300,
    seed: 42,
    list: names,
    allowCopies: true, // the default temperature: NAME_TEMPERATURE
  });
  const stats = nameStats(kept.map((d) => d.name), names);
  const { heldOut, bigramBits } = trained;
  const line = formatNamesSummary(stats, { heldOutBits: heldOut.bitsPerCodePoint, bigramBits });
  assertOk(stats.newShare >= 0.9 && stats.distinctShare >= 0.9, line);
  assertOk(heldOut.bitsPerCodePoint < bigramBits, line);
  const rescored = scoreText(trained.model, trained.vocab, namesToText(trained.split.heldOut));
  assertClose(rescored.nats, heldOut.nats, 1e-9, "the model holds the weights that scored best");
  if (list !== "sanskrit") return;
  assertOk(stats.wellFormedShare! >= 0.98, line);
  const { result, bestStep } = trained;
  assertOk(result.stoppedEarly, `not stopped by the held-out names: ${result.steps} steps`);
  assertEquals(result.steps - bestStep, recipe.patience * recipe.evalEvery);
}

Deno.test("recipe: Sanskrit names in Devanagari: new, distinct, well formed, beat the bigram", async () => {
  await check("sanskrit");
});

Deno.test("recipe: English first names (6 epochs): new, distinct, beat the bigram", async () => {
  await check("english", { overrides: { epochs: 6 } });
});
