// AssemblyScript source of the WebAssembly SIMD kernels of the wasm and openblas backends (lib/backend/wasm.ts).
// It is compiled by `deno task build:wasm` (lib/backend/wasm/build.ts) into lib/backend/wasm/kernels_wasm.ts;
// Deno never type-checks it (the .as extension keeps deno fmt/lint/check away: they would reject
// AssemblyScript's types and decorators).
//
// Conventions: f32 row-major matrices; every pointer is a byte offset into the imported shared
// memory; sizes are element counts; strides (ld*) are in elements. Nothing here allocates.
// Two builds come from this file: "relaxed" (f32x4.relaxed_madd, one fused multiply-add) and
// "strict" (multiply then add), selected by ASC_FEATURE_RELAXED_SIMD at compile time.

/** a * b + c, lane-wise. */
@inline function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Sum of the 4 lanes. */
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Stores s, or s + beta * (old value) when beta != 0. */
@inline function put(p: usize, s: f32, beta: f32): void {
  store<f32>(p, beta == 0 ? s : s + beta * load<f32>(p));
}

// ---------------------------------------------------------------------------------------------
// GEMM, axpy form: C(M,N) = beta*C + A*B, A(i,k) = A[i*ars + k*acs] (so A^T needs no copy),
// B(k,j) = B[k*ldb + j] (rows contiguous), C(i,j) = C[i*ldc + j].

/** 6x8 block: 12 accumulators + 2 B vectors + 1 splat fit V8's 16 xmm registers. */
@inline function block6x8(
  K: i32, a: usize, ars: usize, acs: usize, b: usize, ldb: usize, c: usize, ldc: usize, beta: f32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  let pa = a, pb = b;
  const pe = b + <usize>K * ldb;
  const r2 = ars << 1, r3 = ars * 3, r4 = ars << 2, r5 = ars * 5;
  while (pb < pe) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let s = v128.load32_splat(pa);
    c00 = fma(s, b0, c00); c01 = fma(s, b1, c01);
    s = v128.load32_splat(pa + ars);
    c10 = fma(s, b0, c10); c11 = fma(s, b1, c11);
    s = v128.load32_splat(pa + r2);
    c20 = fma(s, b0, c20); c21 = fma(s, b1, c21);
    s = v128.load32_splat(pa + r3);
    c30 = fma(s, b0, c30); c31 = fma(s, b1, c31);
    s = v128.load32_splat(pa + r4);
    c40 = fma(s, b0, c40); c41 = fma(s, b1, c41);
    s = v128.load32_splat(pa + r5);
    c50 = fma(s, b0, c50); c51 = fma(s, b1, c51);
    pa += acs;
    pb += ldb;
  }
  if (beta != 0) {
    const bv = f32x4.splat(beta);
    c00 = fma(bv, v128.load(c), c00); c01 = fma(bv, v128.load(c, 16), c01);
    c10 = fma(bv, v128.load(c + ldc), c10); c11 = fma(bv, v128.load(c + ldc, 16), c11);
    c20 = fma(bv, v128.load(c + 2 * ldc), c20); c21 = fma(bv, v128.load(c + 2 * ldc, 16), c21);
    c30 = fma(bv, v128.load(c + 3 * ldc), c30); c31 = fma(bv, v128.load(c + 3 * ldc, 16), c31);
    c40 = fma(bv, v128.load(c + 4 * ldc), c40); c41 = fma(bv, v128.load(c + 4 * ldc, 16), c41);
    c50 = fma(bv, v128.load(c + 5 * ldc), c50); c51 = fma(bv, v128.load(c + 5 * ldc, 16), c51);
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
  v128.store(c + 4 * ldc, c40); v128.store(c + 4 * ldc, c41, 16);
  v128.store(c + 5 * ldc, c50); v128.store(c + 5 * ldc, c51, 16);
}

/** 1x8 block for the rows left over after the 6-row blocks. */
@inline function block1x8(
  K: i32, a: usize, acs: usize, b: usize, ldb: usize, c: usize, beta: f32,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let pa = a, pb = b;
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(pa);
    c0 = fma(s, v128.load(pb), c0);
    c1 = fma(s, v128.load(pb, 16), c1);
    pa += acs;
    pb += ldb;
  }
  if (beta != 0) {
    const bv = f32x4.splat(beta);
    c0 = fma(bv, v128.load(c), c0);
    c1 = fma(bv, v128.load(c, 16), c1);
  }
  v128.store(c, c0);
  v128.store(c, c1, 16);
}

/** 1x4 block for the N % 8 >= 4 edge. */
@inline function block1x4(
  K: i32, a: usize, acs: usize, b: usize, ldb: usize, c: usize, beta: f32,
): void {
  let c0 = f32x4.splat(0);
  let pa = a, pb = b;
  for (let k = 0; k < K; k++) {
    c0 = fma(v128.load32_splat(pa), v128.load(pb), c0);
    pa += acs;
    pb += ldb;
  }
  if (beta != 0) c0 = fma(f32x4.splat(beta), v128.load(c), c0);
  v128.store(c, c0);
}

/** One element C(i,j) (the N % 4 edge). */
@inline function block1x1(
  K: i32, a: usize, acs: usize, b: usize, ldb: usize, c: usize, beta: f32,
): void {
  let s: f32 = 0;
  for (let k = 0; k < K; k++) {
    s += load<f32>(a) * load<f32>(b);
    a += acs;
    b += ldb;
  }
  put(c, s, beta);
}

/** C = beta*C + A*B (see the section comment); K is cut in panels of 256 so B stays in cache. */
export function sgemm(
  M: i32, N: i32, K: i32, a: usize, ars: i32, acs: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  beta: f32,
): void {
  const KC = 256;
  const arsB = <usize>ars << 2, acsB = <usize>acs << 2, ldbB = <usize>ldb << 2;
  const ldcB = <usize>ldc << 2;
  const N8 = N & ~7, N4 = N & ~3;
  if (K == 0) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) put(c + <usize>i * ldcB + (<usize>j << 2), 0, beta);
    }
    return;
  }
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const bet: f32 = k0 == 0 ? beta : 1;
    const ak = a + <usize>k0 * acsB, bk = b + <usize>k0 * ldbB;
    for (let j = 0; j < N8; j += 8) {
      const bj = bk + (<usize>j << 2);
      let i = 0;
      for (; i + 6 <= M; i += 6) {
        block6x8(kc, ak + <usize>i * arsB, arsB, acsB, bj, ldbB, c + <usize>i * ldcB + (<usize>j << 2), ldcB, bet);
      }
      for (; i < M; i++) {
        block1x8(kc, ak + <usize>i * arsB, acsB, bj, ldbB, c + <usize>i * ldcB + (<usize>j << 2), bet);
      }
    }
    for (let i = 0; i < M; i++) {
      const ai = ak + <usize>i * arsB, ci = c + <usize>i * ldcB;
      if (N4 > N8) block1x4(kc, ai, acsB, bk + (<usize>N8 << 2), ldbB, ci + (<usize>N8 << 2), bet);
      for (let j = N4; j < N; j++) {
        block1x1(kc, ai, acsB, bk + (<usize>j << 2), ldbB, ci + (<usize>j << 2), bet);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GEMM, dot form: C(M,N) = beta*C + A(M,K) * B(N,K)^T, rows of A and B contiguous.

/** Dot product of two contiguous rows of K floats. */
@inline function dot(K: i32, a: usize, b: usize): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let k = 0;
  for (; k + 8 <= K; k += 8) {
    const o = <usize>k << 2;
    s0 = fma(v128.load(a + o), v128.load(b + o), s0);
    s1 = fma(v128.load(a + o, 16), v128.load(b + o, 16), s1);
  }
  for (; k + 4 <= K; k += 4) {
    const o = <usize>k << 2;
    s0 = fma(v128.load(a + o), v128.load(b + o), s0);
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2));
  return s;
}

/** C = beta*C + A*B^T (see the section comment), in 4x2 blocks of dot products. */
export function sgemmNT(
  M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, beta: f32,
): void {
  const ldaB = <usize>lda << 2, ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2;
  const K4 = K & ~3;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = a + <usize>i * ldaB, a1 = a0 + ldaB, a2 = a1 + ldaB, a3 = a2 + ldaB;
    const c0 = c + <usize>i * ldcB, c1 = c0 + ldcB, c2 = c1 + ldcB, c3 = c2 + ldcB;
    let j = 0;
    for (; j + 2 <= N; j += 2) {
      const b0 = b + <usize>j * ldbB, b1 = b0 + ldbB;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>k << 2;
        const v0 = v128.load(b0 + o), v1 = v128.load(b1 + o);
        let u = v128.load(a0 + o);
        s00 = fma(u, v0, s00); s01 = fma(u, v1, s01);
        u = v128.load(a1 + o);
        s10 = fma(u, v0, s10); s11 = fma(u, v1, s11);
        u = v128.load(a2 + o);
        s20 = fma(u, v0, s20); s21 = fma(u, v1, s21);
        u = v128.load(a3 + o);
        s30 = fma(u, v0, s30); s31 = fma(u, v1, s31);
      }
      let t00 = hsum(s00), t01 = hsum(s01), t10 = hsum(s10), t11 = hsum(s11);
      let t20 = hsum(s20), t21 = hsum(s21), t30 = hsum(s30), t31 = hsum(s31);
      for (let k = K4; k < K; k++) {
        const o = <usize>k << 2;
        const v0 = load<f32>(b0 + o), v1 = load<f32>(b1 + o);
        let u = load<f32>(a0 + o);
        t00 += u * v0; t01 += u * v1;
        u = load<f32>(a1 + o);
        t10 += u * v0; t11 += u * v1;
        u = load<f32>(a2 + o);
        t20 += u * v0; t21 += u * v1;
        u = load<f32>(a3 + o);
        t30 += u * v0; t31 += u * v1;
      }
      const jo = <usize>j << 2;
      put(c0 + jo, t00, beta); put(c0 + jo + 4, t01, beta);
      put(c1 + jo, t10, beta); put(c1 + jo + 4, t11, beta);
      put(c2 + jo, t20, beta); put(c2 + jo + 4, t21, beta);
      put(c3 + jo, t30, beta); put(c3 + jo + 4, t31, beta);
    }
    if (j < N) {
      const bj = b + <usize>j * ldbB, jo = <usize>j << 2;
      put(c0 + jo, dot(K, a0, bj), beta);
      put(c1 + jo, dot(K, a1, bj), beta);
      put(c2 + jo, dot(K, a2, bj), beta);
      put(c3 + jo, dot(K, a3, bj), beta);
    }
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * ldaB, ci = c + <usize>i * ldcB;
    for (let j = 0; j < N; j++) put(ci + (<usize>j << 2), dot(K, ai, b + <usize>j * ldbB), beta);
  }
}

// ---------------------------------------------------------------------------------------------
// GEMV: W is (M,K) with row stride ldw; x and y contiguous.

/** y(M) = beta*y + W x(K): dot products, 4 rows at a time. */
export function sgemv(M: i32, K: i32, w: usize, ldw: i32, x: usize, y: usize, beta: f32): void {
  const ldwB = <usize>ldw << 2;
  const K4 = K & ~3;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const r0 = w + <usize>i * ldwB, r1 = r0 + ldwB, r2 = r1 + ldwB, r3 = r2 + ldwB;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let k = 0; k < K4; k += 4) {
      const o = <usize>k << 2;
      const xv = v128.load(x + o);
      s0 = fma(v128.load(r0 + o), xv, s0);
      s1 = fma(v128.load(r1 + o), xv, s1);
      s2 = fma(v128.load(r2 + o), xv, s2);
      s3 = fma(v128.load(r3 + o), xv, s3);
    }
    // [sum s0, sum s1, sum s2, sum s3] by two rounds of pairwise shuffles
    const t0 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 1, 4, 5), v128.shuffle<f32>(s0, s1, 2, 3, 6, 7));
    const t1 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 1, 4, 5), v128.shuffle<f32>(s2, s3, 2, 3, 6, 7));
    let r = f32x4.add(v128.shuffle<f32>(t0, t1, 0, 2, 4, 6), v128.shuffle<f32>(t0, t1, 1, 3, 5, 7));
    if (K4 < K) {
      let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
      for (let k = K4; k < K; k++) {
        const o = <usize>k << 2;
        const xs = load<f32>(x + o);
        t0 += load<f32>(r0 + o) * xs;
        t1 += load<f32>(r1 + o) * xs;
        t2 += load<f32>(r2 + o) * xs;
        t3 += load<f32>(r3 + o) * xs;
      }
      const tail = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(t0), 1, t1), 2, t2), 3, t3);
      r = f32x4.add(r, tail);
    }
    const py = y + (<usize>i << 2);
    if (beta != 0) r = fma(f32x4.splat(beta), v128.load(py), r);
    v128.store(py, r);
  }
  for (; i < M; i++) put(y + (<usize>i << 2), dot(K, w + <usize>i * ldwB, x), beta);
}

/** y(K) = beta*y + W^T x(M): a weighted sum of the rows of W, 16 columns at a time. */
export function sgemvT(M: i32, K: i32, w: usize, ldw: i32, x: usize, y: usize, beta: f32): void {
  const ldwB = <usize>ldw << 2;
  const K16 = K & ~15, K4 = K & ~3;
  for (let j = 0; j < K16; j += 16) {
    const jo = <usize>j << 2;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let e0 = f32x4.splat(0), e1 = f32x4.splat(0), e2 = f32x4.splat(0), e3 = f32x4.splat(0);
    let p = w + jo, px = x;
    let i = 0;
    for (; i + 2 <= M; i += 2) {
      const s = v128.load32_splat(px), t = v128.load32_splat(px, 4);
      const q = p + ldwB;
      a0 = fma(s, v128.load(p), a0); a1 = fma(s, v128.load(p, 16), a1);
      a2 = fma(s, v128.load(p, 32), a2); a3 = fma(s, v128.load(p, 48), a3);
      e0 = fma(t, v128.load(q), e0); e1 = fma(t, v128.load(q, 16), e1);
      e2 = fma(t, v128.load(q, 32), e2); e3 = fma(t, v128.load(q, 48), e3);
      p = q + ldwB;
      px += 8;
    }
    if (i < M) {
      const s = v128.load32_splat(px);
      a0 = fma(s, v128.load(p), a0); a1 = fma(s, v128.load(p, 16), a1);
      a2 = fma(s, v128.load(p, 32), a2); a3 = fma(s, v128.load(p, 48), a3);
    }
    a0 = f32x4.add(a0, e0); a1 = f32x4.add(a1, e1);
    a2 = f32x4.add(a2, e2); a3 = f32x4.add(a3, e3);
    const py = y + jo;
    if (beta != 0) {
      const bv = f32x4.splat(beta);
      a0 = fma(bv, v128.load(py), a0); a1 = fma(bv, v128.load(py, 16), a1);
      a2 = fma(bv, v128.load(py, 32), a2); a3 = fma(bv, v128.load(py, 48), a3);
    }
    v128.store(py, a0); v128.store(py, a1, 16); v128.store(py, a2, 32); v128.store(py, a3, 48);
  }
  for (let j = K16; j < K4; j += 4) {
    const jo = <usize>j << 2;
    let a0 = f32x4.splat(0);
    let p = w + jo;
    for (let i = 0; i < M; i++) {
      a0 = fma(v128.load32_splat(x + (<usize>i << 2)), v128.load(p), a0);
      p += ldwB;
    }
    const py = y + jo;
    if (beta != 0) a0 = fma(f32x4.splat(beta), v128.load(py), a0);
    v128.store(py, a0);
  }
  for (let j = K4; j < K; j++) {
    const jo = <usize>j << 2;
    let s: f32 = 0;
    for (let i = 0; i < M; i++) s += load<f32>(x + (<usize>i << 2)) * load<f32>(w + <usize>i * ldwB + jo);
    put(y + jo, s, beta);
  }
}

// ---------------------------------------------------------------------------------------------
// Elementwise math.

// V8 rematerialises a v128 constant at every use inside a loop (several instructions each),
// which made these kernels 2-3x slower. So the kernels that need constants build them from a
// run-time argument `one` (always 1.0, passed by lib/backend/wasm.ts) before their loops: the
// splats are then loop-invariant values that stay in registers.

/** A constant vector built from the run-time `one` (see above). */
@inline function k(one: f32, c: f64): v128 {
  return f32x4.splat(one * <f32>c);
}

// The constants of expm1Core, as globals set at the start of each kernel that uses them (a
// global read is one load; a v128 constant in a loop would be several instructions).
let E_HALF: v128 = i32x4(0, 0, 0, 0);
let E_LOG2E: v128 = i32x4(0, 0, 0, 0);
let E_LN2HI: v128 = i32x4(0, 0, 0, 0);
let E_LN2LO: v128 = i32x4(0, 0, 0, 0);
let E_P7: v128 = i32x4(0, 0, 0, 0);
let E_P6: v128 = i32x4(0, 0, 0, 0);
let E_P5: v128 = i32x4(0, 0, 0, 0);
let E_P4: v128 = i32x4(0, 0, 0, 0);
let E_P3: v128 = i32x4(0, 0, 0, 0);
let E_P2: v128 = i32x4(0, 0, 0, 0);
let E_ONE: v128 = i32x4(0, 0, 0, 0);
let E_BIAS: v128 = i32x4(0, 0, 0, 0);

/** Sets the E_* constants; `half` is +0.5 for arguments >= 0, -0.5 for arguments <= 0. */
@inline function setExpConsts(one: f32, half: f64): void {
  E_HALF = k(one, half);
  E_LOG2E = k(one, 1.4426950408889634);
  E_LN2HI = k(one, -0.693145751953125); // -ln 2, high part: few bits, so n * it is exact
  E_LN2LO = k(one, -1.4286067653301870e-6); // -ln 2, low part
  E_P7 = k(one, 1.0 / 5040.0);
  E_P6 = k(one, 1.0 / 720.0);
  E_P5 = k(one, 1.0 / 120.0);
  E_P4 = k(one, 1.0 / 24.0);
  E_P3 = k(one, 1.0 / 6.0);
  E_P2 = k(one, 0.5);
  E_ONE = k(one, 1.0);
  E_BIAS = i32x4.splat(<i32>(one * 127)); // the exponent bias
}

/** round(x / ln 2) as i32x4 (after setExpConsts, which picks the rounding for x's sign). */
@inline function expN(x: v128): v128 {
  return i32x4.trunc_sat_f32x4_s(fma(x, E_LOG2E, E_HALF));
}

/**
 * e^r - 1 for r = x - n ln 2, |r| <= ln(2)/2, given n = expN(x): the Taylor polynomial
 * r (1 + r/2! + ... + r^6/7!) (relative error < 2e-8).
 */
@inline function expQ(x: v128, ni: v128): v128 {
  const n = f32x4.convert_i32x4_s(ni);
  let r = fma(n, E_LN2HI, x);
  r = fma(n, E_LN2LO, r);
  let q = fma(r, E_P7, E_P6);
  q = fma(q, r, E_P5);
  q = fma(q, r, E_P4);
  q = fma(q, r, E_P3);
  q = fma(q, r, E_P2);
  q = fma(q, r, E_ONE);
  return f32x4.mul(q, r);
}

/** 2^n through the exponent bits. */
@inline function pow2(ni: v128): v128 {
  return i32x4.shl(i32x4.add(ni, E_BIAS), 23);
}

/** e^x for x in [-87, 88] (after setExpConsts(one, -0.5) for x <= 0): 2^n (1 + (e^r - 1)). */
@inline function expCore(x: v128): v128 {
  const ni = expN(x);
  const p = pow2(ni);
  return fma(p, expQ(x, ni), p);
}

/**
 * e^x - 1 for x in [0, 88] (after setExpConsts(one, 0.5)): 2^n (e^r - 1) + (2^n - 1),
 * accurate also near 0, where e^x - 1 cancels.
 */
@inline function expm1Core(x: v128): v128 {
  const ni = expN(x);
  const p = pow2(ni);
  return fma(p, expQ(x, ni), f32x4.sub(p, E_ONE));
}

/**
 * tanh of 4 values: with a = |x| capped at 9 (where tanh rounds to 1) and m = e^(2a) - 1,
 * tanh a = m / (m + 2); the sign of x is copied back. Accurate to a few f32 ulps.
 */
@inline function tanhVec(x: v128, cap: v128, two: v128, sign: v128): v128 {
  const a = f32x4.pmin(f32x4.abs(x), cap);
  const m = expm1Core(f32x4.add(a, a));
  return v128.or(f32x4.div(m, f32x4.add(m, two)), v128.and(x, sign));
}

/** p[0..n) = tanh(p[0..n)) in place. `one` must be 1 (see above). */
export function tanhInPlace(p: usize, n: i32, one: f32): void {
  setExpConsts(one, 0.5);
  const cap = k(one, 9.0), two = k(one, 2.0), sign = i32x4.splat(<i32>(one * -2147483648.0));
  const end = p + (<usize>n << 2);
  let q = p;
  for (; q + 16 <= end; q += 16) v128.store(q, tanhVec(v128.load(q), cap, two, sign));
  if (q < end) storePartial(q, end, tanhVec(loadPartial(q, end), cap, two, sign));
}

/** The 1 to 3 floats from q to end in the low lanes of a vector (the rest zero). */
@inline function loadPartial(q: usize, end: usize): v128 {
  let v = f32x4.replace_lane(f32x4.splat(0), 0, load<f32>(q));
  if (q + 4 < end) v = f32x4.replace_lane(v, 1, load<f32>(q, 4));
  if (q + 8 < end) v = f32x4.replace_lane(v, 2, load<f32>(q, 8));
  return v;
}

/** Stores the low lanes of v to the 1 to 3 floats from q to end. */
@inline function storePartial(q: usize, end: usize, v: v128): void {
  store<f32>(q, f32x4.extract_lane(v, 0));
  if (q + 4 < end) store<f32>(q, f32x4.extract_lane(v, 1), 4);
  if (q + 8 < end) store<f32>(q, f32x4.extract_lane(v, 2), 8);
}

/** dz[0..n) *= 1 - h*h (backprop through tanh, given its output h). `one` must be 1. */
export function tanhBackward(dz: usize, h: usize, n: i32, one: f32): void {
  const c1 = f32x4.splat(one);
  const nb = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= nb; o += 16) {
    const hv = v128.load(h + o);
    v128.store(dz + o, f32x4.mul(v128.load(dz + o), f32x4.sub(c1, f32x4.mul(hv, hv))));
  }
  for (; o < nb; o += 4) {
    const hv = load<f32>(h + o);
    store<f32>(dz + o, load<f32>(dz + o) * (1 - hv * hv));
  }
}

/** dst(N,H)[n] = table(R,H)[idx[n]] + bias(H): an embedding lookup plus a bias. */
export function gatherRows(dst: usize, table: usize, idx: usize, bias: usize, N: i32, H: i32): void {
  const hb = <usize>H << 2;
  for (let n = 0; n < N; n++) {
    const src = table + <usize>load<i32>(idx + (<usize>n << 2)) * hb;
    const d = dst + <usize>n * hb;
    let o: usize = 0;
    for (; o + 16 <= hb; o += 16) v128.store(d + o, f32x4.add(v128.load(src + o), v128.load(bias + o)));
    for (; o < hb; o += 4) store<f32>(d + o, load<f32>(src + o) + load<f32>(bias + o));
  }
}

/** dst(R,H)[idx[n]] += src(N,H)[n]: the gradient of gatherRows with respect to its table. */
export function scatterAddRows(dst: usize, src: usize, idx: usize, N: i32, H: i32): void {
  const hb = <usize>H << 2;
  for (let n = 0; n < N; n++) {
    const d = dst + <usize>load<i32>(idx + (<usize>n << 2)) * hb;
    const s = src + <usize>n * hb;
    let o: usize = 0;
    for (; o + 16 <= hb; o += 16) v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
    for (; o < hb; o += 4) store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
  }
}

/** dst(N,H)[n][i] = table(H,R)[i][idx[n]] + bias[i]: gatherRows on a transposed table. */
export function gatherCols(dst: usize, table: usize, idx: usize, bias: usize, N: i32, H: i32, R: i32): void {
  const rb = <usize>R << 2;
  for (let n = 0; n < N; n++) {
    let src = table + (<usize>load<i32>(idx + (<usize>n << 2)) << 2);
    const d = dst + ((<usize>n * H) << 2);
    for (let i = 0; i < H; i++) {
      const o = <usize>i << 2;
      store<f32>(d + o, load<f32>(src) + load<f32>(bias + o));
      src += rb;
    }
  }
}

/** dst(H,R)[i][idx[n]] += src(N,H)[n][i]: scatterAddRows on a transposed destination. */
export function scatterAddCols(dst: usize, src: usize, idx: usize, N: i32, H: i32, R: i32): void {
  const rb = <usize>R << 2;
  for (let n = 0; n < N; n++) {
    let d = dst + (<usize>load<i32>(idx + (<usize>n << 2)) << 2);
    const s = src + ((<usize>n * H) << 2);
    for (let i = 0; i < H; i++) {
      store<f32>(d, load<f32>(d) + load<f32>(s + (<usize>i << 2)));
      d += rb;
    }
  }
}

/** dst(H) += sum over n of src(N,H)[n]; 16 columns at a time, accumulated in registers. */
export function addRowSums(dst: usize, src: usize, N: i32, H: i32): void {
  const hb = <usize>H << 2;
  let o: usize = 0;
  for (; o + 64 <= hb; o += 64) {
    let s0 = v128.load(dst + o), s1 = v128.load(dst + o, 16);
    let s2 = v128.load(dst + o, 32), s3 = v128.load(dst + o, 48);
    let p = src + o;
    for (let n = 0; n < N; n++) {
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
      p += hb;
    }
    v128.store(dst + o, s0); v128.store(dst + o, s1, 16);
    v128.store(dst + o, s2, 32); v128.store(dst + o, s3, 48);
  }
  for (; o + 16 <= hb; o += 16) {
    let s = v128.load(dst + o);
    for (let n = 0; n < N; n++) s = f32x4.add(s, v128.load(src + <usize>n * hb + o));
    v128.store(dst + o, s);
  }
  for (; o < hb; o += 4) {
    let s = load<f32>(dst + o);
    for (let n = 0; n < N; n++) s += load<f32>(src + <usize>n * hb + o);
    store<f32>(dst + o, s);
  }
}

/** dst(C,R) = src(R,C)^T, or dst += src^T when add != 0; in 8x8 tiles. */
export function transpose(dst: usize, src: usize, R: i32, C: i32, add: i32): void {
  for (let r0 = 0; r0 < R; r0 += 8) {
    const r1 = min(R, r0 + 8);
    for (let c0 = 0; c0 < C; c0 += 8) {
      const c1 = min(C, c0 + 8);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          const s = load<f32>(src + ((<usize>r * C + c) << 2));
          const d = dst + ((<usize>c * R + r) << 2);
          store<f32>(d, add != 0 ? load<f32>(d) + s : s);
        }
      }
    }
  }
}

/**
 * Softmax of each row of logits(N,V) + bias(V), in place (the rows become probabilities).
 * For the loss, stats[2n] = sum of e^(y - max) and stats[2n+1] = y[target[n]] - max, so that
 * -log p[target] = log(stats[2n]) - stats[2n+1] without underflow. `one` must be 1.
 */
export function softmaxRows(
  logits: usize, bias: usize, targets: usize, stats: usize, N: i32, V: i32, one: f32,
): void {
  setExpConsts(one, -0.5);
  // e^-64 keeps probabilities (and their gradients / N) clear of slow subnormal floats
  const floor = k(one, -64.0), minusInf = k(one, -Infinity);
  const vb = <usize>V << 2, v16 = vb & ~15;
  const tail = vb > v16;
  const mask = tail ? lanesBelow(<i32>((vb - v16) >> 2)) : i32x4(0, 0, 0, 0);
  for (let n = 0; n < N; n++) {
    const row = logits + <usize>n * vb, rowEnd = row + vb;
    // y = logits + bias, and its maximum
    let mv = minusInf;
    for (let o: usize = 0; o < v16; o += 16) {
      const y = f32x4.add(v128.load(row + o), v128.load(bias + o));
      v128.store(row + o, y);
      mv = f32x4.pmax(mv, y);
    }
    if (tail) {
      const y = f32x4.add(loadPartial(row + v16, rowEnd), loadPartial(bias + v16, bias + vb));
      storePartial(row + v16, rowEnd, y);
      mv = f32x4.max(mv, v128.bitselect(y, minusInf, mask)); // padding lanes must not win
    }
    const mx = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    const target = load<i32>(targets + (<usize>n << 2));
    const picked = load<f32>(row + (<usize>target << 2)) - mx;
    // e^(y - max), and its sum
    const mxv = f32x4.splat(mx);
    let sv = f32x4.splat(0);
    for (let o: usize = 0; o < v16; o += 16) {
      const e = expCore(f32x4.pmax(f32x4.sub(v128.load(row + o), mxv), floor));
      v128.store(row + o, e);
      sv = f32x4.add(sv, e);
    }
    if (tail) {
      const x = f32x4.pmax(f32x4.sub(loadPartial(row + v16, rowEnd), mxv), floor);
      const e = expCore(x);
      storePartial(row + v16, rowEnd, e);
      sv = f32x4.add(sv, v128.and(e, mask)); // padding lanes add nothing
    }
    const sum = hsum(sv);
    const inv = f32x4.splat(<f32>1 / sum);
    for (let o: usize = 0; o < v16; o += 16) v128.store(row + o, f32x4.mul(v128.load(row + o), inv));
    if (tail) storePartial(row + v16, rowEnd, f32x4.mul(loadPartial(row + v16, rowEnd), inv));
    store<f32>(stats + (<usize>n << 3), sum);
    store<f32>(stats + (<usize>n << 3) + 4, picked);
  }
}

/** All-ones lanes for lanes 0 .. r-1, zero lanes after. */
@inline function lanesBelow(r: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(r));
}


/**
 * Gradient of the mean cross-entropy with respect to the logits, in place over the
 * probabilities p(N,V): p = (p - onehot(target)) * scale; and dbias(V) += its column sums.
 */
export function softmaxBackward(p: usize, targets: usize, dbias: usize, N: i32, V: i32, scale: f32): void {
  const vb = <usize>V << 2;
  const sv = f32x4.splat(scale);
  for (let n = 0; n < N; n++) {
    const row = p + <usize>n * vb;
    const t = row + (<usize>load<i32>(targets + (<usize>n << 2)) << 2);
    store<f32>(t, load<f32>(t) - 1);
    let o: usize = 0;
    for (; o + 16 <= vb; o += 16) {
      const g = f32x4.mul(v128.load(row + o), sv);
      v128.store(row + o, g);
      v128.store(dbias + o, f32x4.add(v128.load(dbias + o), g));
    }
    for (; o < vb; o += 4) {
      const g = load<f32>(row + o) * scale;
      store<f32>(row + o, g);
      store<f32>(dbias + o, load<f32>(dbias + o) + g);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Optimizer updates and clipping (same formulas as the TypeScript kernels in lib/backend/ts.ts).

/** Adagrad: m += g^2; w -= lr * g / sqrt(m + eps). */
export function adagrad(w: usize, g: usize, m: usize, n: i32, lr: f32, eps: f32): void {
  const nlr = f32x4.splat(-lr), ev = f32x4.splat(eps);
  const nb = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= nb; o += 16) {
    const gv = v128.load(g + o);
    const mv = fma(gv, gv, v128.load(m + o));
    v128.store(m + o, mv);
    v128.store(w + o, fma(nlr, f32x4.div(gv, f32x4.sqrt(f32x4.add(mv, ev))), v128.load(w + o)));
  }
  for (; o < nb; o += 4) {
    const gs = load<f32>(g + o);
    const ms = load<f32>(m + o) + gs * gs;
    store<f32>(m + o, ms);
    store<f32>(w + o, load<f32>(w + o) - lr * (gs / sqrt<f32>(ms + eps)));
  }
}

/** SGD: w -= lr * g. */
export function sgd(w: usize, g: usize, n: i32, lr: f32): void {
  const nlr = f32x4.splat(-lr);
  const nb = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= nb; o += 16) v128.store(w + o, fma(nlr, v128.load(g + o), v128.load(w + o)));
  for (; o < nb; o += 4) store<f32>(w + o, load<f32>(w + o) - lr * load<f32>(g + o));
}

/**
 * RMSProp: ms = rho ms + (1 - rho) g^2; w -= lr * g / (sqrt(ms) + eps), with a = 1 - rho from
 * the caller in f64 (as for Adam below).
 */
export function rmsprop(w: usize, g: usize, ms: usize, n: i32, lr: f32, rho: f32, a: f32, eps: f32): void {
  const nlr = f32x4.splat(-lr), rv = f32x4.splat(rho), av = f32x4.splat(a), ev = f32x4.splat(eps);
  const nb = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= nb; o += 16) {
    const gv = v128.load(g + o);
    const mv = fma(rv, v128.load(ms + o), f32x4.mul(av, f32x4.mul(gv, gv)));
    v128.store(ms + o, mv);
    v128.store(w + o, fma(nlr, f32x4.div(gv, f32x4.add(f32x4.sqrt(mv), ev)), v128.load(w + o)));
  }
  for (; o < nb; o += 4) {
    const gs = load<f32>(g + o);
    const mss = rho * load<f32>(ms + o) + a * gs * gs;
    store<f32>(ms + o, mss);
    store<f32>(w + o, load<f32>(w + o) - lr * (gs / (sqrt<f32>(mss) + eps)));
  }
}

/**
 * Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w -= lr (m / c1) / (sqrt(v / c2) + eps),
 * where c1, c2 are the bias corrections 1 - b1^t, 1 - b2^t, and a1 = 1 - b1, a2 = 1 - b2 come
 * from the caller in f64 (1 - b2 in f32 would be off by 5e-5 relative for b2 = 0.999).
 */
export function adam(
  w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, b1: f32, b2: f32, a1: f32, a2: f32,
  c1: f32, c2: f32, eps: f32,
): void {
  const b1v = f32x4.splat(b1), b2v = f32x4.splat(b2), a1v = f32x4.splat(a1), a2v = f32x4.splat(a2);
  const lrc = f32x4.splat(-lr / c1), ic2 = f32x4.splat(1 / c2), ev = f32x4.splat(eps);
  const nb = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= nb; o += 16) {
    const gv = v128.load(g + o);
    const mv = fma(b1v, v128.load(m + o), f32x4.mul(a1v, gv));
    const vv = fma(b2v, v128.load(v + o), f32x4.mul(a2v, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vv, ic2)), ev);
    v128.store(w + o, fma(lrc, f32x4.div(mv, den), v128.load(w + o)));
  }
  for (; o < nb; o += 4) {
    const gs = load<f32>(g + o);
    const ms = b1 * load<f32>(m + o) + a1 * gs;
    const vs = b2 * load<f32>(v + o) + a2 * gs * gs;
    store<f32>(m + o, ms);
    store<f32>(v + o, vs);
    store<f32>(w + o, load<f32>(w + o) - lr * (ms / c1) / (sqrt<f32>(vs / c2) + eps));
  }
}

/** a * b + c for f64x2 (exact products: f32 values squared fit in f64). */
@inline function fma64(a: v128, b: v128, c: v128): v128 {
  return f64x2.add(f64x2.mul(a, b), c);
}

/** Sum of squares of p[0..n), squared and accumulated in f64. */
export function sumSquares(p: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  const nb = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= nb; o += 16) {
    const v = v128.load(p + o);
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    s0 = fma64(lo, lo, s0);
    s1 = fma64(hi, hi, s1);
  }
  const t = f64x2.add(s0, s1);
  let s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  for (; o < nb; o += 4) {
    const x = <f64>load<f32>(p + o);
    s += x * x;
  }
  return s;
}

/** Clamps p[0..n) to [-limit, limit] in place; returns 1 when any entry changed, else 0. */
export function clampInPlace(p: usize, n: i32, limit: f32): i32 {
  const hv = f32x4.splat(limit), lv = f32x4.neg(hv);
  let out = i32x4.splat(0);
  const nb = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= nb; o += 16) {
    const v = v128.load(p + o);
    out = v128.or(out, f32x4.gt(f32x4.abs(v), hv));
    v128.store(p + o, f32x4.pmin(f32x4.pmax(v, lv), hv));
  }
  let changed = v128.any_true(out) ? 1 : 0;
  for (; o < nb; o += 4) {
    const v = load<f32>(p + o);
    if (v > limit) { store<f32>(p + o, limit); changed = 1; }
    else if (v < -limit) { store<f32>(p + o, -limit); changed = 1; }
  }
  return changed;
}

/** p[0..n) *= s. */
export function scaleInPlace(p: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  const nb = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= nb; o += 16) v128.store(p + o, f32x4.mul(v128.load(p + o), sv));
  for (; o < nb; o += 4) store<f32>(p + o, load<f32>(p + o) * s);
}

// ---------------------------------------------------------------------------------------------
// Recurrent cells: the gate math of one time step of B streams (lib/backend/cells_ts.ts has the
// same equations in TypeScript). A gate row (B, G*H) holds the G blocks of one stream side by
// side. Units are processed 4 at a time; the H % 4 left-over units go one by one through the
// same vector code (lane 0 of a splat), so every unit sees identical arithmetic.

/** A full vector at p, or p's one float in every lane. */
@inline function ld(p: usize, full: bool): v128 {
  return full ? v128.load(p) : v128.load32_splat(p);
}

/** Stores the vector at p, or only its lane 0. */
@inline function st(p: usize, v: v128, full: bool): void {
  if (full) v128.store(p, v);
  else v128.store32_lane(p, v, 0);
}

/** sigmoid(x) = 1/2 + tanh(x/2) / 2, on the tanh of tanhVec (after setExpConsts(one, 0.5)). */
@inline function sigmoidVec(x: v128, half: v128, cap: v128, two: v128, sign: v128): v128 {
  return fma(half, tanhVec(f32x4.mul(x, half), cap, two, sign), half);
}

/** y * (1 - y): the sigmoid's derivative from its output. */
@inline function dsig(y: v128, c1: v128): v128 {
  return f32x4.mul(y, f32x4.sub(c1, y));
}

/** 1 - y * y: tanh's derivative from its output. */
@inline function dtanh(y: v128, c1: v128): v128 {
  return f32x4.sub(c1, f32x4.mul(y, y));
}

/** dst[0..n) = a[0..n) * b[0..n) (dst may be a). */
export function multiply(dst: usize, a: usize, b: usize, n: i32): void {
  const nb = <usize>n << 2;
  let o: usize = 0;
  for (; o + 16 <= nb; o += 16) v128.store(dst + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  for (; o < nb; o += 4) store<f32>(dst + o, load<f32>(a + o) * load<f32>(b + o));
}

/** One LSTM unit group at byte offset o of a stream's rows (hb = H in bytes). */
@inline function lstmUnits(
  g: usize, cp: usize, c: usize, tc: usize, h: usize, hb: usize, full: bool,
  half: v128, cap: v128, two: v128, sign: v128,
): void {
  const i = sigmoidVec(ld(g, full), half, cap, two, sign);
  const f = sigmoidVec(ld(g + hb, full), half, cap, two, sign);
  const o = sigmoidVec(ld(g + 2 * hb, full), half, cap, two, sign);
  const gg = tanhVec(ld(g + 3 * hb, full), cap, two, sign);
  st(g, i, full); st(g + hb, f, full); st(g + 2 * hb, o, full); st(g + 3 * hb, gg, full);
  const cn = fma(f, ld(cp, full), f32x4.mul(i, gg)); // c_t = f c_{t-1} + i g
  const t = tanhVec(cn, cap, two, sign);
  st(c, cn, full); st(tc, t, full);
  st(h, f32x4.mul(o, t), full); // h_t = o tanh(c_t)
}

/**
 * LSTM forward of one step: gates(B,4H) pre-activations -> i, f, o, g in place;
 * c(B,H) = f cPrev + i g; tanhC(B,H) = tanh(c); h(B,H) = o tanhC. `one` must be 1.
 */
export function lstmForward(
  gates: usize, cPrev: usize, c: usize, tanhC: usize, h: usize, B: i32, H: i32, one: f32,
): void {
  setExpConsts(one, 0.5);
  const half = k(one, 0.5), cap = k(one, 9.0), two = k(one, 2.0);
  const sign = i32x4.splat(<i32>(one * -2147483648.0));
  const hb = <usize>H << 2, h16 = hb & ~15;
  for (let b = 0; b < B; b++) {
    const gb = gates + <usize>b * (hb << 2), sb = <usize>b * hb;
    let o: usize = 0;
    for (; o < h16; o += 16) {
      lstmUnits(gb + o, cPrev + sb + o, c + sb + o, tanhC + sb + o, h + sb + o, hb, true, half, cap, two, sign);
    }
    for (; o < hb; o += 4) {
      lstmUnits(gb + o, cPrev + sb + o, c + sb + o, tanhC + sb + o, h + sb + o, hb, false, half, cap, two, sign);
    }
  }
}

/** One LSTM unit group of the backward (see lstmBackward). */
@inline function lstmUnitsBack(
  g: usize, cp: usize, tc: usize, dh: usize, dc: usize, dg: usize, hb: usize, full: bool, c1: v128,
): void {
  const i = ld(g, full), f = ld(g + hb, full), o = ld(g + 2 * hb, full), gg = ld(g + 3 * hb, full);
  const t = ld(tc, full), dhv = ld(dh, full);
  const dcn = fma(f32x4.mul(dhv, o), dtanh(t, c1), ld(dc, full)); // dc_t += dh o (1 - tanh^2 c)
  st(dg, f32x4.mul(f32x4.mul(dcn, gg), dsig(i, c1)), full); // di = dc g, through sigmoid
  st(dg + hb, f32x4.mul(f32x4.mul(dcn, ld(cp, full)), dsig(f, c1)), full); // df = dc c_{t-1}
  st(dg + 2 * hb, f32x4.mul(f32x4.mul(dhv, t), dsig(o, c1)), full); // do = dh tanh(c_t)
  st(dg + 3 * hb, f32x4.mul(f32x4.mul(dcn, i), dtanh(gg, c1)), full); // dg = dc i, through tanh
  st(dc, f32x4.mul(dcn, f), full); // dc_{t-1} = dc_t f
}

/**
 * LSTM backward of one step: from the activations gates(B,4H), cPrev(B,H), tanhC(B,H) and
 * dh(B,H) (the whole dL/dh_t), writes dGates(B,4H) and turns dc(B,H) from dL/dc_t (the part
 * not through h_t) into dL/dc_{t-1}. `one` must be 1.
 */
export function lstmBackward(
  gates: usize, cPrev: usize, tanhC: usize, dh: usize, dc: usize, dGates: usize, B: i32, H: i32,
  one: f32,
): void {
  const c1 = f32x4.splat(one);
  const hb = <usize>H << 2, h16 = hb & ~15;
  for (let b = 0; b < B; b++) {
    const gb = gates + <usize>b * (hb << 2), db = dGates + <usize>b * (hb << 2);
    const sb = <usize>b * hb;
    let o: usize = 0;
    for (; o < h16; o += 16) {
      lstmUnitsBack(gb + o, cPrev + sb + o, tanhC + sb + o, dh + sb + o, dc + sb + o, db + o, hb, true, c1);
    }
    for (; o < hb; o += 4) {
      lstmUnitsBack(gb + o, cPrev + sb + o, tanhC + sb + o, dh + sb + o, dc + sb + o, db + o, hb, false, c1);
    }
  }
}

/** One GRU unit group (see gruForward); bn points at bhn for these units. */
@inline function gruUnits(
  g: usize, ah: usize, bn: usize, hp: usize, h: usize, hn: usize, hb: usize, full: bool,
  half: v128, cap: v128, two: v128, sign: v128,
): void {
  const r = sigmoidVec(f32x4.add(ld(g, full), ld(ah, full)), half, cap, two, sign);
  const z = sigmoidVec(f32x4.add(ld(g + hb, full), ld(ah + hb, full)), half, cap, two, sign);
  const hnv = f32x4.add(ld(ah + 2 * hb, full), ld(bn, full)); // Wh_n h_{t-1} + bhn
  const n = tanhVec(fma(r, hnv, ld(g + 2 * hb, full)), cap, two, sign);
  st(g, r, full); st(g + hb, z, full); st(g + 2 * hb, n, full);
  st(hn, hnv, full);
  st(h, fma(z, f32x4.sub(ld(hp, full), n), n), full); // h_t = (1 - z) n + z h_{t-1}
}

/**
 * GRU forward of one step: gates(B,3H) input side -> r, z, n in place, given the hidden side
 * ah(B,3H), bhn(H) and hPrev(B,H); writes h(B,H) and hn(B,H) = Wh_n h_{t-1} + bhn.
 * `one` must be 1.
 */
export function gruForward(
  gates: usize, ah: usize, bhn: usize, hPrev: usize, h: usize, hn: usize, B: i32, H: i32,
  one: f32,
): void {
  setExpConsts(one, 0.5);
  const half = k(one, 0.5), cap = k(one, 9.0), two = k(one, 2.0);
  const sign = i32x4.splat(<i32>(one * -2147483648.0));
  const hb = <usize>H << 2, h16 = hb & ~15;
  for (let b = 0; b < B; b++) {
    const gb = gates + <usize>b * hb * 3, ab = ah + <usize>b * hb * 3, sb = <usize>b * hb;
    let o: usize = 0;
    for (; o < h16; o += 16) {
      gruUnits(gb + o, ab + o, bhn + o, hPrev + sb + o, h + sb + o, hn + sb + o, hb, true, half, cap, two, sign);
    }
    for (; o < hb; o += 4) {
      gruUnits(gb + o, ab + o, bhn + o, hPrev + sb + o, h + sb + o, hn + sb + o, hb, false, half, cap, two, sign);
    }
  }
}

/** One GRU unit group of the backward (see gruBackward). */
@inline function gruUnitsBack(
  g: usize, hn: usize, hp: usize, dh: usize, dax: usize, dah: usize, dbn: usize, dhp: usize,
  hb: usize, full: bool, c1: v128,
): void {
  const r = ld(g, full), z = ld(g + hb, full), n = ld(g + 2 * hb, full), dhv = ld(dh, full);
  const dan = f32x4.mul(f32x4.mul(dhv, f32x4.sub(c1, z)), dtanh(n, c1)); // dn = dh (1 - z)
  const daz = f32x4.mul(f32x4.mul(dhv, f32x4.sub(ld(hp, full), n)), dsig(z, c1)); // dz
  const dar = f32x4.mul(f32x4.mul(dan, ld(hn, full)), dsig(r, c1)); // dr = dan hn
  const danr = f32x4.mul(dan, r); // d(Wh_n h_{t-1} + bhn) = dan r
  st(dax, dar, full); st(dax + hb, daz, full); st(dax + 2 * hb, dan, full);
  st(dah, dar, full); st(dah + hb, daz, full); st(dah + 2 * hb, danr, full);
  st(dbn, f32x4.add(ld(dbn, full), danr), full); // dbhn += dan r
  st(dhp, fma(dhv, z, ld(dhp, full)), full); // dh_{t-1} += z dh_t
}

/**
 * GRU backward of one step: from the activations gates(B,3H), hn(B,H), hPrev(B,H) and
 * dh(B,H) (the whole dL/dh_t), writes dax(B,3H) and dah(B,3H), adds dan r into dbhn(H) and
 * z dh into dhPrev(B,H). `one` must be 1.
 */
export function gruBackward(
  gates: usize, hn: usize, hPrev: usize, dh: usize, dax: usize, dah: usize, dbhn: usize,
  dhPrev: usize, B: i32, H: i32, one: f32,
): void {
  const c1 = f32x4.splat(one);
  const hb = <usize>H << 2, h16 = hb & ~15;
  for (let b = 0; b < B; b++) {
    const rb = <usize>b * hb * 3, sb = <usize>b * hb;
    let o: usize = 0;
    for (; o < h16; o += 16) {
      gruUnitsBack(gates + rb + o, hn + sb + o, hPrev + sb + o, dh + sb + o, dax + rb + o, dah + rb + o, dbhn + o, dhPrev + sb + o, hb, true, c1);
    }
    for (; o < hb; o += 4) {
      gruUnitsBack(gates + rb + o, hn + sb + o, hPrev + sb + o, dh + sb + o, dax + rb + o, dah + rb + o, dbhn + o, dhPrev + sb + o, hb, false, c1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Layer normalisation of blocks of H floats (lib/backend/norm_ts.ts has the same equations): a
// row (R) holds R/H blocks; block k of the input starts at k*H, its gain and bias at (k*H) % R.
// Each block goes 4 floats at a time, then its H % 4 left-over floats one by one.

/** Sum of n floats at p (two chains of 4 lanes, then the tail). */
@inline function sumOf(p: usize, n: i32): f32 {
  const nb = <usize>n << 2, n16 = nb & ~15, n32 = nb & ~31;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let o: usize = 0;
  for (; o < n32; o += 32) {
    a0 = f32x4.add(a0, v128.load(p + o));
    a1 = f32x4.add(a1, v128.load(p + o, 16));
  }
  if (o < n16) (a0 = f32x4.add(a0, v128.load(p + o)), o += 16);
  let s = hsum(f32x4.add(a0, a1));
  for (; o < nb; o += 4) s += load<f32>(p + o);
  return s;
}

/** Sum of (x - mu)^2 over n floats at p (two chains of 4 lanes, then the tail). */
@inline function squaredDeviations(p: usize, n: i32, mu: f32): f32 {
  const nb = <usize>n << 2, n16 = nb & ~15, n32 = nb & ~31, muv = f32x4.splat(mu);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let o: usize = 0;
  for (; o < n32; o += 32) {
    const d0 = f32x4.sub(v128.load(p + o), muv), d1 = f32x4.sub(v128.load(p + o, 16), muv);
    a0 = fma(d0, d0, a0);
    a1 = fma(d1, d1, a1);
  }
  if (o < n16) {
    const d = f32x4.sub(v128.load(p + o), muv);
    a0 = fma(d, d, a0);
    o += 16;
  }
  let v = hsum(f32x4.add(a0, a1));
  for (; o < nb; o += 4) {
    const d = load<f32>(p + o) - mu;
    v += d * d;
  }
  return v;
}

/**
 * y(M,R) = gain xhat + bias (+ y with accumulate) for blocks of H; writes xhat(M,R) and
 * rstd(blocks) = 1 / sqrt(var + eps). bias = 0 (with hasBias 0) for none; y may be x.
 */
export function layerNorm(
  x: usize, gain: usize, bias: usize, hasBias: i32, y: usize, xhat: usize, rstd: usize,
  blocks: i32, H: i32, R: i32, accumulate: i32, eps: f32,
): void {
  const hb = <usize>H << 2, h16 = hb & ~15, rb = <usize>R << 2;
  const inv = <f32>1 / <f32>H;
  for (let k = 0; k < blocks; k++) {
    const o = <usize>k * hb, p = o % rb, xo = x + o;
    const mu = sumOf(xo, H) * inv;
    const muv = f32x4.splat(mu);
    const s = <f32>1 / Mathf.sqrt(squaredDeviations(xo, H, mu) * inv + eps);
    store<f32>(rstd + (<usize>k << 2), s);
    const sv = f32x4.splat(s);
    const go = gain + p, bo = bias + p, xho = xhat + o, yo = y + o;
    let j: usize = 0;
    for (; j < h16; j += 16) {
      const xh = f32x4.mul(f32x4.sub(v128.load(xo + j), muv), sv);
      v128.store(xho + j, xh);
      let out = f32x4.mul(v128.load(go + j), xh);
      if (hasBias) out = f32x4.add(out, v128.load(bo + j));
      if (accumulate) out = f32x4.add(out, v128.load(yo + j));
      v128.store(yo + j, out);
    }
    for (; j < hb; j += 4) {
      const xh = (load<f32>(xo + j) - mu) * s;
      store<f32>(xho + j, xh);
      let out = load<f32>(go + j) * xh;
      if (hasBias) out += load<f32>(bo + j);
      if (accumulate) out += load<f32>(yo + j);
      store<f32>(yo + j, out);
    }
  }
}

/**
 * Backward of layerNorm: dx(M,R) = s (gain dy - mean(gain dy) - xhat mean(gain dy xhat)) per
 * block; dgain(R) += dy xhat; dbias(R) += dy when hasBias. dx may be dy.
 */
export function layerNormBackward(
  dy: usize, xhat: usize, rstd: usize, gain: usize, dgain: usize, dbias: usize, hasBias: i32,
  dx: usize, blocks: i32, H: i32, R: i32,
): void {
  const hb = <usize>H << 2, h16 = hb & ~15, rb = <usize>R << 2;
  const inv = <f32>1 / <f32>H;
  for (let k = 0; k < blocks; k++) {
    const o = <usize>k * hb, p = o % rb;
    const dyo = dy + o, xho = xhat + o, go = gain + p, dgo = dgain + p, dbo = dbias + p;
    let a1 = f32x4.splat(0), a2 = f32x4.splat(0);
    let j: usize = 0;
    for (; j < h16; j += 16) {
      const d = v128.load(dyo + j), xh = v128.load(xho + j);
      const dxh = f32x4.mul(v128.load(go + j), d);
      a1 = f32x4.add(a1, dxh);
      a2 = fma(dxh, xh, a2);
      v128.store(dgo + j, fma(d, xh, v128.load(dgo + j)));
      if (hasBias) v128.store(dbo + j, f32x4.add(v128.load(dbo + j), d));
    }
    let m1 = hsum(a1), m2 = hsum(a2);
    for (; j < hb; j += 4) {
      const d = load<f32>(dyo + j), xh = load<f32>(xho + j), dxh = load<f32>(go + j) * d;
      m1 += dxh;
      m2 += dxh * xh;
      store<f32>(dgo + j, load<f32>(dgo + j) + d * xh);
      if (hasBias) store<f32>(dbo + j, load<f32>(dbo + j) + d);
    }
    m1 *= inv;
    m2 *= inv;
    const s = load<f32>(rstd + (<usize>k << 2));
    const sv = f32x4.splat(s), m1v = f32x4.splat(m1), m2v = f32x4.splat(m2), dxo = dx + o;
    for (j = 0; j < h16; j += 16) {
      const dxh = f32x4.mul(v128.load(go + j), v128.load(dyo + j));
      const c = f32x4.sub(f32x4.sub(dxh, m1v), f32x4.mul(v128.load(xho + j), m2v));
      v128.store(dxo + j, f32x4.mul(sv, c));
    }
    for (; j < hb; j += 4) {
      const dxh = load<f32>(go + j) * load<f32>(dyo + j);
      store<f32>(dxo + j, s * (dxh - m1 - load<f32>(xho + j) * m2));
    }
  }
}
