/**
 * Reading a file the user named, with one error line that says what could not be read, why in
 * plain words, and what to pass instead.
 *
 * @module
 */

/**
 * Reads a whole file.
 *
 * @param path The file.
 * @param what What the file should be, e.g. `checkpoint`.
 * @param hint What to do instead, appended after a semicolon (optional).
 * @returns The bytes.
 * @throws {Error} `Cannot read <what> "<path>": <why>[; <hint>]`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * await assert.rejects(readUserFile("/no/such/file", "checkpoint", "train one first"), {
 *   message: 'Cannot read checkpoint "/no/such/file": file not found; train one first',
 * });
 * ```
 */
export async function readUserFile(path: string, what: string, hint?: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "file not found"
      : e instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : (e as Error).message;
    throw new Error(`Cannot read ${what} "${path}": ${why}${hint ? `; ${hint}` : ""}`);
  }
}
