// Every float32 backend against the f64 reference backend, kernel by kernel: the same inputs
// (float32-representable) go through both, and every output array is compared, printing
// `kernel OK, maxdiff` the way llm.c's check_tensor does. Tolerance: 2e-5 of the largest
// reference value (float32 rounding of sums and of exp/tanh), exact for the data movers.
import { assertOk } from "../assert.ts";
import { createBackend } from "../../lib/backend/create.ts";
import type { Backend } from "../../lib/backend/types.ts";
import { Rng } from "../../lib/core/rng.ts";
import type { FloatArray } from "../../lib/core/tensor.ts";
import { backendTest, maxDiff } from "./backend_support.ts";

/** One kernel call: the float arrays it reads and writes, the int arrays, and the call. */
interface Case {
  name: string;
  /** Sizes of the float arrays; random values in [-scale, scale]. */
  floats: number[];
  scale?: number;
  /** Int arrays as [length, bound): random indices. */
  ints?: [number, number][];
  /** Values of the float arrays that must be >= 0 (moments). */
  positive?: number[];
  /** Exact data movement: no rounding allowed. */
  exact?: boolean;
  run: (b: Backend, f: FloatArray[], i: Int32Array[]) => number | boolean | void;
}

const H = 13, B = 3, N = 7, V = 11, R = 5;

const CASES: Case[] = [
  {
    name: "gemm NN beta 1",
    floats: [N * H, H * V, N * V],
    run: (b, [x, w, y]) => b.gemm({ m: N, n: V, k: H, beta: 1 })(x!, w!, y!),
  },
  {
    name: "gemm NT",
    floats: [N * H, V * H, N * V],
    run: (b, [x, w, y]) => b.gemm({ m: N, n: V, k: H, transB: true })(x!, w!, y!),
  },
  {
    name: "gemm TN beta 1",
    floats: [N * V, N * H, V * H],
    run: (b, [x, w, y]) => b.gemm({ m: V, n: H, k: N, transA: true, beta: 1 })(x!, w!, y!),
  },
  {
    name: "gemv (m = 1) NT",
    floats: [H, 4 * H * H, 4 * H],
    run: (b, [x, w, y]) => b.gemm({ m: 1, n: 4 * H, k: H, transB: true, beta: 1 })(x!, w!, y!),
  },
  { name: "tanh", floats: [N * H], scale: 4, run: (b, [a]) => b.tanh(a!) },
  { name: "tanhBackward", floats: [N * H, N * H], run: (b, [dz, h]) => b.tanhBackward(dz!, h!) },
  {
    name: "gatherRows",
    floats: [N * H, R * H, H],
    ints: [[N, R]],
    run: (b, [d, t, bias], [i]) => b.gatherRows(d!, t!, i!, bias!),
  },
  {
    name: "gatherColumns",
    floats: [N * H, H * R, H],
    ints: [[N, R]],
    run: (b, [d, t, bias], [i]) => b.gatherColumns(d!, t!, i!, bias!),
  },
  {
    name: "scatterAddRows",
    floats: [R * H, N * H],
    ints: [[N, R]],
    run: (b, [d, s], [i]) => b.scatterAddRows(d!, s!, i!),
  },
  {
    name: "scatterAddColumns",
    floats: [H * R, N * H],
    ints: [[N, R]],
    run: (b, [d, s], [i]) => b.scatterAddColumns(d!, s!, i!),
  },
  { name: "addRowSums", floats: [H, N * H], run: (b, [d, s]) => b.addRowSums(d!, s!) },
  {
    name: "transpose",
    floats: [H * N, N * H],
    exact: true,
    run: (b, [d, s]) => b.transpose(d!, s!, N, false),
  },
  {
    name: "transpose add",
    floats: [H * N, N * H],
    run: (b, [d, s]) => b.transpose(d!, s!, N, true),
  },
  {
    name: "softmaxRows",
    floats: [N * V, V, 2 * N],
    scale: 6,
    ints: [[N, V]],
    run: (b, [y, bias, st], [t]) => b.softmaxRows(y!, bias!, t!, st!),
  },
  {
    name: "softmaxBackward",
    floats: [N * V, V],
    ints: [[N, V]],
    positive: [0],
    run: (b, [p, db], [t]) => b.softmaxBackward(p!, t!, db!, 1 / N),
  },
  { name: "sgd", floats: [37, 37], run: (b, [w, g]) => b.sgd(w!, g!, 0.1) },
  {
    name: "adagrad",
    floats: [37, 37, 37],
    positive: [2],
    run: (b, [w, g, m]) => b.adagrad(w!, g!, m!, { lr: 0.1, eps: 1e-8 }),
  },
  {
    name: "rmsprop",
    floats: [37, 37, 37],
    positive: [2],
    run: (b, [w, g, m]) => b.rmsprop(w!, g!, m!, { lr: 0.01, rho: 0.95, eps: 1e-8 }),
  },
  {
    name: "adam",
    floats: [37, 37, 37, 37],
    positive: [3],
    run: (b, [w, g, m, v]) =>
      b.adam(w!, g!, [m!, v!], {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        c1: 0.271,
        c2: 0.003,
        eps: 1e-8,
      }),
  },
  { name: "sumSquares", floats: [37], run: (b, [a]) => b.sumSquares(a!) },
  { name: "clamp", floats: [37], scale: 3, exact: true, run: (b, [a]) => b.clamp(a!, 1) },
  { name: "scale", floats: [37], run: (b, [a]) => b.scale(a!, 0.37) },
  { name: "multiply", floats: [37, 37, 37], run: (b, [d, x, y]) => b.multiply(d!, x!, y!) },
  {
    name: "lstmForward",
    floats: [B * 4 * H, B * H, B * H, B * H, B * H],
    scale: 3,
    run: (b, [g, cp, c, tc, h]) => b.lstmForward(g!, cp!, c!, tc!, h!, H),
  },
  {
    name: "lstmBackward",
    floats: [B * 4 * H, B * H, B * H, B * H, B * H, B * 4 * H],
    run: (b, [g, cp, tc, dh, dc, dg]) => b.lstmBackward(g!, cp!, tc!, dh!, dc!, dg!, H),
  },
  {
    name: "gruForward",
    floats: [B * 3 * H, B * 3 * H, H, B * H, B * H, B * H],
    scale: 3,
    run: (b, [g, ah, bhn, hp, h, hn]) => b.gruForward(g!, ah!, bhn!, hp!, h!, hn!),
  },
  {
    name: "gruBackward",
    floats: [B * 3 * H, B * H, B * H, B * H, B * 3 * H, B * 3 * H, H, B * H],
    run: (b, [g, hn, hp, dh, dax, dah, db, dp]) =>
      b.gruBackward(g!, hn!, hp!, dh!, dax!, dah!, db!, dp!),
  },
];

backendTest("every kernel matches the f64 backend's", (backend) => {
  const ref = createBackend({ kind: "f64" });
  console.log(`${backend.kind}:`);
  for (const c of CASES) {
    const rng = new Rng(7);
    const scale = c.scale ?? 1;
    const values = c.floats.map((n, k) =>
      Float64Array.from({ length: n }, () => {
        const v = Math.fround((rng.uniform() * 2 - 1) * scale);
        return c.positive?.includes(k) ? Math.abs(v) : v;
      })
    );
    const ints = (c.ints ?? []).map(([n, bound]) =>
      Int32Array.from({ length: n }, () => rng.int(bound))
    );
    const run = (b: Backend) => {
      const fs = values.map((v) => {
        const a = b.alloc(v.length);
        a.set(v);
        return a;
      });
      const is = ints.map((v) => {
        const a = b.allocInt32(v.length);
        a.set(v);
        return a;
      });
      const out = c.run(b, fs, is);
      return { fs, out };
    };
    const got = run(backend), want = run(ref);
    if (typeof want.out === "number" || typeof want.out === "boolean") {
      const [a, e] = [Number(got.out), Number(want.out)];
      const d = maxDiff(`${c.name} result`, [a], [e], 2e-5 * Math.abs(e));
      assertOk(d <= 2e-5 * Math.abs(e), `${c.name}: ${a} vs ${e}`);
    }
    want.fs.forEach((e, k) => {
      let top = 0;
      for (const v of e) top = Math.max(top, Math.abs(v));
      const tol = c.exact ? 0 : 2e-5 * Math.max(1, top);
      const d = maxDiff(`${c.name} [${k}]`, got.fs[k]!, e, tol);
      assertOk(d <= tol, `${backend.kind} ${c.name} output ${k}: maxdiff ${d} > ${tol}`);
    });
  }
});
