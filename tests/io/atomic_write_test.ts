import { assertEquals, assertOk, assertRejects } from "../assert.ts";
import { writeFileAtomic } from "../../lib/io/atomic_write.ts";
import { needs } from "../permissions.ts";

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "atomic_write_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writeFileAtomic writes content and creates missing parent directories", {
  ignore: needs("read", "write"),
}, async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/a/b/ckpt.safetensors`;
    await writeFileAtomic(path, bytesOf("hello"));
    assertEquals(await Deno.readTextFile(path), "hello");
    assertEquals(await listNames(`${dir}/a/b`), ["ckpt.safetensors"]);
  });
});

Deno.test("writeFileAtomic overwrites an existing file and handles empty and large content", {
  ignore: needs("read", "write"),
}, async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/f.bin`;
    await Deno.writeTextFile(path, "old contents that are longer than the new ones");
    await writeFileAtomic(path, bytesOf("new"));
    assertEquals(await Deno.readTextFile(path), "new");
    await writeFileAtomic(path, new Uint8Array(0));
    assertEquals((await Deno.readFile(path)).length, 0);
    const big = new Uint8Array(3_000_000).map((_, i) => i % 251);
    await writeFileAtomic(path, big);
    assertEquals(await Deno.readFile(path), big);
    assertEquals(await listNames(dir), ["f.bin"]);
  });
});

Deno.test("writeFileAtomic handles concurrent writes without temp-name clashes", {
  ignore: needs("read", "write"),
}, async () => {
  await withTempDir(async (dir) => {
    const jobs = [];
    for (let i = 0; i < 20; i++) jobs.push(writeFileAtomic(`${dir}/f${i % 5}`, bytesOf(`v${i}`)));
    await Promise.all(jobs);
    assertEquals(await listNames(dir), ["f0", "f1", "f2", "f3", "f4"]);
    for (let k = 0; k < 5; k++) {
      assertOk(/^v\d+$/.test(await Deno.readTextFile(`${dir}/f${k}`)));
    }
  });
});

Deno.test("writeFileAtomic fails cleanly when the target is a directory", {
  ignore: needs("read", "write"),
}, async () => {
  await withTempDir(async (dir) => {
    const target = `${dir}/target`;
    await Deno.mkdir(target);
    await Deno.writeTextFile(`${target}/inside.txt`, "keep me");
    await assertRejects(
      () => writeFileAtomic(target, bytesOf("data")),
      /Cannot write ".*\/target": .*the previous file, if any, is unchanged/,
    );
    assertOk((await Deno.stat(target)).isDirectory);
    assertEquals(await Deno.readTextFile(`${target}/inside.txt`), "keep me");
    assertEquals(await listNames(dir), ["target"]);
  });
});

Deno.test("writeFileAtomic fails cleanly when a parent is a regular file", {
  ignore: needs("read", "write"),
}, async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/plain.txt`;
    await Deno.writeTextFile(file, "old");
    await assertRejects(
      () => writeFileAtomic(`${file}/child.bin`, bytesOf("x")),
      /Cannot write ".*plain\.txt\/child\.bin": cannot create directory/,
    );
    assertEquals(await Deno.readTextFile(file), "old");
    assertEquals(await listNames(dir), ["plain.txt"]);
  });
});

Deno.test({
  name: "writeFileAtomic keeps the old file when the write fails midway (file-size limit)",
  ignore: Deno.build.os === "windows" || needs("read", "write", "run"),
  async fn() {
    await withTempDir(async (dir) => {
      const target = `${dir}/ckpt.bin`;
      await Deno.writeTextFile(target, "old checkpoint");
      const script = `${dir}/writer.ts`;
      const lib = new URL("../../lib/io/atomic_write.ts", import.meta.url).href;
      await Deno.writeTextFile(
        script,
        `import { writeFileAtomic } from ${JSON.stringify(lib)};\n` +
          `try { await writeFileAtomic(Deno.args[0], new Uint8Array(200000)); console.log("ok"); }\n` +
          `catch (e) { console.log(e.message); }\n`,
      );
      // Ignore SIGXFSZ so exceeding a 16 KiB file-size limit makes write() fail with EFBIG.
      const shell = `trap '' XFSZ; ulimit -f 16; exec "$0" run -A "$1" "$2"`;
      const out = await new Deno.Command("bash", {
        args: ["-c", shell, Deno.execPath(), script, target],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const message = new TextDecoder().decode(out.stdout).trim();
      assertOk(/Cannot write ".*ckpt\.bin": .*unchanged/.test(message), message);
      assertEquals(await Deno.readTextFile(target), "old checkpoint");
      assertEquals(await listNames(dir), ["ckpt.bin", "writer.ts"]);
    });
  },
});
