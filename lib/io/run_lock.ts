/**
 * One run per folder: a lock file in the folder, held with an exclusive lock of the operating
 * system for as long as the run lasts and naming the run's process id. The system drops the
 * lock when the process ends, however it ends, so a run that was killed leaves a stale file
 * that the next run takes over (and says so); a run that ends normally removes the file.
 *
 * @module
 */
import { join } from "node:path";

/** The lock file's name inside the folder. */
export const LOCK_NAME = "train.lock";

/** What a lock file records of its owner. */
export interface LockOwner {
  /** Process id. */
  pid: number;
  /** When the lock was taken (ISO 8601). */
  since: string;
}

/** A held lock. */
export interface RunLock {
  /** The lock file. */
  readonly path: string;
  /** The owner named by a stale lock file this one replaced (a run that was killed). */
  readonly tookOver?: LockOwner;
  /** Removes the lock file and drops the lock; safe to call twice. */
  release(): void;
}

/**
 * The folder is in use by a running process: the message names it and the fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const error = new LockedError("Output folder is in use", { pid: 7, since: "now" });
 * assert.equal(error.owner.pid, 7);
 * ```
 */
export class LockedError extends Error {
  /** The owner named in the lock file (`pid` 0 when it cannot be read). */
  readonly owner: LockOwner;

  /**
   * Makes the error.
   *
   * @param message One line naming the folder, the owner and the fix.
   * @param owner The owner.
   */
  constructor(message: string, owner: LockOwner) {
    super(message);
    this.name = "LockedError";
    this.owner = owner;
  }
}

/**
 * Takes the lock of a folder, creating the folder when missing (and removing it again on
 * release when the run wrote nothing there, e.g. when it stopped on bad input).
 *
 * @param dir The run's folder.
 * @returns The lock; call `release()` when the run ends.
 * @throws {LockedError} when a running process holds it.
 * @throws {Error} one line when the folder cannot be created or written.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const lock = await acquireRunLock(dir);
 * await assert.rejects(() => acquireRunLock(dir), /is in use by process/);
 * lock.release();
 * (await acquireRunLock(dir)).release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function acquireRunLock(dir: string): Promise<RunLock> {
  const tidy = await makeFolder(dir);
  const path = join(dir, LOCK_NAME);
  for (let attempt = 0; attempt < 5; attempt++) {
    const lock = await tryLock(path, { dir, tidy });
    if (lock) return lock;
  }
  throw new Error(`Cannot take the lock "${path}": it keeps being replaced; try again`);
}

/**
 * Creates the run's folder when missing.
 *
 * @returns `tidy`: removes the folder again when this call made it and nothing was written there.
 */
async function makeFolder(dir: string): Promise<() => void> {
  const existed = await Deno.stat(dir).then(() => true, () => false);
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw unwritable(dir, error);
  }
  return () => {
    if (existed) return;
    try {
      Deno.removeSync(dir); // fails when not empty: then it stays
    } catch {
      // kept: it holds the run's files
    }
  };
}

/**
 * One attempt at the lock file `path`.
 *
 * @returns The lock, or `undefined` when a run that was finishing removed the file we opened.
 */
async function tryLock(
  path: string,
  options: { dir: string; tidy: () => void },
): Promise<RunLock | undefined> {
  const { dir, tidy } = options;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true });
  } catch (error) {
    throw unwritable(dir, error);
  }
  let held = false;
  try {
    if (!(await file.tryLock(true))) {
      const owner = parseOwner(await readAll(file));
      const who = owner.pid > 0 ? `process ${owner.pid} (a run started ${owner.since})` : "a run";
      throw new LockedError(
        `Output folder "${dir}" is in use by ${who}; wait for it to finish, or pass another ` +
          `folder with --out DIR`,
        owner,
      );
    }
    // a run that was finishing may have removed the file we opened: lock the one at `path`
    const [opened, current] = [await file.stat(), await Deno.stat(path).catch(() => undefined)];
    if (current === undefined || opened.ino !== current.ino) {
      file.close();
      return undefined;
    }
    held = true;
    const previous = parseOwner(await readAll(file));
    await writeOwner(file);
    return heldLock(path, { file, previous, tidy });
  } catch (error) {
    if (held) await Deno.remove(path).catch(() => {}); // ours, but it could not be written
    try {
      file.close();
    } catch {
      // closed above
    }
    tidy();
    if (error instanceof LockedError) throw error;
    throw unwritable(dir, error);
  }
}

/** Writes this process into the locked file, in place of what it held. */
async function writeOwner(file: Deno.FsFile): Promise<void> {
  const me: LockOwner = { pid: Deno.pid, since: new Date().toISOString() };
  await file.truncate(0);
  await file.seek(0, Deno.SeekMode.Start);
  const bytes = new TextEncoder().encode(JSON.stringify(me) + "\n");
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

/** The lock held on `file`; its release removes the file, then drops the lock. */
function heldLock(
  path: string,
  options: { file: Deno.FsFile; previous: LockOwner; tidy: () => void },
): RunLock {
  const { file, previous, tidy } = options;
  let released = false;
  return {
    path,
    ...(previous.pid > 0 ? { tookOver: previous } : {}),
    release: () => {
      if (released) return;
      released = true;
      try {
        Deno.removeSync(path); // before dropping the lock, so no one locks a removed file
      } catch {
        // already gone
      }
      file.close();
      tidy();
    },
  };
}

/** The whole content of an open file, from its start. */
async function readAll(file: Deno.FsFile): Promise<string> {
  await file.seek(0, Deno.SeekMode.Start);
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  let text = "";
  for (let n = await file.read(buffer); n !== null && text.length < 65_536;) {
    text += decoder.decode(buffer.subarray(0, n), { stream: true }); // a lock file is one line
    n = await file.read(buffer);
  }
  return text + decoder.decode();
}

/** The owner a lock file names; `pid` 0 when it is empty or not a lock file of ours. */
function parseOwner(text: string): LockOwner {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isSafeInteger(o.pid) && o.pid! > 0) {
      return { pid: o.pid!, since: typeof o.since === "string" ? o.since : "at an unknown time" };
    }
  } catch {
    // empty (a lock being written this instant) or not ours
  }
  return { pid: 0, since: "at an unknown time" };
}

/** The one-line error for a folder that cannot be created or written. */
function unwritable(dir: string, error: unknown): Error {
  const text = error instanceof Error ? error.message : String(error);
  const why = /os error 28\b/.test(text)
    ? "the disk is full"
    : error instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : error instanceof Deno.errors.NotCapable
    ? "no write permission (run deno with --allow-write)"
    : text.replace(/( \(os error \d+\)).*$/, "$1");
  return new Error(
    `Cannot write to output folder "${dir}": ${why}; pass a writable folder with --out DIR`,
    { cause: error },
  );
}
