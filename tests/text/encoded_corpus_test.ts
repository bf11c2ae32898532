// Corpora as users have them: several files, folders, a separate validation text, read in
// pieces and encoded in the smallest id type; the same text as loadCorpus + encode.
import { assertEquals, assertOk, assertRejects } from "../assert.ts";
import { loadCorpus } from "../../lib/text/corpus.ts";
import { readCorpus } from "../../lib/text/encoded_corpus.ts";
import { listTextFiles, readTextChunks } from "../../lib/text/text_files.ts";
import { buildVocab, decode, encode } from "../../lib/text/vocab.ts";
import { needs } from "../permissions.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "corpus_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a folder is its .txt files in name order, joined by one blank line", {
  ignore: needs("read", "write"),
}, async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/books`);
    await Deno.writeTextFile(`${dir}/books/b-second.txt`, "Second file.\r\nEnds with two.\n\n");
    await Deno.writeTextFile(`${dir}/books/a-first.txt`, "\uFEFFFirst file, no line end");
    await Deno.writeTextFile(`${dir}/books/c-third.TXT`, "Third.\n");
    await Deno.writeTextFile(`${dir}/books/readme.md`, "not a text file of the corpus");
    await Deno.mkdir(`${dir}/books/sub.txt`); // a folder named like a text is skipped
    const expected = "First file, no line end\n\nSecond file.\nEnds with two.\n\nThird.\n";
    const corpus = await readCorpus([`${dir}/books`]);
    assertEquals(decode(corpus.vocab, corpus.train), expected);
    assertEquals(corpus.name, "books");
    assertEquals(corpus.files.map((f) => f.slice(dir.length)), [
      "/books/a-first.txt",
      "/books/b-second.txt",
      "/books/c-third.TXT",
    ]);
    assertEquals((await loadCorpus(`${dir}/books`)).text, expected);
  });
});

Deno.test("several --corpus texts join like a folder; brown can be one of them", {
  ignore: needs("read", "write"),
}, async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/one.txt`, "alpha\n");
    await Deno.writeTextFile(`${dir}/two.txt`, "beta");
    const both = await readCorpus([`${dir}/two.txt`, `${dir}/one.txt`]);
    assertEquals(decode(both.vocab, both.train), "beta\n\nalpha\n");
    assertEquals(both.name, "two+one");
    const withBrown = await readCorpus([`${dir}/one.txt`, "brown"]);
    const text = decode(withBrown.vocab, withBrown.train);
    assertOk(text.startsWith("alpha\n\nNow that he knew himself"), text.slice(0, 40));
    assertEquals(withBrown.files, [`${dir}/one.txt`, "brown"]);
  });
});

Deno.test("readCorpus gives the ids of loadCorpus + buildVocab + encode, in the smallest type", {
  ignore: needs("read", "write"),
}, async () => {
  await withDir(async (dir) => {
    // 3 of 4 bytes per character in UTF-8, an astral emoji, CRLF line ends
    const hindi = "नमस्ते दुनिया।\r\nयह एक छोटा पाठ है। 🙂\r\n".repeat(40);
    await Deno.writeTextFile(`${dir}/hindi.txt`, hindi);
    const { text } = await loadCorpus(`${dir}/hindi.txt`);
    const vocab = buildVocab(text);
    // pieces of 7 bytes split characters, surrogate pairs' bytes and CRLFs between reads
    const corpus = await readCorpus([`${dir}/hindi.txt`], { chunkBytes: 7 });
    assertEquals(corpus.vocab.chars, vocab.chars);
    assertOk(corpus.train instanceof Uint8Array, corpus.train.constructor.name);
    assertEquals(Array.from(corpus.train), Array.from(encode(vocab, text)));

    // more than 256 characters: two bytes each; more than 65,536: four
    const wide = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join("");
    await Deno.writeTextFile(`${dir}/wide.txt`, wide);
    const two = await readCorpus([`${dir}/wide.txt`]);
    assertOk(two.train instanceof Uint16Array && two.train.length === 300);
    assertEquals(decode(two.vocab, two.train), wide);
    const huge = Array.from({ length: 70_000 }, (_, i) => String.fromCodePoint(0x20000 + i));
    await Deno.writeTextFile(`${dir}/huge.txt`, huge.join(""));
    const four = await readCorpus([`${dir}/huge.txt`]);
    assertOk(four.train instanceof Int32Array && four.train.length === 70_000);
    assertEquals(four.vocab.chars.length, 70_000);
  });
});

Deno.test("a separate validation text shares the vocabulary and reports progress", {
  ignore: needs("read", "write"),
}, async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/train.txt`, "abcabc\n".repeat(100));
    await Deno.writeTextFile(`${dir}/val.txt`, "cab\nxyz\n"); // x, y, z only in validation
    const seen: string[] = [];
    const corpus = await readCorpus([`${dir}/train.txt`], {
      val: `${dir}/val.txt`,
      chunkBytes: 64,
      onProgress: (p) => seen.push(`${p.phase} ${p.done}/${p.total}`),
    });
    assertEquals(corpus.vocab.chars.join(""), "\nabcxyz");
    assertEquals(decode(corpus.vocab, corpus.val!), "cab\nxyz\n");
    assertEquals(corpus.train.length, 700);
    assertEquals(seen.at(-1), "encode 708/708");
    assertOk(seen.includes("scan 708/708") && seen.length > 20, seen.join(", "));
    await assertRejects(
      () => readCorpus([`${dir}/train.txt`], { val: `${dir}/missing.txt` }),
      /^Error: Cannot read validation text ".*missing.txt": file not found; pass an existing UTF-8 text file or folder with --val-corpus PATH$/,
    );
  });
});

Deno.test("bad folders and files are refused with one line naming the file", {
  ignore: needs("read", "write"),
}, async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/empty-folder`);
    await Deno.writeTextFile(`${dir}/empty-folder/notes.md`, "no text here");
    await assertRejects(
      () => readCorpus([`${dir}/empty-folder`]),
      /Cannot read corpus ".*empty-folder": the folder has no .txt files; put .txt files in it, or pass/,
    );
    await Deno.mkdir(`${dir}/mixed`);
    await Deno.writeTextFile(`${dir}/mixed/a.txt`, "fine");
    await Deno.writeTextFile(`${dir}/mixed/b.txt`, " \r\n\t");
    await assertRejects(
      () => readCorpus([`${dir}/mixed`]),
      /Cannot read corpus ".*mixed\/b.txt": the file is empty/,
    );
    await Deno.writeFile(`${dir}/mixed/b.txt`, new Uint8Array([0x61, 0xff, 0x62]));
    await assertRejects(
      () => readCorpus([`${dir}/mixed`]),
      /Cannot read corpus ".*mixed\/b.txt": not valid UTF-8 text; convert it to UTF-8 first/,
    );
    await Deno.writeFile(`${dir}/mixed/b.txt`, new Uint8Array([0x61, 0xe0, 0xa4])); // cut short
    await assertRejects(() => readCorpus([`${dir}/mixed`]), /b.txt": not valid UTF-8 text/);
    await assertRejects(() => readCorpus([]), /no text given/);
  });
});

Deno.test("readTextChunks never yields more than about a piece at a time", {
  ignore: needs("read", "write"),
}, async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/long.txt`, "line of text\r\n".repeat(5000)); // 70,000 bytes
    let longest = 0, total = "";
    const sources = await listTextFiles(`${dir}/long.txt`);
    for await (const piece of readTextChunks(sources, { chunkBytes: 4096 })) {
      longest = Math.max(longest, piece.length);
      total += piece;
    }
    assertOk(longest <= 4096 + 2, `a piece of ${longest} characters`);
    assertEquals(total, "line of text\n".repeat(5000));
  });
});
