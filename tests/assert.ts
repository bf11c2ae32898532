/**
 * Assertions for tests and doc examples, re-exported from `node:assert/strict`
 * under the names Deno users know.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Asserts deep equality. */
export const assertEquals: (actual: unknown, expected: unknown, message?: string) => void =
  assert.deepStrictEqual;
/** Asserts that a value is truthy. */
export const assertOk: (value: unknown, message?: string) => asserts value = assert.ok;
/** Asserts that `fn` throws an error whose message matches `pattern`. */
export function assertThrows(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, pattern);
}
/** Asserts that the promise rejects with an error whose message matches `pattern`. */
export async function assertRejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(fn, pattern);
}
/** Asserts `|actual - expected| <= tol`. */
export function assertClose(actual: number, expected: number, tol = 1e-9, message?: string): void {
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new assert.AssertionError({
      message: message ?? `Expected ${actual} to be within ${tol} of ${expected}`,
      actual,
      expected,
    });
  }
}
