/**
 * `flushOutput()`: wait until everything a notebook cell has printed or displayed so far has left
 * the Deno kernel.
 *
 * Deno 2.9.6's kernel sends a cell's output from a queue that it drains on another task, and
 * reports the cell finished (`idle`) without waiting for that queue. A frontend that has seen
 * `idle` drops late output or files it under the next cell. The kernel sends each iopub message
 * to every subscriber in turn, in queue order, so a cell can listen to its own kernel's iopub and
 * put a marker at the end of the queue: when the marker comes back, every message queued before
 * it has been written to the frontend's connection, ahead of the `idle` that follows the cell.
 * The marker is a `comm_msg` for a comm no frontend has, which frontends ignore and notebooks do
 * not save. The kernel's connection file (its `--conn` argument) gives the iopub port.
 *
 * Where the connection file cannot be found (not Linux or macOS, say), it waits a fixed
 * {@linkcode FALLBACK_WAIT_MS} instead: a timing margin, not a guarantee.
 *
 * @module
 */
import { kernelJupyter } from "./send.ts";
import { ZmtpSubscriber } from "./zmtp_sub.ts";

/** The comm id of the markers: no frontend opens a comm of this id. */
export const FLUSH_COMM_ID = "charrnn-output-flush";

/** Milliseconds waited when the kernel's iopub cannot be reached. */
export const FALLBACK_WAIT_MS = 300;

/** Milliseconds between markers until the first one comes back (the subscription is new). */
const PROBE_MS = 50;

/** Milliseconds after which a flush gives up (with a warning) rather than hang the cell. */
const GIVE_UP_MS = 60_000;

/** What an output barrier needs from the kernel: a way to queue messages and a way to hear them. */
export interface BarrierLink {
  /** Queues an iopub message behind the cell's output (`Deno.jupyter.broadcast`). */
  broadcast(msgType: string, content: Record<string, unknown>): void;
  /** Opens a subscription to the kernel's iopub; null when it cannot be reached. */
  subscribe(): Promise<{ receive(): Promise<Uint8Array[]>; close(): void } | null>;
}

/** Marks the end of the output queue and waits until the kernel has sent everything before it. */
export class OutputBarrier {
  #link: BarrierLink;
  #sent = 0; // markers queued
  #seen = 0; // highest marker heard back
  #listening: Promise<boolean> | undefined;
  #waiters = new Set<() => void>();

  /**
   * A barrier over one kernel link.
   *
   * @param link The kernel's broadcast and iopub subscription.
   */
  constructor(link: BarrierLink) {
    this.#link = link;
  }

  /**
   * Resolves once every message queued before this call has been sent.
   *
   * @returns True when the kernel echoed the marker, false when it fell back to a fixed wait.
   */
  async flush(): Promise<boolean> {
    if (!(await (this.#listening ??= this.#listen()))) {
      await sleep(FALLBACK_WAIT_MS);
      return false;
    }
    const target = this.#mark();
    const start = Date.now();
    while (this.#seen < target) {
      let wake = () => {};
      const heard = new Promise<void>((resolve) => this.#waiters.add(wake = resolve));
      await Promise.race([heard, sleep(PROBE_MS)]);
      this.#waiters.delete(wake);
      if (this.#seen >= target) break;
      if (this.#seen === 0) this.#mark(); // not subscribed yet: a later marker will do
      if (Date.now() - start > GIVE_UP_MS) {
        console.warn("flushOutput: the kernel did not echo its marker in 60 s; going on");
        return false;
      }
    }
    return true;
  }

  #mark(): number {
    this.#link.broadcast("comm_msg", { comm_id: FLUSH_COMM_ID, data: { flush: ++this.#sent } });
    return this.#sent;
  }

  async #listen(): Promise<boolean> {
    const sub = await this.#link.subscribe().catch(() => null);
    if (sub === null) return false;
    (async () => {
      for (;;) {
        const marker = markerOf(await sub.receive());
        if (marker !== null && marker > this.#seen) {
          this.#seen = marker;
          for (const wake of this.#waiters) wake();
        }
      }
    })().catch(() => {
      sub.close();
      this.#listening = undefined; // reconnect on the next flush
    });
    return true;
  }
}

/**
 * The marker number carried by a Jupyter message, or null when it is not one of ours.
 *
 * @param frames The message's ZMTP frames: identities, `<IDS|MSG>`, signature, header, parent
 * header, metadata, content, buffers.
 * @returns The `flush` number of a flush marker, else null.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
 * const frames = [new TextEncoder().encode("<IDS|MSG>"), enc(""), enc({ msg_type: "comm_msg" }),
 *   enc({}), enc({}), enc({ comm_id: "charrnn-output-flush", data: { flush: 3 } })];
 * assert.equal(markerOf(frames), 3);
 * ```
 */
export function markerOf(frames: readonly Uint8Array[]): number | null {
  const at = frames.findIndex(isDelimiter);
  const header = frames[at + 2], content = frames[at + 5];
  if (at < 0 || header === undefined || content === undefined) return null;
  const dec = new TextDecoder();
  if (!dec.decode(header).includes('"comm_msg"')) return null;
  const body = JSON.parse(dec.decode(content)) as { comm_id?: string; data?: { flush?: number } };
  return body.comm_id === FLUSH_COMM_ID ? body.data?.flush ?? null : null;
}

const DELIMITER = new TextEncoder().encode("<IDS|MSG>");

function isDelimiter(frame: Uint8Array): boolean {
  return frame.length === DELIMITER.length && frame.every((b, i) => b === DELIMITER[i]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The iopub address of the kernel this code runs in, from its connection file, or null.
 *
 * @returns A TCP or Unix socket address, or null outside a Jupyter kernel or where the file is
 * not found.
 */
export async function kernelIopub(): Promise<
  Deno.ConnectOptions | Deno.UnixConnectOptions | null
> {
  const args = await ownCommandLine();
  const at = args.indexOf("--conn");
  const path = at >= 0 ? args[at + 1] : undefined;
  if (path === undefined) return null;
  const info = JSON.parse(await Deno.readTextFile(path)) as {
    ip?: string;
    iopub_port?: number;
    transport?: string;
  };
  const ip = info.ip ?? "127.0.0.1", port = info.iopub_port;
  if (port === undefined) return null;
  return info.transport === "ipc"
    ? { transport: "unix", path: `${ip}-${port}` }
    : { hostname: ip, port };
}

/** This process's command line: /proc on Linux, `ps` elsewhere; empty when neither works. */
async function ownCommandLine(): Promise<string[]> {
  try {
    return (await Deno.readTextFile("/proc/self/cmdline")).split("\0");
  } catch {
    try {
      const ps = new Deno.Command("ps", { args: ["-o", "command=", "-p", `${Deno.pid}`] });
      return new TextDecoder().decode((await ps.output()).stdout).trim().split(/\s+/);
    } catch {
      return [];
    }
  }
}

let kernelBarrier: OutputBarrier | undefined;

/**
 * Waits until everything this notebook cell has printed or displayed so far has been sent by the
 * Deno kernel, so none of it arrives after the cell is reported finished. End a cell that prints
 * with `await flushOutput();` ({@linkcode show} does it for displays). Outside a notebook it
 * returns at once.
 *
 * It resolves to nothing, so a cell may end with it without displaying a value.
 *
 * @example
 * ```ts
 * await flushOutput(); // not in a kernel: returns at once
 * ```
 */
export async function flushOutput(): Promise<void> {
  const jupyter = kernelJupyter();
  if (jupyter === null) return;
  kernelBarrier ??= new OutputBarrier({
    broadcast: (msgType, content) => void jupyter.broadcast(msgType, content),
    subscribe: async () => {
      const iopub = await kernelIopub();
      return iopub && await ZmtpSubscriber.connect(iopub);
    },
  });
  await kernelBarrier.flush();
}
