// Every backend's kernels against plain float64 loops, plus backend selection and fallback.
// Tolerances (float32 storage, float64 reference):
// - gemm/gemv: |c - ref| <= 1e-5 * (sum_k |A(i,k) B(k,j)| + |beta C0|)
// - tanh: |err| <= 4e-7 (a few float32 ulps); softmax probabilities: rel 1e-5
// - optimizers, sums: rel 1e-5
import { assertClose, assertEquals, assertOk, assertThrows } from "../assert.ts";
import { BACKEND_KINDS, createBackend } from "../../lib/backend/create.ts";
import { type GemmPlan, resolveGemmPlan } from "../../lib/backend/gemm.ts";
import type { Backend } from "../../lib/backend/types.ts";
import type { FloatArray } from "../../lib/core/tensor.ts";
import { backendTest, HAS_BLAS } from "./backend_support.ts";
import { KERNELS_SOURCE_SHA256 } from "../../lib/backend/wasm/kernels_wasm.ts";
import { sha256Hex } from "../../lib/backend/wasm/build.ts";
import { Rng } from "../../lib/core/rng.ts";
import { needs } from "../permissions.ts";

function forEachBackend(name: string, fn: (ws: Backend) => void): void {
  backendTest(name, fn);
}

function fillRandom(a: FloatArray, rng: Rng, scale = 1): FloatArray {
  for (let i = 0; i < a.length; i++) a[i] = (rng.uniform() * 2 - 1) * scale;
  return a;
}

/** float64 reference of C = beta*C + op(A) op(B), and the error bound of each entry. */
function gemmReference(p: Required<GemmPlan>, a: FloatArray, b: FloatArray, c0: FloatArray) {
  const ref = new Float64Array(p.m * p.n), bound = new Float64Array(p.m * p.n);
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      let s = p.beta * c0[i * p.ldc + j]!, mag = Math.abs(s);
      for (let k = 0; k < p.k; k++) {
        const av = p.transA ? a[k * p.lda + i]! : a[i * p.lda + k]!;
        const bv = p.transB ? b[j * p.ldb + k]! : b[k * p.ldb + j]!;
        s += av * bv;
        mag += Math.abs(av * bv);
      }
      ref[i * p.n + j] = s;
      bound[i * p.n + j] = 1e-5 * mag + 1e-30;
    }
  }
  return { ref, bound };
}

const SHAPES: GemmPlan[] = [
  { m: 1, n: 1, k: 1 },
  { m: 1, n: 37, k: 29 }, // row vector: gemv on B^T
  { m: 1, n: 37, k: 29, transB: true }, // gemv on B
  { m: 1, n: 16, k: 12, transA: true, lda: 1 },
  { m: 4, n: 8, k: 16 },
  { m: 13, n: 19, k: 300, beta: 1 }, // 6x8 blocks, edges, two K panels
  { m: 7, n: 13, k: 5, transA: true },
  { m: 9, n: 10, k: 33, transB: true, beta: 1 },
  { m: 6, n: 3, k: 7, transA: true, transB: true },
  { m: 5, n: 6, k: 7, lda: 9, ldb: 8, ldc: 11, beta: 1 }, // submatrices
  { m: 12, n: 20, k: 64, transB: true, lda: 70, ldb: 66, ldc: 21 },
];

forEachBackend("gemm matches a float64 loop on every shape and transpose", (ws) => {
  const rng = new Rng(1);
  for (const shape of SHAPES) {
    const p = resolveGemmPlan(shape);
    const a = fillRandom(ws.alloc((p.transA ? p.k : p.m) * p.lda), rng);
    const b = fillRandom(ws.alloc((p.transB ? p.n : p.k) * p.ldb), rng);
    const c = fillRandom(ws.alloc(p.m * p.ldc), rng);
    const c0 = c.slice();
    const { ref, bound } = gemmReference(p, a, b, c0);
    ws.gemm(shape)(a, b, c);
    let worst = 0;
    for (let i = 0; i < p.m; i++) {
      for (let j = 0; j < p.n; j++) {
        const err = Math.abs(c[i * p.ldc + j]! - ref[i * p.n + j]!);
        worst = Math.max(worst, err / bound[i * p.n + j]!);
      }
      for (let j = p.n; j < p.ldc; j++) { // padding between rows is left alone
        assertEquals(
          c[i * p.ldc + j],
          c0[i * p.ldc + j],
          `padding changed in ${JSON.stringify(shape)}`,
        );
      }
    }
    assertOk(worst <= 1, `gemm ${JSON.stringify(shape)}: worst error ${worst} x the bound`);
  }
});

forEachBackend("tanh and its backward match Math.tanh", (ws) => {
  const xs = [0, -0, 1e-8, -3e-5, 0.1, 0.2999, 0.3, 0.3001, -0.5, 1, -2, 3.7, 8.9, 9.5, -20, 50];
  const rng = new Rng(2);
  for (let i = 0; i < 200; i++) xs.push((rng.uniform() * 2 - 1) * 6);
  const a = ws.alloc(xs.length); // length not a multiple of 4: exercises the scalar tail
  a.set(xs);
  ws.tanh(a);
  let worst = 0;
  xs.forEach((x, i) => (worst = Math.max(worst, Math.abs(a[i]! - Math.tanh(x)))));
  assertOk(worst <= 4e-7, `tanh worst error ${worst}`);
  assertOk(Object.is(a[1], -0) || a[1] === 0);
  const dz = fillRandom(ws.alloc(xs.length), rng), dz0 = dz.slice();
  ws.tanhBackward(dz, a);
  for (let i = 0; i < xs.length; i++) {
    assertClose(dz[i]!, dz0[i]! * (1 - a[i]! * a[i]!), 1e-6 * Math.abs(dz0[i]!) + 1e-12);
  }
});

forEachBackend("softmax rows and their gradient match float64", (ws) => {
  const rng = new Rng(3);
  for (const V of [5, 8, 65]) {
    const N = 7;
    const logits = fillRandom(ws.alloc(N * V), rng, 8), bias = fillRandom(ws.alloc(V), rng);
    const y = logits.slice();
    const targets = ws.allocInt32(N), stats = ws.alloc(2 * N), dbias = fillRandom(ws.alloc(V), rng);
    for (let n = 0; n < N; n++) targets[n] = rng.int(V);
    const dbias0 = Float64Array.from(dbias);
    ws.softmaxRows(logits, bias, targets, stats);
    for (let n = 0; n < N; n++) {
      const row = Array.from({ length: V }, (_, v) => y[n * V + v]! + bias[v]!);
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      for (let v = 0; v < V; v++) {
        const p = Math.exp(row[v]! - max) / sum;
        assertClose(logits[n * V + v]!, p, 1e-5 * p + 1e-9);
        dbias0[v] = dbias0[v]! + (p - (v === targets[n] ? 1 : 0)) / N;
      }
      const loss = Math.log(stats[2 * n]!) - stats[2 * n + 1]!;
      assertClose(loss, Math.log(sum) + max - row[targets[n]!]!, 1e-5);
    }
    const p = Float64Array.from(logits);
    ws.softmaxBackward(logits, targets, dbias, 1 / N);
    for (let n = 0; n < N; n++) {
      for (let v = 0; v < V; v++) {
        const g = (p[n * V + v]! - (v === targets[n] ? 1 : 0)) / N;
        assertClose(logits[n * V + v]!, g, 1e-6);
      }
    }
    for (let v = 0; v < V; v++) assertClose(dbias[v]!, dbias0[v]!, 1e-5);
  }
});

forEachBackend("gather, scatter (rows and columns), row sums and transpose are exact", (ws) => {
  const rng = new Rng(4);
  const R = 6, H = 7, N = 9;
  const table = fillRandom(ws.alloc(R * H), rng), bias = fillRandom(ws.alloc(H), rng);
  const idx = ws.allocInt32(N);
  for (let n = 0; n < N; n++) idx[n] = rng.int(R);
  const dst = ws.alloc(N * H);
  ws.gatherRows(dst, table, idx, bias);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      assertEquals(dst[n * H + j], Math.fround(table[idx[n]! * H + j]! + bias[j]!));
    }
  }
  const acc = ws.alloc(R * H), expected = ws.alloc(R * H);
  ws.scatterAddRows(acc, dst, idx);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const k = idx[n]! * H + j;
      expected[k] = expected[k]! + dst[n * H + j]!;
    }
  }
  assertEquals(Array.from(acc), Array.from(expected));
  const tableT = ws.alloc(H * R); // (H, R): the same table transposed
  ws.transpose(tableT, table, R, false);
  const dst2 = ws.alloc(N * H);
  ws.gatherColumns(dst2, tableT, idx, bias);
  assertEquals(Array.from(dst2), Array.from(dst));
  const accT = ws.alloc(H * R), expectedT = ws.alloc(H * R);
  ws.scatterAddColumns(accT, dst, idx);
  ws.transpose(expectedT, expected, R, false);
  assertEquals(Array.from(accT), Array.from(expectedT));
  const sums = fillRandom(ws.alloc(H), rng), sums0 = Float64Array.from(sums);
  ws.addRowSums(sums, dst);
  for (let j = 0; j < H; j++) {
    let s = sums0[j]!;
    for (let n = 0; n < N; n++) s += dst[n * H + j]!;
    assertClose(sums[j]!, s, 1e-5);
  }
  const t = ws.alloc(H * N);
  ws.transpose(t, dst, N, false);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) assertEquals(t[j * N + n], dst[n * H + j]);
  }
  ws.transpose(t, dst, N, true);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) assertEquals(t[j * N + n], Math.fround(2 * dst[n * H + j]!));
  }
});

forEachBackend("optimizer and clipping kernels follow their formulas", (ws) => {
  const rng = new Rng(5);
  const n = 37;
  const w = fillRandom(ws.alloc(n), rng), g = fillRandom(ws.alloc(n), rng, 3);
  const m = fillRandom(ws.alloc(n), rng), v = fillRandom(ws.alloc(n), rng);
  for (let i = 0; i < n; i++) v[i] = Math.abs(v[i]!), m[i] = Math.abs(m[i]!);
  const [w0, g0, m0, v0] = [w, g, m, v].map((a) => Float64Array.from(a)) as Float64Array[];
  ws.adagrad(w, g, m, { lr: 0.1, eps: 1e-8 });
  for (let i = 0; i < n; i++) {
    const mi = m0![i]! + g0![i]! ** 2;
    assertClose(m[i]!, mi, 1e-5 * mi);
    assertClose(w[i]!, w0![i]! - 0.1 * g0![i]! / Math.sqrt(mi + 1e-8), 1e-5);
  }
  const mA = fillRandom(ws.alloc(n), rng), mA0 = Float64Array.from(mA), w1 = Float64Array.from(w);
  const step = {
    lr: 0.01,
    beta1: 0.9,
    beta2: 0.999,
    c1: 1 - 0.9 ** 3,
    c2: 1 - 0.999 ** 3,
    eps: 1e-8,
  };
  ws.adam(w, g, [mA, v], step);
  for (let i = 0; i < n; i++) {
    const mi = 0.9 * mA0[i]! + 0.1 * g0![i]!, vi = 0.999 * v0![i]! + 0.001 * g0![i]! ** 2;
    assertClose(mA[i]!, mi, 1e-5);
    assertClose(v[i]!, vi, 1e-5 * vi + 1e-9);
    assertClose(w[i]!, w1[i]! - 0.01 * (mi / step.c1) / (Math.sqrt(vi / step.c2) + 1e-8), 1e-5);
  }
  const w2 = Float64Array.from(w);
  ws.sgd(w, g, 0.1);
  for (let i = 0; i < n; i++) assertClose(w[i]!, w2[i]! - 0.1 * g0![i]!, 1e-6);
  const ms = fillRandom(ws.alloc(n), rng), w3 = Float64Array.from(w);
  for (let i = 0; i < n; i++) ms[i] = Math.abs(ms[i]!);
  const ms0 = Float64Array.from(ms);
  ws.rmsprop(w, g, ms, { lr: 0.01, rho: 0.95, eps: 1e-8 });
  for (let i = 0; i < n; i++) {
    const mi = 0.95 * ms0[i]! + 0.05 * g0![i]! ** 2;
    assertClose(ms[i]!, mi, 1e-5 * mi + 1e-9);
    assertClose(w[i]!, w3[i]! - 0.01 * g0![i]! / (Math.sqrt(mi) + 1e-8), 1e-5);
  }
  assertClose(ws.sumSquares(g), g0!.reduce((s, x) => s + x * x, 0), 1e-9);
  assertEquals(ws.clamp(g, 5), false);
  assertEquals(ws.clamp(g, 1), true);
  for (let i = 0; i < n; i++) assertEquals(g[i], Math.fround(Math.max(-1, Math.min(1, g0![i]!))));
  ws.scale(g, 0.5);
  for (let i = 0; i < n; i++) {
    assertEquals(g[i], Math.fround(Math.max(-1, Math.min(1, g0![i]!)) * 0.5));
  }
});

Deno.test("createBackend picks a backend, validates options and reports fallbacks", () => {
  const auto = createBackend();
  assertEquals(auto.kind, HAS_BLAS ? "openblas" : "wasm");
  assertOk(auto.detail.startsWith(auto.kind));
  assertEquals(createBackend({ kind: "ts" }).kind, "ts");
  assertEquals(createBackend({ kind: "wasm" }).threads, 1);
  assertEquals([createBackend({ kind: "ts" }).float, createBackend({ kind: "f64" }).float], [
    "f32",
    "f64",
  ]);
  assertOk(createBackend({ kind: "f64" }).alloc(2) instanceof Float64Array);
  assertEquals([...BACKEND_KINDS], ["auto", "openblas", "wasm", "ts", "f64"]);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => createBackend({ kind: "gpu" as any }), /Unknown backend "gpu"/);
  assertThrows(() => createBackend({ threads: 0 }), /Invalid threads 0/);
  assertThrows(
    () => resolveGemmPlan({ m: 2, n: 2, k: 2, lda: 1 }),
    /lda 1: expected an integer >= 2/,
  );
});

Deno.test("a missing OpenBLAS library falls back to wasm (in a child without --allow-ffi too)", {
  ignore: needs("write", "run"),
}, async () => {
  const code = `
    import { createBackend } from ${
    JSON.stringify(new URL("../../lib/backend/create.ts", import.meta.url).href)
  };
    const e = createBackend();
    let explicit = "";
    try { createBackend({ kind: "openblas" }); } catch (err) { explicit = err.message; }
    console.log(JSON.stringify({ kind: e.kind, skipped: e.skipped, explicit }));
  `;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", file], // no permissions at all
    stdin: "null",
  }).output();
  await Deno.remove(file);
  assertOk(out.success, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  assertEquals(r.kind, "wasm");
  assertOk(/openblas: FFI permission not granted/.test(r.skipped[0]), r.skipped[0]);
  assertOk(/Cannot use the openblas backend: .*--allow-ffi/.test(r.explicit), r.explicit);
});

Deno.test("wasm backends reuse freed blocks, survive memory growth and free only their own arrays", () => {
  const ws = createBackend({ kind: "wasm" });
  const a = ws.alloc(100);
  a.fill(7);
  ws.free(a);
  const b = ws.alloc(50);
  assertEquals(b.byteOffset, a.byteOffset); // first fit
  assertEquals(b[0], 0); // reused blocks are cleared
  const keep = ws.alloc(10);
  keep.fill(3);
  const big = ws.alloc(4 << 20); // 16 MiB: grows the memory
  big[big.length - 1] = 1;
  assertEquals(keep[9], 3); // views made before growing stay valid
  const other = createBackend({ kind: "wasm" }).alloc(10); // same offset, another memory
  ws.free(other); // not ours: ignored
  ws.free(new Float32Array(3));
  const c = ws.alloc(10);
  assertOk(c.byteOffset !== keep.byteOffset && c.byteOffset !== big.byteOffset);
  ws.free(big); // freed after growth: its block is reused (merged with free neighbours)
  assertOk(ws.alloc(4 << 20).byteOffset <= big.byteOffset);
});

Deno.test("the embedded kernels were built from the current lib/wasm/kernels.as", {
  ignore: needs("read"),
}, async () => {
  const source = await Deno.readTextFile(
    new URL("../../lib/backend/wasm/kernels.as", import.meta.url),
  );
  assertEquals(await sha256Hex(source), KERNELS_SOURCE_SHA256, "run: deno task build:wasm");
});
