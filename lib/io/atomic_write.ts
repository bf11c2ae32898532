/**
 * Crash-safe file writes: write a temp file beside the target, fsync it, then rename it over the
 * target, so readers see either the old file or the complete new one, never a partial write.
 *
 * @module
 */
import { dirname } from "node:path";

/** Distinguishes temp files of concurrent writes from the same process. */
let tempCounter = 0;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Writes all of `bytes`, looping over partial writes. */
async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/** Best-effort fsync of a directory so the rename itself is durable; ignored where unsupported. */
async function syncDir(dir: string): Promise<void> {
  let handle: Deno.FsFile | undefined;
  try {
    handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // Some platforms cannot open or fsync a directory; the data itself is already synced.
  } finally {
    handle?.close();
  }
}

/**
 * Atomically replaces the file at `path` with `bytes`. The data goes to a uniquely named temp file
 * in the same directory (`${path}.tmp-${pid}-${n}`), is fsynced, and is then renamed over `path`.
 * Missing parent directories are created. If anything fails, the temp file is removed, the previous
 * file at `path` is left untouched, and an `Error` naming `path` is thrown (the original error is
 * its `cause`).
 *
 * @param path Target file path.
 * @param bytes The complete new contents.
 * @returns A promise that resolves once the new contents are in place.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/run/ckpt.bin`, new Uint8Array([1, 2, 3]));
 * assert.deepEqual(await Deno.readFile(`${dir}/run/ckpt.bin`), new Uint8Array([1, 2, 3]));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new Error(
      `Cannot write "${path}": cannot create directory "${dir}": ${describe(error)}`,
      { cause: error },
    );
  }
  const temp = `${path}.tmp-${Deno.pid}-${++tempCounter}`;
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(temp, { write: true, createNew: true });
    await writeAll(file, bytes);
    await file.sync();
    file.close();
    file = undefined;
    await Deno.rename(temp, path);
  } catch (error) {
    try {
      file?.close();
    } catch {
      // Already closed or unusable; removing the temp file below is what matters.
    }
    await Deno.remove(temp).catch(() => {});
    throw new Error(
      `Cannot write "${path}": ${describe(error)}; the previous file, if any, is unchanged`,
      { cause: error },
    );
  }
  await syncDir(dir);
}
