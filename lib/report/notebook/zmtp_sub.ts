/**
 * A minimal ZeroMQ SUB socket (ZMTP 3.0, NULL security) over one TCP connection: enough to listen
 * to a Jupyter kernel's iopub channel from inside the kernel, so a cell can see when its own
 * output has been sent (`flush.ts`).
 *
 * Wire format (rfc.zeromq.org/spec/23): a 64-byte greeting each way, a READY command each way,
 * then frames `flags(1) size(1 or 8, big-endian) body`; flag bit 0 = more frames follow, bit 1 =
 * long size, bit 2 = command. A SUB subscribes with a message frame `0x01 topic` (empty topic:
 * everything).
 *
 * @module
 */

const MORE = 0x01;
const LONG = 0x02;
const COMMAND = 0x04;

/** A subscriber connected to a PUB socket; {@linkcode ZmtpSubscriber.receive} reads messages. */
export class ZmtpSubscriber {
  #conn: Deno.Conn;
  #buffer = new Uint8Array(1 << 16);
  #start = 0;
  #end = 0;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /**
   * Connects, does the ZMTP handshake and subscribes to every message.
   *
   * @param address The PUB socket: `{ hostname, port }` over TCP, or `{ transport: "unix", path }`.
   * @returns The subscriber, ready to receive.
   */
  static async connect(
    address: Deno.ConnectOptions | Deno.UnixConnectOptions,
  ): Promise<ZmtpSubscriber> {
    const conn = await Deno.connect(address as Deno.ConnectOptions);
    const sub = new ZmtpSubscriber(conn);
    try {
      await sub.#write(greeting());
      await sub.#read(64); // the peer's greeting
      await sub.#write(frame(readyCommand("SUB"), COMMAND));
      await sub.#readFrame(); // the peer's READY
      await sub.#write(frame(new Uint8Array([1]), 0)); // subscribe to all topics
    } catch (error) {
      sub.close();
      throw error;
    }
    return sub;
  }

  /**
   * Reads the next whole message.
   *
   * @returns Its frames, in order.
   */
  async receive(): Promise<Uint8Array[]> {
    const frames: Uint8Array[] = [];
    for (;;) {
      const { body, flags } = await this.#readFrame();
      if (flags & COMMAND) continue; // e.g. a PING: not part of a message
      frames.push(body);
      if (!(flags & MORE)) return frames;
    }
  }

  /** Closes the connection; a pending {@linkcode receive} then rejects. */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  async #readFrame(): Promise<{ body: Uint8Array; flags: number }> {
    const flags = (await this.#read(1))[0]!;
    const head = await this.#read(flags & LONG ? 8 : 1);
    const size = flags & LONG
      ? Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0))
      : head[0]!;
    return { body: await this.#read(size), flags };
  }

  /** The next n bytes, as a copy. */
  async #read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.#start === this.#end) {
        const got = await this.#conn.read(this.#buffer);
        if (got === null) throw new Error("Cannot read from the kernel's iopub: connection closed");
        this.#start = 0;
        this.#end = got;
      }
      const take = Math.min(n - filled, this.#end - this.#start);
      out.set(this.#buffer.subarray(this.#start, this.#start + take), filled);
      this.#start += take;
      filled += take;
    }
    return out;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    for (let sent = 0; sent < bytes.length;) sent += await this.#conn.write(bytes.subarray(sent));
  }
}

/** The ZMTP 3.0 greeting: signature, version 3.0, mechanism NULL, not as-server. */
function greeting(): Uint8Array {
  const g = new Uint8Array(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g.set(new TextEncoder().encode("NULL"), 12);
  return g;
}

/** The body of a READY command naming the socket type. */
function readyCommand(socketType: string): Uint8Array {
  const enc = new TextEncoder();
  const name = enc.encode("READY"), key = enc.encode("Socket-Type"), value = enc.encode(socketType);
  const body = new Uint8Array(1 + name.length + 1 + key.length + 4 + value.length);
  let o = 0;
  body[o++] = name.length;
  body.set(name, o);
  body[o += name.length] = key.length;
  body.set(key, ++o);
  new DataView(body.buffer).setUint32(o += key.length, value.length);
  body.set(value, o + 4);
  return body;
}

/** One frame with the given flags (the size flag is set here). */
function frame(body: Uint8Array, flags: number): Uint8Array {
  const long = body.length > 255;
  const out = new Uint8Array((long ? 9 : 2) + body.length);
  out[0] = flags | (long ? LONG : 0);
  if (long) new DataView(out.buffer).setBigUint64(1, BigInt(body.length));
  else out[1] = body.length;
  out.set(body, long ? 9 : 2);
  return out;
}
