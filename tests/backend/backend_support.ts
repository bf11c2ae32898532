/**
 * Shared by the backend and model tests: whether OpenBLAS loads here, and a test per float32
 * backend.
 *
 * @module
 */
import { createBackend } from "../../lib/backend/create.ts";
import { openBlas } from "../../lib/backend/openblas.ts";
import type { Backend, BackendKind } from "../../lib/backend/types.ts";
import { needs } from "../permissions.ts";

/** Whether the system's OpenBLAS loads (its tests are ignored otherwise). */
export const HAS_BLAS: boolean = (() => {
  try {
    return openBlas() !== null;
  } catch {
    return false;
  }
})();

/** The float32 backends, each held to the `f64` reference. */
export const FLOAT32_BACKENDS: readonly BackendKind[] = ["ts", "wasm", "openblas"];

/**
 * Registers one test per float32 backend, named `${name} (${kind})`; OpenBLAS is skipped
 * where missing.
 *
 * @param name The test's name.
 * @param fn The test body, given a fresh backend of that kind.
 */
export function backendTest(name: string, fn: (backend: Backend) => void | Promise<void>): void {
  for (const kind of FLOAT32_BACKENDS) {
    Deno.test({
      name: `${name} (${kind})`,
      ignore: kind === "openblas" && (needs("ffi") || !HAS_BLAS),
      fn: () => fn(createBackend({ kind, threads: 2 })),
    });
  }
}

/**
 * The largest absolute difference between two arrays, printed like llm.c's `check_tensor`
 * (`name OK, maxdiff 1.2e-7` or `name NOT OK ...`), and returned.
 *
 * @param name What is compared.
 * @param actual The float32 backend's values.
 * @param expected The f64 backend's values.
 * @param tol The largest difference allowed (only for the printed verdict).
 * @returns The max difference.
 */
export function maxDiff(
  name: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
): number {
  if (actual.length !== expected.length) {
    throw new Error(`${name}: ${actual.length} values vs ${expected.length}`);
  }
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= worst)) worst = d; // NaN wins
  }
  console.log(
    `  ${name.padEnd(28)} ${worst <= tol ? "OK" : "NOT OK"}, maxdiff ${worst.toExponential(2)}`,
  );
  return worst;
}
