import { assertEquals, assertOk, assertRejects } from "../assert.ts";
import {
  BROWN_FICTION_CATEGORIES,
  brownToText,
  loadBrownCorpus,
  loadCorpus,
} from "../../lib/text/corpus.ts";
import { readCorpus } from "../../lib/text/encoded_corpus.ts";
import { decode } from "../../lib/text/vocab.ts";
import { needs } from "../permissions.ts";

Deno.test("brownToText strips tags at the last slash and spaces punctuation", () => {
  const tagged = "\tThe/at cat/nn ,/, tired/jj ,/, sat/vbd (/( slowly/rb )/) ;/. ;/.\n" +
    "then/rb it/pps slept/vbd :/: well/rb ?/. ?/.\n" +
    "and/or/cc $5/nns --/-- fine/jj-tl !/. !/.";
  assertEquals(
    brownToText(tagged),
    "The cat, tired, sat (slowly); then it slept: well? and/or $5 -- fine!",
  );
});

Deno.test("brownToText converts Brown quotes to straight double quotes", () => {
  const tagged = "He/pps said/vbd ,/, ``/`` Stop/vb ''/'' ./.\n" +
    "``/`` Why/wrb ''/'' ?/. ?/.\n" +
    "``/`` Fine/jj ''/'' ,/, she/pps said/vbd ./.";
  assertEquals(brownToText(tagged), 'He said, "Stop." "Why?" "Fine," she said.');
});

Deno.test("brownToText alternates single quotes and keeps possessives and clitics", () => {
  const tagged = "``/`` He/pps wrote/vbd '/' yes/rb '/' ''/'' ./. " +
    "the/at boys'/nns$ dog's/nn$ bone/nn isn't/bez* it/pps 's/bez gone/vbn ./.";
  assertEquals(brownToText(tagged), `"He wrote 'yes.'" the boys' dog's bone isn't it's gone.`);
});

Deno.test("brownToText keeps paragraphs and collapses whitespace", () => {
  const tagged = "\n\n\tOne/cd   ./.\n\tTwo/cd ./.  \n\n\n\tThree/cd ./.\r\n\r\n\tFour/cd ./.\n";
  assertEquals(brownToText(tagged), "One. Two.\n\nThree.\n\nFour.");
  assertEquals(brownToText(""), "");
});

Deno.test("loadBrownCorpus returns the fiction categories as plain text", {
  ignore: needs("read"),
}, async () => {
  assertEquals(BROWN_FICTION_CATEGORIES[0], "science_fiction");
  const text = await loadBrownCorpus();
  assertOk(text.length > 500_000, `only ${text.length} characters`);
  assertOk(!/\/(nn|vb|at|in|jj)\b/.test(text), "tags left in the text");
  assertOk(!text.includes("``") && !text.includes("''"), "Brown quotes left in the text");
  assertOk(text.startsWith("Now that he knew himself to be self"), text.slice(0, 80));
  assertOk(text.includes("\n\n") && !text.includes("\n\n\n"));
});

Deno.test("loadBrownCorpus honours the category order and rejects unknown ones", {
  ignore: needs("read"),
}, async () => {
  const humor = await loadBrownCorpus({ categories: ["humor"] });
  const both = await loadBrownCorpus({ categories: ["humor", "science_fiction"] });
  assertOk(both.startsWith(humor + "\n\n"));
  await assertRejects(
    () => loadBrownCorpus({ categories: ["poetry"] }),
    /Unknown Brown category "poetry": use one of .*science_fiction/,
  );
  await assertRejects(() => loadBrownCorpus({ categories: [] }), /no category given/);
});

Deno.test("brown:CATEGORY,... names chosen Brown categories, in that order", {
  ignore: needs("read"),
}, async () => {
  const expected = await loadBrownCorpus({ categories: ["humor", "romance"] });
  const corpus = await loadCorpus("brown:humor,romance");
  assertEquals(corpus.name, "brown-humor-romance");
  assertOk(corpus.text === expected, "the same text as loadBrownCorpus");
  const encoded = await readCorpus(["brown:humor,romance"]);
  assertOk(decode(encoded.vocab, encoded.train) === expected, "and the chunked reader agrees");
  await assertRejects(() => loadCorpus("brown:poetry"), /Unknown Brown category "poetry"/);
});

Deno.test("loadCorpus brown gives the bundled corpus", { ignore: needs("read") }, async () => {
  const corpus = await loadCorpus("brown");
  assertEquals(corpus.name, "brown");
  assertOk(corpus.text.length > 500_000);
});

Deno.test("loadCorpus reads UTF-8 files, strips a BOM and normalises line ends", {
  ignore: needs("read", "write"),
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const crlf = `${dir}/notes.v2.txt`;
    await Deno.writeTextFile(crlf, "\uFEFFline one\r\nline two\rline three\r\n");
    assertEquals(await loadCorpus(crlf), {
      text: "line one\nline two\nline three\n",
      name: "notes.v2",
    });
    const hindi = "नमस्ते दुनिया।\nयह एक छोटा पाठ है।\n";
    const devanagari = `${dir}/hindi`;
    await Deno.writeTextFile(devanagari, hindi);
    assertEquals(await loadCorpus(devanagari), { text: hindi, name: "hindi" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCorpus explains missing, non-UTF-8 and empty files, and text-less folders", {
  ignore: needs("read", "write"),
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fix =
      /; (put .txt files in it, or )?pass an existing UTF-8 text file or folder with --corpus PATH, or --corpus brown$/;
    const cases = [[`${dir}/nope.txt`, "file not found"], [dir, "the folder has no .txt files"]];
    for (const [path, problem] of cases) {
      await assertRejects(() => loadCorpus(path!), new RegExp(problem!));
      await assertRejects(() => loadCorpus(path!), fix);
    }
    const latin1 = `${dir}/latin1.txt`;
    await Deno.writeFile(latin1, new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1
    await assertRejects(
      () => loadCorpus(latin1),
      /^Error: Cannot read corpus ".*latin1.txt": not valid UTF-8 text; convert it/,
    );
    const empty = `${dir}/empty.txt`;
    await Deno.writeTextFile(empty, "\uFEFF \r\n");
    await assertRejects(() => loadCorpus(empty), /the file is empty; pass an existing/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "loadCorpus explains an unreadable file",
  ignore: Deno.build.os === "windows" || needs("read", "write", "sys") ||
    Deno.uid() === 0, // root reads any file
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const locked = `${dir}/locked.txt`;
      await Deno.writeTextFile(locked, "secret");
      await Deno.chmod(locked, 0o000);
      await assertRejects(() => loadCorpus(locked), /permission denied; pass an existing/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("loadCorpus explains a missing --allow-read in one line", {
  ignore: needs("read", "write", "run"),
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/probe.ts`;
    const corpusUrl = new URL("../../lib/text/corpus.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { loadCorpus } from "${corpusUrl}";\n` +
        `try { await loadCorpus("${dir}/x.txt"); } catch (e) { console.log((e as Error).message); }\n`,
    );
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--config", config, script],
      stdout: "piped",
      stderr: "null",
    }).output();
    const message = new TextDecoder().decode(stdout).trim();
    assertEquals(
      message,
      `Cannot read corpus "${dir}/x.txt": no read permission; run deno with --allow-read`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
