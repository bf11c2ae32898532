// One run per folder: the lock refuses a second holder, takes over a stale file, releases.
import { assertEquals, assertOk, assertRejects } from "../assert.ts";
import { acquireRunLock, LOCK_NAME, LockedError } from "../../lib/io/run_lock.ts";
import { needs } from "../permissions.ts";

Deno.test("a held lock refuses a second run, naming the process; release frees it", {
  ignore: needs("read", "write"),
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "lock_test_" });
  try {
    const lock = await acquireRunLock(`${dir}/run`); // the folder is created
    assertEquals(lock.path, `${dir}/run/${LOCK_NAME}`);
    assertEquals(lock.tookOver, undefined);
    const saved = JSON.parse(await Deno.readTextFile(lock.path));
    assertEquals(saved.pid, Deno.pid);
    const error = await acquireRunLock(`${dir}/run`).catch((e) => e);
    assertOk(error instanceof LockedError, String(error));
    assertEquals(error.owner.pid, Deno.pid);
    assertOk(
      new RegExp(
        `^Output folder "${dir}/run" is in use by process ${Deno.pid} \\(a run started .*\\); ` +
          `wait for it to finish, or pass another folder with --out DIR$`,
      ).test(error.message),
      error.message,
    );
    lock.release();
    lock.release(); // twice is fine
    await assertRejects(() => Deno.stat(lock.path), /No such file/);
    const again = await acquireRunLock(`${dir}/run`);
    assertEquals(again.tookOver, undefined, "a released lock is not stale");
    await Deno.writeTextFile(`${dir}/run/latest.safetensors`, "a checkpoint");
    again.release();
    assertEquals([...Deno.readDirSync(`${dir}/run`)].map((e) => e.name), ["latest.safetensors"]);
    // a folder the lock made, left empty (the run stopped on bad input), is removed again
    (await acquireRunLock(`${dir}/unused`)).release();
    await assertRejects(() => Deno.stat(`${dir}/unused`), /No such file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lock file nobody holds (a killed run's) is taken over and named", {
  ignore: needs("read", "write"),
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "lock_test_" });
  try {
    const stale = { pid: 4_000_000, since: "2020-01-01T00:00:00.000Z" };
    await Deno.writeTextFile(`${dir}/${LOCK_NAME}`, JSON.stringify(stale) + "\n");
    const lock = await acquireRunLock(dir);
    assertEquals(lock.tookOver, stale);
    assertEquals(JSON.parse(await Deno.readTextFile(lock.path)).pid, Deno.pid, "rewritten");
    lock.release();
    // an empty or foreign file is not named as an owner, and is taken over too
    await Deno.writeTextFile(`${dir}/${LOCK_NAME}`, "");
    const other = await acquireRunLock(dir);
    assertEquals(other.tookOver, undefined);
    other.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a folder that cannot be created is one line naming it and the fix", {
  ignore: needs("read", "write"),
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "lock_test_" });
  try {
    await Deno.writeTextFile(`${dir}/file`, "a file where the folder should be");
    await assertRejects(
      () => acquireRunLock(`${dir}/file/run`),
      /^Error: Cannot write to output folder ".*\/file\/run": .*; pass a writable folder with --out DIR$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
