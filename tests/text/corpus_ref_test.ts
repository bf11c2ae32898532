// A checkpoint's corpus reference: one path as before, or JSON for several texts and a separate
// validation text; read back in the checkpoint's symbols and split as the run split them.
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { formatCorpusRef, parseCorpusRef, readCorpusRef } from "../../lib/text/corpus_ref.ts";
import { readCorpus } from "../../lib/text/encoded_corpus.ts";
import { buildVocab } from "../../lib/text/vocab.ts";
import { needs } from "../permissions.ts";

const ignore = needs("read", "write");
const dir = ignore ? "" : await Deno.makeTempDir({ prefix: "corpus_ref_test_" });
globalThis.addEventListener("unload", () => ignore || Deno.removeSync(dir, { recursive: true }));
const [a, b, v] = ["a.txt", "b.txt", "v.txt"].map((f) => join(dir, f));
if (!ignore) await Deno.writeTextFile(a!, "the red hen ran\n");
if (!ignore) await Deno.writeTextFile(b!, "a hen and a fox\n");
if (!ignore) await Deno.writeTextFile(v!, "the fox ran\n");

Deno.test("several texts and a validation text come back as the run read them", {
  ignore,
}, async () => {
  const ref = formatCorpusRef({ train: [a!, b!], val: v });
  assertEquals(parseCorpusRef(ref), { train: [a, b], val: v });
  const run = await readCorpus([a!, b!], { val: v });
  const back = await readCorpusRef(ref, run.vocab, 0.1);
  assertEquals([Array.from(back.train), Array.from(back.val)], [
    Array.from(run.train),
    Array.from(run.val!),
  ]);
});

Deno.test("one text is split by valFraction; ids follow the checkpoint's vocabulary", {
  ignore,
}, async () => {
  const vocab = buildVocab("xthe redhnaofxz\n"); // another order, and symbols the text lacks
  const { train, val } = await readCorpusRef(formatCorpusRef({ train: [a!] }), vocab, 0.25);
  const ids = [..."the red hen ran\n"].map((ch) => vocab.charToIndex.get(ch)!);
  assertEquals([Array.from(train), Array.from(val)], [ids.slice(0, 12), ids.slice(12)]);
  const small = buildVocab("the rdn\n"); // lacks "a": it becomes -1
  const got = await readCorpusRef(a!, small, 0);
  assertEquals(Array.from(got.train).filter((id) => id === -1).length, 1);
});
