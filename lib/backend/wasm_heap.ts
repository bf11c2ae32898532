/**
 * The memory of a WebAssembly backend: one shared `WebAssembly.Memory` (shared, so growing it
 * never detaches the arrays already handed out, and OpenBLAS can read them through FFI) with a
 * first-fit allocator of 64-byte aligned blocks and reuse of freed ones.
 *
 * @module
 */
import type { FloatArray } from "../core/tensor.ts";

const PAGE = 65536;
const MAX_PAGES = 16384; // 1 GiB, as declared by the module (build.ts --maximumMemory)
const ALIGN = 64; // bytes: one cache line

/** Zeroed typed arrays handed out from one shared WebAssembly memory; see the module doc. */
export class WasmHeap {
  /** The memory, imported by the kernels module as `env.memory`. */
  readonly memory: WebAssembly.Memory = new WebAssembly.Memory({
    initial: 16,
    maximum: MAX_PAGES,
    shared: true,
  });
  #buffers = new WeakSet<ArrayBufferLike>(); // every buffer object of the memory handed out
  #top = ALIGN; // first never-used byte; offset 0 is kept unused
  #free: { ptr: number; size: number }[] = []; // sorted by ptr
  #sizes = new Map<number, number>(); // ptr -> block size of live blocks

  /**
   * Creates an empty heap.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const heap = new WasmHeap();
   * const a = heap.float32(4);
   * heap.free(a);
   * assert.equal(heap.int32(2).byteOffset, a.byteOffset); // the freed block, reused
   * ```
   */
  constructor() {
    this.#buffers.add(this.memory.buffer);
  }

  /**
   * A zeroed float32 array.
   *
   * @param n Elements.
   * @returns A view on the memory.
   * @throws {RangeError} beyond the 1 GiB the module declares.
   */
  float32(n: number): Float32Array {
    const ptr = this.#allocBytes(n * 4); // first: it may grow the memory
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /**
   * A zeroed int32 array.
   *
   * @param n Elements.
   * @returns A view on the memory.
   * @throws {RangeError} beyond the 1 GiB the module declares.
   */
  int32(n: number): Int32Array {
    const ptr = this.#allocBytes(n * 4);
    return new Int32Array(this.memory.buffer, ptr, n);
  }

  /**
   * Returns an array's block for reuse; arrays of other memories are ignored.
   *
   * @param a An array from this heap; it must not be used afterwards.
   */
  free(a: FloatArray | Int32Array): void {
    const ptr = a.byteOffset, size = this.#sizes.get(ptr);
    if (size === undefined || !this.#buffers.has(a.buffer)) return;
    this.#sizes.delete(ptr);
    const list = this.#free;
    let i = 0;
    while (i < list.length && list[i]!.ptr < ptr) i++;
    list.splice(i, 0, { ptr, size });
    // merge with the next and the previous block
    const next = list[i + 1];
    if (next && ptr + size === next.ptr) (list[i]!.size += next.size, list.splice(i + 1, 1));
    const prev = list[i - 1];
    if (prev && prev.ptr + prev.size === ptr) (prev.size += list[i]!.size, list.splice(i, 1));
  }

  #allocBytes(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let ptr = -1;
    const i = this.#free.findIndex((b) => b.size >= size);
    if (i >= 0) {
      const block = this.#free[i]!;
      ptr = block.ptr;
      if (block.size === size) this.#free.splice(i, 1);
      else (block.ptr += size, block.size -= size);
    } else {
      ptr = this.#top;
      this.#top += size;
      const have = this.memory.buffer.byteLength;
      if (this.#top > have) {
        const pages = Math.ceil((this.#top - have) / PAGE);
        if (have / PAGE + pages > MAX_PAGES) {
          throw new RangeError(
            `Cannot allocate ${bytes} bytes: the wasm backend is limited to 1 GiB; ` +
              `use a smaller model or batch, or the ts backend`,
          );
        }
        this.memory.grow(Math.max(pages, Math.ceil(have / PAGE / 4))); // grow by >= 25%
        this.#buffers.add(this.memory.buffer);
      }
    }
    // never-used memory is zero; a reused block is cleared
    if (i >= 0) new Uint8Array(this.memory.buffer, ptr, size).fill(0);
    this.#sizes.set(ptr, size);
    return ptr;
  }
}
