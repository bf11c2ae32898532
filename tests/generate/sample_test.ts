// Sampling: reproducibility, temperature, top-k, priming with any text.
import { assertEquals, assertOk, assertThrows } from "../assert.ts";
import { Rng } from "../../lib/core/rng.ts";
import { VanillaRnn } from "../../lib/model/vanilla_rnn.ts";
import { pickIndex } from "../../lib/generate/pick.ts";
import { sample } from "../../lib/generate/sample.ts";
import { buildVocab } from "../../lib/text/vocab.ts";

const TEXT = "रामः सीता च वनं गच्छतः। Zoë 🐍 naïve café\n"; // V ~ 30, written for this test
const vocab = buildVocab(TEXT);
const V = vocab.chars.length;

function model(seed = 1): VanillaRnn {
  return new VanillaRnn(new Rng(seed), { vocabSize: V, hiddenSize: 16, initScale: 0.5 });
}

function argmax(a: Float64Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

Deno.test("same seed gives the same text, a different seed a different text", () => {
  assertOk(V >= 5);
  const m = model();
  const a = sample(m, vocab, { length: 60, rng: new Rng(42) });
  const b = sample(m, vocab, { length: 60, rng: new Rng(42) });
  const c = sample(m, vocab, { length: 60, rng: new Rng(43) });
  assertEquals(a, b);
  assertOk(a !== c, "seeds 42 and 43 gave the same 60 characters");
  assertOk([...a].every((ch) => vocab.charToIndex.has(ch)));
});

Deno.test("temperature 0 takes the argmax, whatever the rng", () => {
  const m = model(2);
  const a = sample(m, vocab, { length: 40, rng: new Rng(1), temperature: 0, prime: "राम" });
  const b = sample(m, vocab, { length: 40, rng: new Rng(999), temperature: 0, prime: "राम" });
  assertEquals(a, b);
  // and it is the greedy path: replay it with step() and argmax
  const state = m.initialState(1);
  const logits = new Float64Array(V);
  for (const ch of "राम") m.step(Int32Array.of(vocab.charToIndex.get(ch)!), state, logits);
  let greedy = "";
  for (let n = 0; n < 40; n++) {
    const idx = argmax(logits);
    greedy += vocab.chars[idx];
    m.step(Int32Array.of(idx), state, logits);
  }
  assertEquals(a, greedy);
  const rng = new Rng(5);
  const before = rng.getState();
  assertEquals(pickIndex(Float64Array.from([0.1, 5, -2, 4.9]), rng, { temperature: 0 }), 1);
  assertEquals(rng.getState(), before, "argmax draws no random number");
});

Deno.test("lower temperature concentrates on the argmax (T=0.1 > T=1 > T=3)", () => {
  const logits = Float64Array.from([1.2, 0.3, 2.0, -0.5, 1.6]); // argmax 2
  const freq = (temperature: number): number => {
    const rng = new Rng(7);
    let hits = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) if (pickIndex(logits, rng, { temperature }) === 2) hits++;
    return hits / n;
  };
  const exact = (temperature: number): number => {
    const e = Array.from(logits, (v) => Math.exp(v / temperature));
    return e[2]! / e.reduce((a, b) => a + b, 0);
  };
  const cold = freq(0.1), base = freq(1), hot = freq(3);
  assertOk(cold > base && base > hot, `frequencies ${cold}, ${base}, ${hot}`);
  // softmax(logits / T)[2] = 0.9817, 0.4194, 0.2745; 4000 draws: standard error < 0.008
  for (const [t, f] of [[0.1, cold], [1, base], [3, hot]] as const) {
    assertOk(Math.abs(f - exact(t)) < 0.025, `T=${t}: ${f} vs ${exact(t)}`);
  }
});

Deno.test("top-k=1 equals the argmax; top-k=2 never leaves the top 2", () => {
  const rng = new Rng(3);
  const logits = Float64Array.from([0.5, 2.5, -1, 2.2, 2.0, 0]); // top 2: indices 1 and 3
  for (let i = 0; i < 500; i++) {
    assertEquals(pickIndex(logits, rng, { topK: 1, temperature: 5 }), 1);
    const k2 = pickIndex(logits, rng, { topK: 2, temperature: 5 });
    assertOk(k2 === 1 || k2 === 3, `picked ${k2}`);
  }
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(pickIndex(logits, rng, { topK: 2 }));
  assertEquals([...seen].sort(), [1, 3], "both of the top 2 appear");
  const all = new Set<number>();
  for (let i = 0; i < 2000; i++) all.add(pickIndex(logits, rng, { topK: 6, temperature: 3 }));
  assertEquals(all.size, 6, "k = V keeps all");
  // on a model: top-k 1 gives the greedy text
  const m = model(4);
  assertEquals(
    sample(m, vocab, { length: 30, rng: new Rng(1), topK: 1 }),
    sample(m, vocab, { length: 30, rng: new Rng(2), temperature: 0 }),
  );
});

Deno.test("pickIndex does not modify the logits", () => {
  const logits = Float64Array.from([1, 2, 3]);
  pickIndex(logits, new Rng(1), { topK: 2, temperature: 0.5 });
  assertEquals(Array.from(logits), [1, 2, 3]);
});

Deno.test("a prime of any length, multi-character and non-ASCII, works", () => {
  const m = model(5);
  for (const prime of ["", "र", "रामः सीता", "🐍", "Zoë 🐍 naïve café\nराम", TEXT.repeat(3)]) {
    const out = sample(m, vocab, { length: 25, rng: new Rng(1), prime });
    assertEquals([...out].length, 25, `prime ${JSON.stringify(prime)}`);
  }
  // the prime matters: it changes the state the sample starts from
  const greedy = (prime: string) =>
    sample(m, vocab, { length: 30, rng: new Rng(1), prime, temperature: 0 });
  assertOk(greedy("रामः") !== greedy("café") || greedy("Zoë") !== greedy("🐍"));
  // priming with "ab" equals passing the state after "a" and priming with "b"
  const state = m.initialState(1);
  const logits = new Float64Array(V);
  m.step(Int32Array.of(vocab.charToIndex.get("र")!), state, logits);
  assertEquals(
    sample(m, vocab, { length: 20, rng: new Rng(8), prime: "ा", state }),
    sample(m, vocab, { length: 20, rng: new Rng(8), prime: "रा" }),
  );
});

Deno.test("an unknown prime character gives a RangeError naming it", () => {
  const m = model();
  assertThrows(
    () => sample(m, vocab, { length: 5, rng: new Rng(1), prime: "राम x" }),
    /^RangeError: Prime text contains "x" \(U\+0078\), which is not in the model's vocabulary; use only characters from the training text$/,
  );
  assertThrows(
    () => sample(m, vocab, { length: 5, rng: new Rng(1), prime: "🐸" }),
    /"🐸" \(U\+1F438\)/,
  );
});

Deno.test("length counts code points, including astral characters", () => {
  const tiny = buildVocab("🐍🎵ab");
  const m = new VanillaRnn(new Rng(1), { vocabSize: 4, hiddenSize: 4 });
  for (const length of [0, 1, 7, 50]) {
    const out = sample(m, tiny, { length, rng: new Rng(length), prime: "🐍" });
    assertEquals([...out].length, length);
  }
  const emojiOnly = buildVocab("🐍");
  const one = new VanillaRnn(new Rng(1), { vocabSize: 1, hiddenSize: 2 });
  assertEquals(sample(one, emojiOnly, { length: 5, rng: new Rng(1) }), "🐍".repeat(5)); // 10 UTF-16 units
});

Deno.test("start character: newline by default, or startIndex", () => {
  const m = model(6);
  const nl = vocab.charToIndex.get("\n")!;
  const a = sample(m, vocab, { length: 30, rng: new Rng(1) });
  assertEquals(a, sample(m, vocab, { length: 30, rng: new Rng(1), startIndex: nl }));
  assertEquals(a, sample(m, vocab, { length: 30, rng: new Rng(1), prime: "\n" }));
  const other = sample(m, vocab, { length: 30, rng: new Rng(1), startIndex: 3, temperature: 0 });
  assertEquals(
    other,
    sample(m, vocab, { length: 30, rng: new Rng(2), prime: vocab.chars[3], temperature: 0 }),
  );
});

Deno.test("the given state is advanced in place", () => {
  const m = model(7);
  const state = m.initialState(1);
  sample(m, vocab, { length: 10, rng: new Rng(1), state });
  assertOk(state.h!.data.some((v) => v !== 0));
});

Deno.test("invalid options are rejected", () => {
  const m = model();
  const rng = new Rng(1);
  for (const length of [-1, 1.5, NaN]) {
    assertThrows(
      () => sample(m, vocab, { length, rng }),
      /Invalid length .*: expected a non-negative integer/,
    );
  }
  for (const temperature of [-0.5, NaN, Infinity]) {
    assertThrows(
      () => sample(m, vocab, { length: 3, rng, temperature }),
      /Invalid temperature .*: expected a number >= 0/,
    );
  }
  assertThrows(
    () => pickIndex(new Float64Array(3), rng, { topK: -1 }),
    /Invalid top-k -1: expected an integer >= 0 \(0 keeps all\)/,
  );
  assertThrows(() => pickIndex(new Float64Array(3), rng, { topK: 1.5 }), /Invalid top-k 1.5/);
});
