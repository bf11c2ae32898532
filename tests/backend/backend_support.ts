/**
 * Shared by the engine tests: whether OpenBLAS loads here, and a test per backend.
 *
 * @module
 */
import { createEngine, type Engine, type EngineKind } from "../../lib/backend/create.ts";
import { openBlas } from "../../lib/backend/openblas.ts";

/** Whether the system's OpenBLAS loads (its tests are ignored otherwise). */
export const HAS_BLAS: boolean = (() => {
  try {
    return openBlas() !== null;
  } catch {
    return false;
  }
})();

/** The backends every fast-path test runs on. */
export const BACKENDS: readonly EngineKind[] = ["ts", "wasm", "openblas"];

/**
 * Registers one test per backend, named `${name} (${kind})`; OpenBLAS is skipped where missing.
 *
 * @param name The test's name.
 * @param fn The test body, given a fresh engine of that backend.
 */
export function backendTest(name: string, fn: (engine: Engine) => void | Promise<void>): void {
  for (const kind of BACKENDS) {
    Deno.test({
      name: `${name} (${kind})`,
      ignore: kind === "openblas" && !HAS_BLAS,
      fn: () => fn(createEngine({ kind, threads: 2 })),
    });
  }
}
