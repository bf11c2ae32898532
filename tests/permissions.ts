/**
 * Skipping the tests that need a permission this run lacks. Deno reads test permissions from
 * deno.json only with `-P`, so a bare `deno test` grants none: it runs the tests that need none
 * (the gradient checks among them) and skips the rest, while `deno task test` grants all and
 * runs every test.
 *
 * @module
 */

/** The project folder, ending in "/". */
const ROOT = new URL("..", import.meta.url).href;
/** Permissions that tests of this file needed and this run lacks. */
const lacking = new Set<Deno.PermissionName>();

/**
 * Whether this run holds every named permission in full (`--allow-<name>` with no list).
 *
 * @param names Permissions.
 * @returns True when all are granted.
 */
export function granted(...names: Deno.PermissionName[]): boolean {
  return names.every((name) => Deno.permissions.querySync({ name }).state === "granted");
}

/**
 * The `ignore` flag of a test that needs these permissions: true when one is not granted. The
 * test file then prints one line after its tests, naming what was missing and that
 * `deno task test` runs those tests.
 *
 * @param names The permissions the test needs.
 * @returns Whether to skip the test, e.g. `Deno.test(name, { ignore: needs("write") }, fn)`.
 */
export function needs(...names: Deno.PermissionName[]): boolean {
  const missing = names.filter((name) => !granted(name));
  if (missing.length === 0) return false;
  if (lacking.size === 0) globalThis.addEventListener("unload", report);
  for (const name of missing) lacking.add(name);
  return true;
}

function report(): void {
  const file = Deno.mainModule.replace(ROOT, "");
  const flags = [...lacking].map((name) => `--allow-${name}`).join(" ");
  console.log(`${file}: skipped the tests that need ${flags}; \`deno task test\` runs them`);
}
