/**
 * A Jupyter Notebook 6 server for the browser tests, and the Chromium flags they use: start it on
 * a free port with a token, shut down the kernels its pages started, stop it (bounded).
 *
 * @module
 */
import { JUPYTER } from "./notebook_support.ts";

/** Chromium's flags here: headless, no sandbox (root), no background network. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A running `jupyter notebook` server. */
export interface Server {
  url: string;
  token: string;
  child: Deno.ChildProcess;
  logPath: string;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startServer(dir: string): Promise<Server> {
  const port = freePort();
  const token = crypto.randomUUID().replaceAll("-", "");
  const logPath = `${dir}/server.log`;
  const child = new Deno.Command(JUPYTER, {
    args: [
      "notebook",
      "--no-browser",
      "--allow-root",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${dir}`,
    ],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = await Deno.open(logPath, { write: true, create: true, truncate: true });
  child.stderr.pipeTo(log.writable).catch(() => {});
  const server = { url: `http://127.0.0.1:${port}`, token, child, logPath };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${server.url}/api/status?token=${token}`, {
        signal: AbortSignal.timeout(2_000),
      });
      await response.body?.cancel();
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  await stopServer(server);
  throw new Error(`jupyter notebook did not start in 30 s:\n${await logTail(logPath)}`);
}

/** Shuts down the kernels the pages started (their sessions) and waits until none runs. */
export async function shutdownKernels(server: Server): Promise<void> {
  const headers = { Authorization: `token ${server.token}` };
  const list = (what: string) =>
    fetch(`${server.url}/api/${what}`, { headers, signal: AbortSignal.timeout(5_000) })
      .then((r) => r.json()) as Promise<{ id: string }[]>;
  for (const s of await list("sessions")) {
    await fetch(`${server.url}/api/sessions/${s.id}`, {
      method: "DELETE",
      headers,
      signal: AbortSignal.timeout(10_000),
    }).then((r) => r.body?.cancel());
  }
  const deadline = Date.now() + 15_000;
  while ((await list("kernels")).length > 0) {
    if (Date.now() > deadline) throw new Error("the kernels did not shut down in 15 s");
    await sleep(250);
  }
}

export async function stopServer(server: Server): Promise<void> {
  // Shut down the kernels the pages started, then the server; bounded, SIGKILL as a last resort.
  try {
    await shutdownKernels(server);
  } catch {
    // the server may already be gone
  }
  try {
    server.child.kill("SIGTERM");
  } catch {
    return; // already exited
  }
  try {
    await withTimeout(server.child.status, 15_000, "jupyter notebook to exit");
  } catch {
    server.child.kill("SIGKILL");
    await withTimeout(server.child.status, 5_000, "jupyter notebook to die").catch(() => {});
  }
}

export async function logTail(path: string): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").slice(-30).join("\n");
}
