// The recipe on the bundled lists: 300 names drawn at the default temperature (copies kept) are
// at least 90% new and distinct, the Devanagari ones at least 98% well formed, and the held-out
// names score better than the bigram baseline. The Sanskrit list trains with the full recipe
// (a few seconds); the English one with 6 of its 22 epochs, to keep the suite short (the full
// recipe's figures, from `deno task names`, are in docs/names.md).
import { assertOk } from "../assert.ts";
import { drawNames } from "../../lib/names/draw.ts";
import { namesRecipe, type NamesRecipeOptions } from "../../lib/names/recipe.ts";
import { formatNamesSummary, nameStats } from "../../lib/names/report.ts";
import { trainNames } from "../../lib/names/train.ts";
import { NAME_LISTS, type NameListName } from "../../lib/text/names.ts";

async function check(list: NameListName, options: NamesRecipeOptions = {}): Promise<void> {
  const names = NAME_LISTS[list]();
  const trained = await trainNames(names, { recipe: namesRecipe(names, options) });
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
  if (list === "sanskrit") assertOk(stats.wellFormedShare! >= 0.98, line);
}

Deno.test("recipe: Sanskrit names in Devanagari: new, distinct, well formed, beat the bigram", async () => {
  await check("sanskrit");
});

Deno.test("recipe: English first names (6 epochs): new, distinct, beat the bigram", async () => {
  await check("english", { overrides: { epochs: 6 } });
});
