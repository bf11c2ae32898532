// Train/validation split, the seed's sliding windows, and time-major minibatches.
// Legend: T = sequence length, B = batch size (parallel streams).
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { BatchStream, idArrayFor, makeWindows, splitData } from "../../lib/text/data.ts";

function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

Deno.test("BatchStream lays chunks out (T, B) time-major: hand-computed arrays", () => {
  // 13 ids, B = 3 -> segmentLength = floor(12 / 3) = 4; segments start at 0, 4, 8. T = 2.
  const s = new BatchStream(range(13), { seqLength: 2, batchSize: 3 });
  assertEquals(s.segmentLength, 4);
  assertEquals(s.charsPerBatch, 6);
  const b1 = s.next();
  // t=0: streams read 0, 4, 8; t=1: 1, 5, 9
  assertEquals(Array.from(b1.inputs), [0, 4, 8, 1, 5, 9]);
  assertEquals(Array.from(b1.targets), [1, 5, 9, 2, 6, 10]);
  assertEquals(b1.wrapped, false);
  assertEquals(s.position, 2);
  const b2 = s.next();
  assertEquals(Array.from(b2.inputs), [2, 6, 10, 3, 7, 11]);
  assertEquals(Array.from(b2.targets), [3, 7, 11, 4, 8, 12]); // the very last id is a target
  assertEquals(b2.wrapped, false);
  const b3 = s.next(); // position 4 + 2 > 4: back to the start
  assertEquals(b3.wrapped, true);
  assertEquals(Array.from(b3.inputs), [0, 4, 8, 1, 5, 9]);
  assertEquals(s.next().wrapped, false, "wrapped is true only on the restarting chunk");
});

Deno.test("stream b's chunk k+1 starts where chunk k ended (carried state is valid)", () => {
  const T = 5, B = 4;
  const ids = Int32Array.from({ length: 211 }, (_, i) => (i * 7919) % 101); // arbitrary content
  const s = new BatchStream(ids, { seqLength: T, batchSize: B });
  const L = s.segmentLength; // floor(210 / 4) = 52
  assertEquals(L, 52);
  let prev: Int32Array | null = null;
  let prevTargets: Int32Array | null = null;
  let chunks = 0;
  for (let k = 0; k < 10; k++) {
    const batch = s.next();
    const inputs = batch.inputs.slice(), targets = batch.targets.slice();
    if (batch.wrapped) break;
    chunks++;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        assertEquals(inputs[t * B + b], ids[b * L + k * T + t], `stream ${b} chunk ${k} t ${t}`);
        if (t + 1 < T) {
          assertEquals(targets[t * B + b], inputs[(t + 1) * B + b], "target = next input");
        }
      }
      if (prev && prevTargets) {
        // the first input of chunk k+1 is the last target of chunk k, and follows its last input
        assertEquals(inputs[b], prevTargets[(T - 1) * B + b]);
        assertEquals(ids[b * L + k * T - 1], prev[(T - 1) * B + b]);
      }
    }
    prev = inputs;
    prevTargets = targets;
  }
  assertEquals(chunks, 10, "52 / 5 = 10 full chunks before wrapping");
  assertEquals(s.next().wrapped, true, "chunk 11 would end at 55 > 52");
});

Deno.test("the streams cover their segments without overlap", () => {
  const ids = range(41);
  const s = new BatchStream(ids, { seqLength: 4, batchSize: 2 }); // L = 20, 5 chunks each
  const seen = new Set<number>();
  for (let k = 0; k < 5; k++) for (const v of s.next().inputs) seen.add(v);
  assertEquals([...seen].sort((a, b) => a - b), Array.from(range(40)));
});

Deno.test("wrap-around sets wrapped and restarts at position 0", () => {
  const s = new BatchStream(range(10), { seqLength: 3, batchSize: 1 }); // L = 9: 3 chunks
  const flags = Array.from({ length: 8 }, () => {
    const b = s.next();
    return [b.wrapped, b.inputs[0]];
  });
  assertEquals(flags, [
    [false, 0],
    [false, 3],
    [false, 6],
    [true, 0],
    [false, 3],
    [false, 6],
    [true, 0],
    [false, 3],
  ]);
  // a position restored from a checkpoint is honoured
  const r = new BatchStream(range(10), { seqLength: 3, batchSize: 1 });
  r.position = 6;
  assertEquals(Array.from(r.next().inputs), [6, 7, 8]);
  assertEquals(r.next().wrapped, true);
});

Deno.test("B=1 with stride 1 reproduces the seed's sliding windows (makeWindows)", () => {
  const ids = Int32Array.from([5, 3, 8, 1, 9, 2, 7, 4, 6, 0, 3]);
  const T = 4;
  const w = makeWindows(ids, T, 1);
  assertEquals(w.count, ids.length - T); // python: range(0, len - T, 1)
  const s = new BatchStream(ids, { seqLength: T, batchSize: 1, stride: 1 });
  for (let i = 0; i < w.count; i++) {
    const b = s.next();
    assertEquals(b.wrapped, false);
    assertEquals(
      Array.from(b.inputs),
      Array.from(w.inputs.subarray(i * T, (i + 1) * T)),
      `window ${i}`,
    );
    assertEquals(Array.from(b.targets), Array.from(w.targets.subarray(i * T, (i + 1) * T)));
  }
  const again = s.next();
  assertEquals(again.wrapped, true, "after the last window it starts over");
  assertEquals(Array.from(again.inputs), Array.from(w.inputs.subarray(0, T)));
});

Deno.test("makeWindows matches the seed's create_training_sequences by hand", () => {
  // ids 0..6, T = 3, step = 2: i in range(0, 4, 2) = 0, 2
  const w = makeWindows(range(7), 3, 2);
  assertEquals(w.count, 2);
  assertEquals(Array.from(w.inputs), [0, 1, 2, 2, 3, 4]);
  assertEquals(Array.from(w.targets), [1, 2, 3, 3, 4, 5]);
  const w3 = makeWindows(range(8), 3, 2); // range(0, 5, 2) = 0, 2, 4
  assertEquals(w3.count, 3);
  assertEquals(Array.from(w3.targets.subarray(6)), [5, 6, 7]);
  assertEquals(makeWindows(range(3), 3).count, 0, "too short: no window");
  assertEquals(makeWindows(range(2), 3).count, 0);
});

Deno.test("a too-short text gets a message with the numbers and the fix", () => {
  assertThrows(
    () => new BatchStream(range(20), { seqLength: 5, batchSize: 4 }),
    /^RangeError: Text too short: 20 characters cannot fill 4 stream\(s\) of 5 characters \(needs at least 21\); use a longer text or a smaller batch size or sequence length$/,
  );
  // exactly enough: B*T + 1
  const ok = new BatchStream(range(21), { seqLength: 5, batchSize: 4 });
  assertEquals(Array.from(ok.next().targets.subarray(16)), [5, 10, 15, 20]);
  assertThrows(
    () => new BatchStream(new Int32Array(0), { seqLength: 1, batchSize: 1 }),
    /Text too short/,
  );
});

Deno.test("BatchStream rejects invalid sizes naming the option", () => {
  const ids = range(100);
  assertThrows(
    () => new BatchStream(ids, { seqLength: 0, batchSize: 1 }),
    /Invalid seqLength 0: expected a positive integer/,
  );
  assertThrows(
    () => new BatchStream(ids, { seqLength: 2, batchSize: 1.5 }),
    /Invalid batchSize 1.5/,
  );
  assertThrows(
    () => new BatchStream(ids, { seqLength: 2, batchSize: 1, stride: 0 }),
    /Invalid stride 0/,
  );
});

Deno.test("next() reuses its buffers", () => {
  const s = new BatchStream(range(30), { seqLength: 2, batchSize: 2 });
  const a = s.next();
  const inputs = a.inputs;
  const b = s.next();
  assertOk(a === b && b.inputs === inputs);
});

Deno.test("splitData holds out the last fraction as views", () => {
  const ids = range(10);
  const { train, val } = splitData(ids, 0.2);
  assertEquals(Array.from(train), [0, 1, 2, 3, 4, 5, 6, 7]);
  assertEquals(Array.from(val), [8, 9]);
  assertOk(train.buffer === ids.buffer, "a view, not a copy");
  const none = splitData(ids, 0);
  assertEquals([none.train.length, none.val.length], [10, 0]);
  const odd = splitData(range(7), 0.5); // floor(3.5) = 3 held out
  assertEquals([odd.train.length, odd.val.length], [4, 3]);
  for (const f of [1, -0.1, NaN, 1.5]) {
    assertThrows(() => splitData(ids, f), /Invalid validation fraction .*: expected 0 <= f < 1/);
  }
});

Deno.test("compact ids (Uint8Array, Uint16Array) give the Int32Array chunks of the same text", () => {
  const values = Array.from({ length: 101 }, (_, i) => (i * 37) % 200);
  const wide = Int32Array.from(values);
  const forV300 = idArrayFor(300, values.length); // a Uint16Array
  forV300.set(values);
  for (const ids of [Uint8Array.from(values), forV300]) {
    const a = new BatchStream(ids, { seqLength: 5, batchSize: 4 });
    const b = new BatchStream(wide, { seqLength: 5, batchSize: 4 });
    for (let k = 0; k < 8; k++) {
      const x = a.next(), y = b.next();
      assertOk(x.inputs instanceof Int32Array && x.targets instanceof Int32Array);
      assertEquals([Array.from(x.inputs), Array.from(x.targets)], [
        Array.from(y.inputs),
        Array.from(y.targets),
      ]);
    }
    const split = splitData(ids, 0.1);
    assertEquals(split.train.constructor, ids.constructor, "splitting keeps the type (views)");
  }
});
