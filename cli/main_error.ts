/**
 * The top-level handler of every CLI command: expected errors become one line
 * `error: <message>` on stderr and an exit code, never a stack trace.
 *
 * @module
 */
import { UsageError } from "./args.ts";

/**
 * Formats an error as the single stderr line the CLI prints.
 *
 * @param error Any error.
 * @returns `error: <message>`, with line breaks folded into spaces.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * assertEquals(formatError(new Error("Bad\nthing")), "error: Bad thing");
 * ```
 */
export function formatError(error: Error): string {
  const message = error.message.trim().replace(/\s*\n\s*/g, " ") || error.name;
  return `error: ${message}`;
}

/**
 * The exit code for an error: 2 for command-line mistakes, the error's own `exitCode` when it
 * has one (3: training diverged), 1 for anything else.
 *
 * @param error Any error.
 * @returns The exit code.
 * @example
 * ```ts
 * import { assertEquals } from "../tests/assert.ts";
 * import { UsageError } from "./args.ts";
 * assertEquals(exitCodeOf(new UsageError("x")), 2);
 * ```
 */
export function exitCodeOf(error: Error): number {
  if (error instanceof UsageError) return 2;
  const code = (error as { exitCode?: unknown }).exitCode;
  return typeof code === "number" && Number.isInteger(code) && code > 0 ? code : 1;
}

/**
 * Runs a command's main function and exits with its code. An `Error` thrown by
 * it is printed as one line (see {@linkcode formatError}); anything else is
 * rethrown, so real bugs that throw non-errors still show a stack.
 *
 * @param main The command; resolves to its exit code.
 * @param args Its arguments, default `Deno.args`.
 * @returns Never: the process exits.
 */
export async function runMain(
  main: (args: string[]) => Promise<number>,
  args: string[] = Deno.args,
): Promise<never> {
  let code: number;
  try {
    code = await main(args);
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    // `deno task sample | head`: the reader left; that is not an error
    if (error instanceof Deno.errors.BrokenPipe) Deno.exit(0);
    console.error(formatError(error));
    code = exitCodeOf(error);
  }
  Deno.exit(code);
}
