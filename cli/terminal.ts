/**
 * Where the training CLI writes: a live `\r`-updated status line on stderr when
 * it is a terminal (plain lines otherwise), and log text on stdout that never
 * gets mixed into the status line.
 *
 * @module
 */
import { fitToWidth } from "../lib/report/progress.ts";

const encoder = new TextEncoder();

/** Writes all of `text`, looping over partial writes. */
function writeAllSync(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

/** Terminal width of the console, or 100 when unknown. */
function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns || 100;
  } catch {
    return 100;
  }
}

/** The CLI's output: status line, log text (stdout) and notes (stderr). */
export class Output {
  /** Whether the status line is redrawn in place (stderr is a terminal). */
  readonly live: boolean;
  #shown = false;
  #lastDraw = -Infinity;
  #minIntervalMs: number;

  /**
   * @param options `live`: redraw in place (default: whether stderr is a terminal);
   * `minIntervalMs`: minimum time between redraws (default 100).
   */
  constructor(options: { live?: boolean; minIntervalMs?: number } = {}) {
    this.live = options.live ?? Deno.stderr.isTerminal();
    this.#minIntervalMs = options.minIntervalMs ?? 100;
  }

  /**
   * Shows a progress line. Live: redraws it in place (throttled) and, when
   * `keep`, leaves it in the scrollback. Plain: prints it only when `keep`.
   *
   * @param line The progress text.
   * @param keep Whether this line stays (every --print-every steps).
   */
  progress(line: string, keep: boolean): void {
    if (!this.live) {
      if (keep) writeAllSync(Deno.stderr, line + "\n");
      return;
    }
    const now = performance.now();
    if (!keep && this.#shown && now - this.#lastDraw < this.#minIntervalMs) return;
    const text = "\r" + fitToWidth(line, consoleColumns()) + "\x1b[K";
    writeAllSync(Deno.stderr, keep ? text + "\n" : text);
    this.#shown = !keep;
    this.#lastDraw = now;
  }

  /**
   * Prints log text (header, validation, samples, summary) on stdout.
   *
   * @param text Text; a line break is added.
   */
  log(text: string): void {
    this.clear();
    writeAllSync(Deno.stdout, text + "\n");
  }

  /**
   * Prints a message on stderr (interrupt notices).
   *
   * @param text Text; a line break is added.
   */
  note(text: string): void {
    this.clear();
    writeAllSync(Deno.stderr, text + "\n");
  }

  /** Width available to the status line: terminal columns - 1 when live, else unlimited. */
  get columns(): number {
    return this.live ? consoleColumns() - 1 : Infinity;
  }

  /** Removes the live status line, if shown. */
  clear(): void {
    if (!this.#shown) return;
    writeAllSync(Deno.stderr, "\r\x1b[K");
    this.#shown = false;
  }
}
