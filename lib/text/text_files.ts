/**
 * Reading texts the way users have them: a UTF-8 file, a folder of `.txt` files, or several of
 * either, read in pieces of a few megabytes so that a large file is never held whole, neither
 * as bytes nor as one string.
 *
 * Every file is normalised the same way: its byte-order mark is removed and CRLF (or a lone CR)
 * becomes LF. Several files are joined by one blank line: each file but the last loses its
 * trailing line breaks, then `"\n\n"` separates it from the next.
 *
 * @module
 */

/** The usual fix for an unreadable corpus. */
export const CORPUS_FIX =
  "pass an existing UTF-8 text file or folder with --corpus PATH, or --corpus brown";

/** One text to read: a file (read in pieces), or a text already in memory. */
export type TextSource =
  | {
    /** A file. */
    readonly kind: "file";
    /** Its path. */
    readonly path: string;
    /** Its size in bytes (for progress). */
    readonly bytes: number;
  }
  | {
    /** A text in memory (the bundled corpus). */
    readonly kind: "text";
    /** Its name, for messages. */
    readonly path: string;
    /** The text, already normalised. */
    readonly text: string;
    /** Its length in UTF-16 units (for progress). */
    readonly bytes: number;
  };

/** How messages name a text and its fix (`--corpus` by default). */
export interface TextLabel {
  /** What the text is, e.g. `corpus` or `validation text`. */
  readonly what: string;
  /** The fix after the problem. */
  readonly fix: string;
}

/** The label of training corpora. */
export const CORPUS_LABEL: TextLabel = { what: "corpus", fix: CORPUS_FIX };

/**
 * The files a path names: the file itself, or the `.txt` files directly inside a folder, sorted
 * by name.
 *
 * @param spec A file or folder path.
 * @param label How messages name it (default: a corpus, fixed with `--corpus`).
 * @returns The files with their sizes.
 * @throws {Error} one line naming the path, the problem and the fix: missing, no read
 * permission, or a folder without `.txt` files.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/b.txt`, "two");
 * await Deno.writeTextFile(`${dir}/a.txt`, "one");
 * await Deno.writeTextFile(`${dir}/notes.md`, "skipped");
 * const files = await listTextFiles(dir);
 * assert.deepEqual(files.map((f) => f.path.slice(dir.length)), ["/a.txt", "/b.txt"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function listTextFiles(
  spec: string,
  label: TextLabel = CORPUS_LABEL,
): Promise<TextSource[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(spec);
  } catch (error) {
    throw readError(spec, error, label);
  }
  if (!info.isDirectory) return [{ kind: "file", path: spec, bytes: info.size }];
  const files: TextSource[] = [];
  try {
    for await (const entry of Deno.readDir(spec)) {
      if (!/\.txt$/i.test(entry.name)) continue;
      const path = joinPath(spec, entry.name);
      const stat = await Deno.stat(path);
      if (stat.isFile) files.push({ kind: "file", path, bytes: stat.size });
    }
  } catch (error) {
    throw readError(spec, error, label);
  }
  if (files.length === 0) {
    throw textError(
      spec,
      "the folder has no .txt files",
      label,
      `put .txt files in it, or ${label.fix}`,
    );
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Options of {@linkcode readTextChunks}. */
export interface ReadChunksOptions {
  /** Bytes read per piece (default 8 MiB). */
  chunkBytes?: number;
  /** Called after each piece with the bytes (or in-memory characters) it consumed. */
  onBytes?: (bytes: number) => void;
  /** How messages name the texts. */
  label?: TextLabel;
}

/**
 * The normalised, joined text of several sources, as a sequence of strings of at most a few
 * million characters (their concatenation is the whole text).
 *
 * @param sources Files and texts in order.
 * @param options Piece size, progress callback, message label.
 * @returns The pieces.
 * @throws {Error} one line naming the file when it cannot be read, is not valid UTF-8 or holds
 * only white space.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "\uFEFFone\r\n\r\n");
 * await Deno.writeTextFile(`${dir}/b.txt`, "two\rthree\n");
 * let text = "";
 * for await (const piece of readTextChunks(await listTextFiles(dir))) text += piece;
 * assert.equal(text, "one\n\ntwo\nthree\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function* readTextChunks(
  sources: readonly TextSource[],
  options: ReadChunksOptions = {},
): AsyncGenerator<string> {
  const { chunkBytes = 8 << 20, onBytes, label = CORPUS_LABEL } = options;
  for (let k = 0; k < sources.length; k++) {
    const source = sources[k]!;
    const joiner = new LineJoiner();
    if (source.kind === "text") {
      const out = joiner.push(source.text);
      onBytes?.(source.bytes);
      if (out !== "") yield out;
    } else {
      yield* readFilePieces(source.path, { chunkBytes, onBytes, label, joiner });
    }
    if (!joiner.nonEmpty) {
      throw textError(source.path, "the file is empty", label);
    }
    yield k + 1 < sources.length ? "\n\n" : joiner.end();
  }
}

/** The pieces of one file, decoded and normalised. */
async function* readFilePieces(
  path: string,
  options: {
    chunkBytes: number;
    onBytes?: (n: number) => void;
    label: TextLabel;
    joiner: LineJoiner;
  },
): AsyncGenerator<string> {
  const { chunkBytes, onBytes, label, joiner } = options;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw readError(path, error, label);
  }
  const decoder = new TextDecoder("utf-8", { fatal: true }); // removes a leading BOM
  const buffer = new Uint8Array(chunkBytes);
  const notUtf8 = () =>
    textError(path, "not valid UTF-8 text", label, `convert it to UTF-8 first, or ${label.fix}`);
  try {
    for (;;) {
      let n: number | null;
      try {
        n = await file.read(buffer);
      } catch (error) {
        throw readError(path, error, label);
      }
      if (n === null) break;
      let piece: string;
      try {
        piece = decoder.decode(buffer.subarray(0, n), { stream: true });
      } catch {
        throw notUtf8();
      }
      const out = joiner.push(piece);
      onBytes?.(n);
      if (out !== "") yield out;
    }
    let last: string;
    try {
      last = decoder.decode();
    } catch {
      throw notUtf8();
    }
    const out = joiner.push(last);
    if (out !== "") yield out;
  } finally {
    file.close();
  }
}

/**
 * Normalises line ends piece by piece (a CR at the end of one piece and an LF at the start of
 * the next are one line end) and holds back the trailing line breaks, so the caller decides
 * whether the file's end keeps them.
 */
class LineJoiner {
  /** Whether a character other than white space was seen. */
  nonEmpty = false;
  #afterCR = false; // the previous piece ended with CR
  #held = 0; // trailing LFs not yet passed on

  /** The normalised text of a piece, without its trailing line breaks (held back). */
  push(piece: string): string {
    if (this.#afterCR && piece.charCodeAt(0) === 10) piece = piece.slice(1);
    this.#afterCR = false;
    if (piece === "") return "";
    this.#afterCR = piece.charCodeAt(piece.length - 1) === 13;
    const text = piece.includes("\r") ? piece.replace(/\r\n?/g, "\n") : piece;
    if (!this.nonEmpty && text.trim() !== "") this.nonEmpty = true;
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 10) end--;
    if (end === 0) {
      this.#held += text.length;
      return "";
    }
    const out = (this.#held > 0 ? "\n".repeat(this.#held) : "") + text.slice(0, end);
    this.#held = text.length - end;
    return out;
  }

  /** The held-back line breaks, for the last file of a text. */
  end(): string {
    return "\n".repeat(this.#held);
  }
}

/** `dir/name` with one separator. */
function joinPath(dir: string, name: string): string {
  return /[\\/]$/.test(dir) ? dir + name : `${dir}/${name}`;
}

/**
 * A one-line error: `Cannot read corpus "path": problem; fix`.
 *
 * @param path The text's path.
 * @param problem What is wrong.
 * @param label How to name the text.
 * @param fix The fix (default: the label's).
 * @returns The error.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.match(textError("x.txt", "the file is empty").message, /^Cannot read corpus "x.txt": the file is empty; pass/);
 * ```
 */
export function textError(
  path: string,
  problem: string,
  label: TextLabel = CORPUS_LABEL,
  fix: string = label.fix,
): Error {
  return new Error(`Cannot read ${label.what} "${path}": ${problem}; ${fix}`);
}

/** The error for a failed stat, open or read, naming the problem. */
function readError(path: string, error: unknown, label: TextLabel): Error {
  if (error instanceof Deno.errors.NotCapable) {
    return textError(path, "no read permission", label, "run deno with --allow-read");
  }
  const problem = error instanceof Deno.errors.NotFound
    ? "file not found"
    : error instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : error instanceof Deno.errors.IsADirectory
    ? "it is a directory"
    : error instanceof Error
    ? error.message
    : String(error);
  return textError(path, problem, label);
}
