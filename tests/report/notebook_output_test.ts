// Notebook output under the Deno kernel's race: large displays in small pieces that reassemble,
// and the output barrier (a marker echoed through the kernel's iopub) against a fake kernel that
// drains its queue to every subscriber in order, as Deno 2.9.6's does.
import { assertEquals, assertOk } from "../assert.ts";
import {
  markerOf,
  MAX_MESSAGE_BYTES,
  OutputBarrier,
  resetPlotlyEmbedding,
  show,
  splitBundle,
  tableDisplay,
} from "../../lib/mod.ts";
import { ZmtpSubscriber } from "../../lib/report/notebook/zmtp_sub.ts";
import { needs } from "../permissions.ts";

/** The HTML the pieces carry, joined and decompressed as the page's last script does. */
async function reassemble(parts: Record<string, unknown>[]): Promise<string> {
  const b64 = parts.slice(0, -1).map((p) =>
    /= "([A-Za-z0-9+/=]*)";<\/script>$/.exec(String(p["text/html"]))![1]
  )
    .join("");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).text();
}

Deno.test("a large display goes in pieces under the bound that reassemble to its HTML", async () => {
  const words = Array.from({ length: 200_000 }, (_, i) => (i * 7919 % 10007).toString(36));
  const html = `<div>${words.join(" ")}</div><script>window.x = 1;</script>`;
  const parts = await splitBundle({ "text/plain": "big", "text/html": html, "x/json": { a: 1 } });
  assertOk(parts.length > 2, `${parts.length} parts`);
  for (const part of parts) {
    const bytes = new TextEncoder().encode(JSON.stringify(part)).length;
    assertOk(bytes <= MAX_MESSAGE_BYTES, `a part of ${bytes} bytes`);
  }
  assertEquals(await reassemble(parts), html);
  assertEquals(parts.at(-1)!["text/plain"], "big");
  assertEquals(parts.at(-1)!["x/json"], { a: 1 });
  const small = { "text/plain": "s", "text/html": "<b>s</b>" };
  assertEquals(await splitBundle(small), [small]);
});

Deno.test("show sends plotly.js once, in pieces, before the first figure", async () => {
  resetPlotlyEmbedding();
  const sent: Record<string, unknown>[] = [];
  const display = (bundle: Record<string, unknown>) => void sent.push(bundle);
  await show({ data: [{ type: "bar", y: [1, 2] }], layout: {} }, { display });
  const pieces = sent.length - 2;
  assertOk(pieces >= 3, `${pieces} pieces of plotly.js`);
  assertEquals(sent.at(-2)!["text/plain"], "plotly.js embedded for offline plots");
  assertOk(String(sent.at(-1)!["text/plain"]).startsWith("Plotly figure"));
  assertOk((await reassemble(sent.slice(0, -1))).includes("window.Plotly"));
  await show(tableDisplay([{ a: 1 }]), { display });
  assertEquals(sent.length, pieces + 3); // no second copy of the library
});

/** A fake Deno kernel's iopub: a queue drained to every subscriber in order, slowly. */
function fakeKernel() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const queue: Uint8Array[][] = [];
  const written: string[] = [];
  let wake = () => {};
  (async () => {
    for await (const conn of listener) {
      (async () => {
        await readN(conn, 64); // greeting
        await conn.write(greeting());
        await readFrame(conn); // READY
        await conn.write(frame(readyBody(), 0x04));
        await readFrame(conn); // subscribe
        conns.push(conn);
      })().catch(() => {});
    }
  })().catch(() => {});
  const drainer = (async () => {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      const msg = queue.shift()!;
      if (msg.length === 0) return;
      await new Promise((r) => setTimeout(r, 20)); // the kernel is busy signing and writing
      for (const conn of conns) {
        for (const [i, f] of msg.entries()) await conn.write(frame(f, i < msg.length - 1 ? 1 : 0));
      }
      written.push(JSON.parse(new TextDecoder().decode(msg[3]!)));
    }
  })();
  const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
  return {
    port: (listener.addr as Deno.NetAddr).port,
    written,
    broadcast(msgType: string, content: Record<string, unknown>) {
      queue.push([
        new TextEncoder().encode("<IDS|MSG>"),
        enc(""),
        enc({ msg_type: msgType }),
        enc(msgType),
        enc({}),
        enc(content),
      ]);
      wake();
    },
    async close() {
      queue.push([]);
      wake();
      await drainer;
      listener.close();
      for (const c of conns) c.close();
    },
  };
}

Deno.test({
  name: "the output barrier returns only after everything queued before it was sent",
  ignore: needs("net"),
}, async () => {
  const kernel = fakeKernel();
  const subs: ZmtpSubscriber[] = [];
  const barrier = new OutputBarrier({
    broadcast: kernel.broadcast,
    subscribe: async () => {
      const sub = await ZmtpSubscriber.connect({ hostname: "127.0.0.1", port: kernel.port });
      subs.push(sub);
      return sub;
    },
  });
  for (let i = 0; i < 5; i++) kernel.broadcast("stream", { text: `line ${i}` });
  assertEquals(await barrier.flush(), true);
  const streams = kernel.written.filter((m) => m === "stream");
  assertEquals(streams.length, 5, `sent before the barrier returned: ${kernel.written}`);
  kernel.broadcast("display_data", { data: {} });
  assertEquals(await barrier.flush(), true);
  assertOk(kernel.written.includes("display_data"));
  for (const sub of subs) sub.close();
  await kernel.close();
});

Deno.test("markerOf reads only the barrier's own comm messages", () => {
  const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
  const msg = (
    type: string,
    content: unknown,
  ) => [
    new TextEncoder().encode("<IDS|MSG>"),
    enc(""),
    enc({ msg_type: type }),
    enc({}),
    enc({}),
    enc(content),
  ];
  assertEquals(
    markerOf(msg("comm_msg", { comm_id: "charrnn-output-flush", data: { flush: 7 } })),
    7,
  );
  assertEquals(markerOf(msg("comm_msg", { comm_id: "other", data: { flush: 7 } })), null);
  assertEquals(markerOf(msg("stream", { text: "comm_msg" })), null);
});

// ZMTP pieces of the fake kernel (the PUB side).
async function readN(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  for (let got = 0; got < n;) {
    const r = await conn.read(buf.subarray(got));
    if (r === null) throw new Error("closed");
    got += r;
  }
  return buf;
}
async function readFrame(conn: Deno.Conn): Promise<Uint8Array> {
  const flags = (await readN(conn, 1))[0]!;
  const size = flags & 2
    ? Number(new DataView((await readN(conn, 8)).buffer).getBigUint64(0))
    : (await readN(conn, 1))[0]!;
  return await readN(conn, size);
}
function greeting(): Uint8Array {
  const g = new Uint8Array(64);
  g[0] = 0xff, g[9] = 0x7f, g[10] = 3;
  g.set(new TextEncoder().encode("NULL"), 12);
  return g;
}
function readyBody(): Uint8Array {
  return new Uint8Array([
    5,
    ...new TextEncoder().encode("READY"),
    11,
    ...new TextEncoder().encode("Socket-Type"),
    0,
    0,
    0,
    3,
    ...new TextEncoder().encode("PUB"),
  ]);
}
function frame(body: Uint8Array, flags: number): Uint8Array {
  const long = body.length > 255;
  const out = new Uint8Array((long ? 9 : 2) + body.length);
  out[0] = flags | (long ? 2 : 0);
  if (long) new DataView(out.buffer).setBigUint64(1, BigInt(body.length));
  else out[1] = body.length;
  out.set(body, long ? 9 : 2);
  return out;
}
