/**
 * The output head of every model: a linear layer from the top hidden states to V logits and
 * the mean softmax cross-entropy, written once against the {@linkcode Backend} interface.
 *
 *   Y = D Why^T + by                  one (N,H) x (H,V) product over all N positions
 *   loss = mean over n of -log softmax(Y_n)[target_n]
 *   dY = (softmax(Y) - onehot) / N;  dWhy += dY^T D;  dby += sum of dY;  dD = dY Why
 *
 * Legend: V = vocabulary size, H = hidden size, N = positions of a chunk (T*B, time-major),
 * B = streams of one step.
 *
 * @module
 */
import type { GemmKernel } from "../backend/gemm.ts";
import type { Backend } from "../backend/types.ts";
import type { Rng } from "../core/rng.ts";
import { backendTensor, type FloatArray, type Params } from "../core/tensor.ts";

/** Buffers and planned products of one chunk of N positions. */
interface Chunk {
  N: number;
  ys: Int32Array; // (N) targets
  logits: FloatArray; // (N, V) logits, then probabilities, then dY
  stats: FloatArray; // (N, 2) softmax sums and picked logits
  top: FloatArray; // (N, H) the input D of the last forward (a view, not owned)
  output: GemmKernel; // Y = D Why^T                   (N,H) x (V,H)^T
  backW: GemmKernel; // dWhy += dY^T D                  (N,V)^T x (N,H)
  backD: GemmKernel; // dD = dY Why                     (N,V) x (V,H)
}

/** The linear + softmax cross-entropy output layer; see the module doc. */
export class OutputHead {
  /** `{ Why (V, H), by (V) }`. */
  readonly params: Params;
  /** Gradients, same names and shapes; `backward` adds into them. */
  readonly grads: Params;
  #backend: Backend;
  #V: number;
  #H: number;
  #chunk: Chunk | null = null;
  #steps = new Map<number, { y: FloatArray; out: GemmKernel }>(); // per B

  /**
   * Creates `Why` with Gaussian values from `rng` and a zero `by`.
   *
   * @param backend The model's backend.
   * @param rng Source of the initial weights; `null` leaves them zero (to be loaded).
   * @param options Vocabulary size V, hidden size H, init scale (default `1 / sqrt(H)`).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { createBackend } from "../backend/create.ts";
   * import { Rng } from "../core/rng.ts";
   * const backend = createBackend({ kind: "f64" });
   * const head = new OutputHead(backend, new Rng(1), { vocabSize: 4, hiddenSize: 3 });
   * const loss = head.forward(backend.alloc(2 * 3), Int32Array.of(0, 3)); // D = 0: uniform
   * assert.ok(Math.abs(loss - Math.log(4)) < 1e-12);
   * ```
   */
  constructor(
    backend: Backend,
    rng: Rng | null,
    options: { vocabSize: number; hiddenSize: number; initScale?: number },
  ) {
    const { vocabSize: V, hiddenSize: H } = options;
    const scale = options.initScale ?? 1 / Math.sqrt(H);
    this.#backend = backend;
    this.#V = V;
    this.#H = H;
    this.params = {
      Why: backendTensor(backend, [V, H], rng ? { scale, rng } : undefined), // top to output
      by: backendTensor(backend, [V]), // output bias
    };
    this.grads = { Why: backendTensor(backend, [V, H]), by: backendTensor(backend, [V]) };
  }

  /**
   * The mean loss of a chunk; keeps the probabilities for {@linkcode OutputHead.backward}.
   *
   * @param top `(N, H)` top-layer outputs D, from the backend (kept by reference).
   * @param targets `(N)` target indices (already checked against V).
   * @returns Mean cross-entropy per position, in nats.
   */
  forward(top: FloatArray, targets: Int32Array): number {
    const c = this.#chunkFor(targets.length);
    c.ys.set(targets);
    c.top = top;
    c.output(top, this.params.Why!.data, c.logits); // Y = D Why^T
    this.#backend.softmaxRows(c.logits, this.params.by!.data, c.ys, c.stats); // + by, softmax
    let loss = 0;
    const stats = c.stats;
    for (let n = 0; n < c.N; n++) loss += Math.log(stats[2 * n]!) - stats[2 * n + 1]!;
    return loss / c.N;
  }

  /**
   * Backward of the last forward: adds into `grads` and writes dL/dD.
   *
   * @param dTop `(N, H)` output: the gradient of the mean loss w.r.t. the forward's `top`.
   */
  backward(dTop: FloatArray): void {
    const c = this.#chunk;
    if (!c) throw new Error("Cannot run backward: call forward first");
    this.#backend.softmaxBackward(c.logits, c.ys, this.grads.by!.data, 1 / c.N); // dY
    c.backW(c.logits, c.top, this.grads.Why!.data); // dWhy += dY^T D
    c.backD(c.logits, this.params.Why!.data, dTop); // dD = dY Why
  }

  /**
   * The logits of one step of B streams (no softmax, nothing kept).
   *
   * @param top `(B, H)` top-layer outputs, from the backend.
   * @param logits `(B, V)` output.
   */
  step(top: FloatArray, logits: Float64Array): void {
    const V = this.#V, B = top.length / this.#H;
    let s = this.#steps.get(B);
    if (!s) {
      const out = this.#backend.gemm({ m: B, n: V, k: this.#H, transB: true });
      this.#steps.set(B, s = { y: this.#backend.alloc(B * V), out });
    }
    s.out(top, this.params.Why!.data, s.y); // y = h Why^T
    const y = s.y, by = this.params.by!.data;
    for (let k = 0; k < B * V; k++) logits[k] = y[k]! + by[k % V]!; // + by
  }

  #chunkFor(N: number): Chunk {
    const old = this.#chunk;
    if (old && old.N === N) return old;
    const backend = this.#backend, V = this.#V, H = this.#H;
    if (old) { for (const a of [old.ys, old.logits, old.stats]) backend.free(a); }
    return this.#chunk = {
      N,
      ys: backend.allocInt32(N),
      logits: backend.alloc(N * V),
      stats: backend.alloc(2 * N),
      top: new Float64Array(0),
      output: backend.gemm({ m: N, n: V, k: H, transB: true }),
      backW: backend.gemm({ m: V, n: H, k: N, transA: true, beta: 1 }),
      backD: backend.gemm({ m: N, n: H, k: V }),
    };
  }
}
