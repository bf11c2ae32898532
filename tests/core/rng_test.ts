// The seeded generator: determinism, exact save/restore, and rough distribution checks.
import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import { mixSeed, Rng } from "../../lib/core/rng.ts";

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.uniform());
}

Deno.test("equal seeds give equal streams, different seeds different ones", () => {
  assertEquals(draws(new Rng(42), 100), draws(new Rng(42), 100));
  const a = draws(new Rng(1), 100), b = draws(new Rng(2), 100);
  assertOk(a.every((v, i) => v !== b[i]), "no coincident draws");
  // large, negative and boundary seeds are accepted and distinct
  const seeds = [0, 1, -1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
  const firsts = seeds.map((s) => new Rng(s).nextU32());
  assertEquals(new Set(firsts).size, seeds.length);
});

Deno.test("non-integer seeds are rejected", () => {
  for (const seed of [1.5, NaN, Infinity, 2 ** 53]) {
    assertThrows(() => new Rng(seed), /Cannot seed the random generator: .* is not an integer/);
  }
});

Deno.test("getState/setState round trip mid-stream, including the cached Gaussian", () => {
  const a = new Rng(123);
  draws(a, 17);
  a.normal(); // leaves the second Box-Muller value cached
  const saved = a.getState();
  assertOk(saved.spare !== null, "a Gaussian is cached");
  assertEquals(saved.words.length, 4);
  const expected = [a.normal(), a.normal(), a.uniform(), a.nextU32(), a.int(1000), a.normal()];
  const b = new Rng(0);
  b.setState(JSON.parse(JSON.stringify(saved))); // survives JSON (as in checkpoints)
  assertEquals(
    [b.normal(), b.normal(), b.uniform(), b.nextU32(), b.int(1000), b.normal()],
    expected,
  );
  // without a cached value
  const c = new Rng(5);
  c.normal();
  c.normal();
  const s2 = c.getState();
  assertEquals(s2.spare, null);
  const d = new Rng(9);
  d.normal(); // d has a spare cached: setState must clear it
  d.setState(s2);
  assertEquals(d.normal(), c.normal());
  assertEquals(d.getState(), c.getState());
});

Deno.test("getState returns a snapshot, not a live view", () => {
  const r = new Rng(3);
  const s = r.getState();
  const words = [...s.words];
  r.nextU32();
  assertEquals(s.words, words);
});

Deno.test("setState rejects malformed states", () => {
  const r = new Rng(1);
  for (const words of [[1, 2, 3], [1, 2, 3, -1], [1, 2, 3, 2 ** 32], [1, 2, 3, 0.5]]) {
    assertThrows(
      () => r.setState({ words, spare: null }),
      /Cannot restore random generator: state must be four 32-bit words/,
    );
  }
});

Deno.test("uniform is in [0, 1) with mean 1/2 and variance 1/12", () => {
  const r = new Rng(7);
  const u = draws(r, 20000);
  assertOk(u.every((v) => v >= 0 && v < 1));
  const mean = u.reduce((a, b) => a + b, 0) / u.length;
  const variance = u.reduce((a, b) => a + (b - mean) ** 2, 0) / u.length;
  assertClose(mean, 0.5, 0.01);
  assertClose(variance, 1 / 12, 0.003);
  // ten equal bins each get about 10%
  const bins = new Array(10).fill(0);
  for (const v of u) bins[Math.floor(v * 10)]++;
  for (const n of bins) assertOk(Math.abs(n / u.length - 0.1) < 0.01, `bin ${n}`);
});

Deno.test("int(n) covers [0, n) evenly", () => {
  const r = new Rng(8);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 12000; i++) {
    const k = r.int(6);
    assertOk(Number.isInteger(k) && k >= 0 && k < 6);
    counts[k]++;
  }
  for (const n of counts) assertOk(Math.abs(n - 2000) < 150, `count ${n}`);
});

Deno.test("normal has mean ~0 and variance ~1 over 20k draws", () => {
  const r = new Rng(9);
  const z = Array.from({ length: 20000 }, () => r.normal());
  assertOk(z.every(Number.isFinite));
  const mean = z.reduce((a, b) => a + b, 0) / z.length;
  const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
  assertClose(mean, 0, 0.03);
  assertClose(variance, 1, 0.05);
  const within1 = z.filter((v) => Math.abs(v) < 1).length / z.length;
  assertClose(within1, 0.6827, 0.015);
});

Deno.test("categorical draws in proportion to the weights and skips zero weights", () => {
  const r = new Rng(10);
  const w = Float64Array.from([1, 0, 3, 6]); // probabilities 0.1, 0, 0.3, 0.6
  const counts = [0, 0, 0, 0];
  const n = 20000;
  for (let i = 0; i < n; i++) counts[r.categorical(w)]!++;
  assertEquals(counts[1], 0);
  assertClose(counts[0]! / n, 0.1, 0.015);
  assertClose(counts[2]! / n, 0.3, 0.015);
  assertClose(counts[3]! / n, 0.6, 0.015);
  // only the first n entries are used
  for (let i = 0; i < 200; i++) assertOk(r.categorical([1, 1, 1000], 2) < 2);
  // a single positive weight is always chosen, even with a trailing zero
  for (let i = 0; i < 100; i++) assertEquals(r.categorical([0, 2, 0]), 1);
});

Deno.test("mixSeed: a pure function of its inputs, distinct across steps and seeds", () => {
  assertEquals(mixSeed(42, 100), mixSeed(42, 100));
  const seeds = new Set<number>();
  for (const seed of [0, 1, 42, -1, 2 ** 40]) {
    for (let step = 0; step < 200; step++) seeds.add(mixSeed(seed, step));
  }
  assertEquals(seeds.size, 5 * 200, "no two (seed, step) pairs share a seed");
  for (const s of seeds) assertOk(Number.isSafeInteger(s) && s >= 0, `${s}`);
  // neighbouring steps give unrelated streams
  assertOk(new Rng(mixSeed(42, 1)).uniform() !== new Rng(mixSeed(42, 2)).uniform());
  assertThrows(() => mixSeed(1.5, 0), /Cannot mix seeds: 1.5 is not an integer/);
});
