/**
 * Sending mime bundles to the notebook: the kernel's display function, and a send that keeps
 * every message under the size bound (`pieces.ts`).
 *
 * @module
 */
import { type Bundle, splitBundle } from "./pieces.ts";

/** Options of a raw Jupyter display, as taken by `Deno.jupyter.display`. */
export interface RawDisplayOptions {
  /** Send the bundle as is (always true here). */
  raw: true;
  /** Id that later updates refer to. */
  display_id?: string;
  /** Replace the output with this `display_id` instead of adding one. */
  update?: boolean;
}

/** A function like `Deno.jupyter.display`, which sends a mime bundle to the notebook. */
export type DisplayFunction = (
  bundle: Record<string, unknown>,
  options: RawDisplayOptions,
) => Promise<void> | void;

/**
 * `Deno.jupyter.display`, bound, for code that runs in the Deno kernel.
 *
 * @param what What needs it, for the error message, e.g. "show a live plot".
 * @returns The kernel's display function.
 * @throws {Error} Outside the Deno Jupyter kernel.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => kernelDisplay("show a plot"), /only defined inside the Deno Jupyter kernel/);
 * ```
 */
export function kernelDisplay(what: string): DisplayFunction {
  const jupyter = kernelJupyter();
  if (jupyter === null) {
    throw new Error(
      `Cannot ${what}: Deno.jupyter is only defined inside the Deno Jupyter kernel; ` +
        "run this in a notebook or pass options.display",
    );
  }
  return jupyter.display.bind(jupyter) as DisplayFunction;
}

/**
 * `Deno.jupyter`, or null outside the Deno kernel (where reading it throws).
 *
 * @returns The kernel's API, or null.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(kernelJupyter(), null); // deno test is not a kernel
 * ```
 */
export function kernelJupyter(): typeof Deno.jupyter | null {
  try {
    return Deno.jupyter;
  } catch {
    return null;
  }
}

/**
 * Sends a bundle as one output, in pieces when it is larger than the message bound. An update of
 * an existing output (`update: true`) cannot be split and must fit.
 *
 * @param bundle The mime bundle.
 * @param display Where it goes.
 * @param options `display_id` and `update`, as for `Deno.jupyter.display`.
 * @throws {RangeError} When an update does not fit in one message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const sent: Record<string, unknown>[] = [];
 * await sendBundle({ "text/plain": "hi" }, (b) => void sent.push(b));
 * assert.deepEqual(sent, [{ "text/plain": "hi" }]);
 * ```
 */
export async function sendBundle(
  bundle: Bundle,
  display: DisplayFunction,
  options: Omit<RawDisplayOptions, "raw"> = {},
): Promise<void> {
  const parts = await splitBundle(bundle);
  if (parts.length > 1 && options.update) {
    throw new RangeError(
      "Cannot update a display with a bundle over the message bound; show a smaller figure",
    );
  }
  for (const [i, part] of parts.entries()) {
    await display(part, i === parts.length - 1 ? { raw: true, ...options } : { raw: true });
  }
}
