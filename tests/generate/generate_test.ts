// Generation for B streams: top-p keeps exactly the smallest set whose mass reaches P; streams
// are reproducible per seed and independent of how many run; --stop ends a stream where the
// unstopped stream first shows the stop text; streamed pieces add up to the text; the
// reported log-probability is the model's; names come as one batch.
import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import { Rng } from "../../lib/core/rng.ts";
import { generateNames } from "../../lib/generate/names.ts";
import { Picker, resolvePickOptions } from "../../lib/generate/pick.ts";
import { generate, sample, streamRngs } from "../../lib/generate/sample.ts";
import { scoreText } from "../../lib/generate/score.ts";
import { createModel } from "../../lib/model/create.ts";
import type { StackedRnn } from "../../lib/model/stacked.ts";
import { BatchStream } from "../../lib/text/data.ts";
import { namesToText } from "../../lib/text/names.ts";
import { createOptimizer } from "../../lib/train/optim.ts";
import { buildVocab, encode, type Vocab } from "../../lib/text/vocab.ts";

const TEXT = "we sat by the fire. the wind blew. we sang.\nthe end.\n".repeat(8); // written here
const vocab = buildVocab(TEXT);

/** A small model trained a little on TEXT, so that it has something to say. */
function trained(cell: "lstm" | "gru" = "lstm", backend = createBackend({ kind: "f64" })) {
  const model = createModel({ cell, vocabSize: vocab.chars.length, hiddenSize: 16 }, new Rng(3), {
    backend,
  });
  const optimizer = createOptimizer("adam", model.params, { backend });
  const stream = new BatchStream(encode(vocab, TEXT), { seqLength: 16, batchSize: 4 });
  const state = model.initialState(4);
  for (let step = 0; step < 120; step++) {
    const batch = stream.next();
    for (const g of Object.values(model.grads)) g.data.fill(0);
    model.forward(batch.inputs, batch.targets, state);
    model.backward();
    optimizer.update(model.params, model.grads, 0.02);
  }
  return { model };
}

function counts(picker: Picker, logits: Float64Array, draws: number): number[] {
  const rng = new Rng(9), seen = new Array(logits.length).fill(0);
  for (let k = 0; k < draws; k++) seen[picker.pick(logits, rng)]++;
  return seen;
}

Deno.test("top-p keeps exactly the smallest most-likely set whose mass reaches P", () => {
  const probs = [0.1, 0.5, 0.15, 0.25]; // sorted: 1 (0.5), 3 (0.25), 2 (0.15), 0 (0.1)
  const logits = Float64Array.from(probs, Math.log);
  const kept = (topP: number) =>
    counts(new Picker(4, { topP }), logits, 4000).flatMap((c, v) => (c > 0 ? [v] : []));
  assertEquals(kept(0.5), [1]); // 0.5 alone reaches 0.5
  assertEquals(kept(0.51), [1, 3]);
  assertEquals(kept(0.75), [1, 3]); // 0.75 exactly
  assertEquals(kept(0.76), [1, 2, 3]);
  assertEquals(kept(0.95), [0, 1, 2, 3]);
  assertEquals(kept(1), [0, 1, 2, 3]);
  // what is kept is drawn in proportion: 0.5 : 0.25 within the 0.75 set
  const c = counts(new Picker(4, { topP: 0.7 }), logits, 30_000);
  assertClose(c[1]! / (c[1]! + c[3]!), 2 / 3, 0.02);
  // with top-k the nucleus is taken within the k most likely
  const both = counts(new Picker(4, { topK: 1, topP: 0.9 }), logits, 500);
  assertEquals(both, [0, 500, 0, 0]);
  assertThrows(() => resolvePickOptions({ topP: 0 }), /Invalid top-p 0: expected a number > 0/);
  assertThrows(() => resolvePickOptions({ topP: 1.5 }), /Invalid top-p 1.5/);
});

Deno.test("streams are reproducible per seed and do not depend on how many run", () => {
  const { model } = trained();
  const run = (seed: number, n: number) =>
    generate(model, vocab, { length: 40, rngs: streamRngs(seed, n), prime: "the ", topP: 0.9 })
      .map((g) => g.text);
  const five = run(10, 5);
  assertEquals(run(10, 5), five);
  assertEquals(run(10, 2), five.slice(0, 2));
  for (let i = 0; i < 5; i++) assertEquals(run(10 + i, 1), [five[i]]);
  assertOk(new Set(five).size > 1, "different seeds give different texts");
  assertEquals(
    sample(model, vocab, { length: 40, rng: new Rng(12), prime: "the ", topP: 0.9 }),
    five[2],
  );
});

Deno.test("float32 streams in one batch equal the same streams one at a time", () => {
  const { model } = trained("gru", createBackend({ kind: "wasm" }));
  const batch = generate(model, vocab, { length: 30, rngs: streamRngs(4, 3), temperature: 0.5 });
  const single = [4, 5, 6].map((s) =>
    generate(model, vocab, { length: 30, rngs: streamRngs(s, 1), temperature: 0.5 })[0]!
  );
  assertEquals(batch.map((g) => g.text), single.map((g) => g.text));
  batch.forEach((g, i) => assertClose(g.logProb, single[i]!.logProb, 1e-4));
});

Deno.test("--stop ends a stream where the unstopped stream first shows the stop text", () => {
  const { model } = trained();
  for (const stop of [".", "e ", "\n"]) {
    const free = generate(model, vocab, { length: 80, rngs: streamRngs(1, 6) });
    const stopped = generate(model, vocab, { length: 80, rngs: streamRngs(1, 6), stop });
    stopped.forEach((g, i) => {
      const at = free[i]!.text.indexOf(stop);
      assertEquals(g.stopped, at >= 0, `stream ${i}`);
      assertEquals(g.text, at >= 0 ? free[i]!.text.slice(0, at) : free[i]!.text);
      assertEquals(g.chars, [...g.text].length + (g.stopped ? [...stop].length : 0));
    });
    assertOk(stopped.some((g) => g.stopped), `some stream meets ${JSON.stringify(stop)}`);
  }
});

Deno.test("streamed pieces add up to each text and never show a piece of the stop", () => {
  const { model } = trained();
  const pieces: string[][] = [[], [], []];
  const out = generate(model, vocab, {
    length: 60,
    rngs: streamRngs(2, 3),
    stop: "e.",
    onText: (b, text) => pieces[b]!.push(text),
  });
  out.forEach((g, b) => {
    assertEquals(pieces[b]!.join(""), g.text);
    assertOk(pieces[b]!.length > 1, "the text arrives in pieces as it is generated");
  });
});

Deno.test("the log-probability of a sample is the model's (temperature 1), as score measures", () => {
  const { model } = trained();
  const [g] = generate(model, vocab, { length: 50, rngs: streamRngs(8, 1), prime: "w" });
  const score = scoreText(model, vocab, "w" + g!.text);
  assertClose(-g!.logProb, score.nats * score.predicted, 1e-9);
  const [cold] = generate(model, vocab, {
    length: 50,
    rngs: streamRngs(8, 1),
    prime: "w",
    temperature: 0.5,
  });
  const s2 = scoreText(model, vocab, "w" + cold!.text);
  assertClose(-cold!.logProb, s2.nats * s2.predicted, 1e-9); // still the untempered model's
});

Deno.test("generation checks its options and the prime", () => {
  const { model } = trained();
  assertThrows(() => generate(model, vocab, { length: 5, rngs: [] }), /at least one stream/);
  assertThrows(() => generate(model, vocab, { length: -1, rngs: streamRngs(1, 1) }), /length -1/);
  assertThrows(
    () => generate(model, vocab, { length: 5, rngs: streamRngs(1, 1), prime: "Q" }),
    /"Q" \(U\+0051\), which is not in the model's vocabulary/,
  );
});

Deno.test("names come as one batch, each after a newline and ending at the next", () => {
  const list = ["Asha", "Arun", "Bina", "Chandra", "Deepa", "Esha", "Gita", "Hari"];
  const names: Vocab = buildVocab(namesToText(list));
  const model: StackedRnn = createModel(
    { cell: "rnn", vocabSize: names.chars.length, hiddenSize: 12 },
    new Rng(2),
    { backend: createBackend({ kind: "f64" }) },
  );
  const out = generateNames(model, names, {
    count: 25,
    rng: new Rng(4),
    maxLength: 6,
    prefix: "A",
  });
  assertEquals(out.length, 25);
  assertOk(out.every((n) => n.startsWith("A") && !n.includes("\n") && [...n].length <= 6));
  assertEquals(
    generateNames(model, names, { count: 25, rng: new Rng(4), maxLength: 6, prefix: "A" }),
    out,
  );
  assertThrows(
    () => generateNames(model, vocab, { count: 1, rng: new Rng(1), prefix: "Z" }),
    /prefix character "Z"/,
  );
});
