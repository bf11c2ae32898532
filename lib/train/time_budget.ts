/**
 * A run's time budget (`config.maxMinutes`), counted from what earlier sessions of the run spent.
 * It reads a clock and writes nothing: the trainer keeps what it returns.
 *
 * @module
 */

/**
 * The time budget of one session of a run, on a clock in milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * let t = 1000;
 * const time = new TimeBudget({ maxMinutes: 1, elapsedMs: 40_000, now: () => t });
 * t += 15_000;
 * assert.equal(time.elapsedMs(), 55_000);
 * assert.equal(time.leftMs(55_000), 5_000);
 * assert.equal(time.outOfTime(55_000, 4_000), false); // a 4 s validation pass still fits
 * assert.equal(time.outOfTime(55_000, 5_000), true);
 * const none = new TimeBudget({ maxMinutes: 0, elapsedMs: 40_000, now: () => t });
 * assert.equal(none.elapsedMs(), 40_000); // without a budget no time is kept
 * assert.equal(none.outOfTime(1e9, 0), false);
 * ```
 */
export class TimeBudget {
  /** The budget in milliseconds; 0 for none. */
  readonly budgetMs: number;
  /** When this session started, on the clock. */
  readonly startMs: number;
  readonly #before: number;
  readonly #now: () => number;

  /**
   * Starts the session's clock.
   *
   * @param options `maxMinutes` (0: no budget), the `elapsedMs` of earlier sessions, and the
   * clock `now` in milliseconds.
   */
  constructor(options: { maxMinutes: number; elapsedMs: number; now: () => number }) {
    this.budgetMs = options.maxMinutes * 60_000;
    this.#before = options.elapsedMs;
    this.#now = options.now;
    this.startMs = this.#now();
  }

  /**
   * Milliseconds spent: in earlier sessions, and in this one so far. Without a budget it keeps
   * no time (it returns the earlier sessions'), so runs without one repeat bit for bit.
   *
   * @returns The time spent.
   */
  elapsedMs(): number {
    return this.budgetMs > 0 ? this.#before + this.#now() - this.startMs : this.#before;
  }

  /**
   * What is left of the budget.
   *
   * @param elapsedMs The time spent.
   * @returns Milliseconds, at least 0; `Infinity` without a budget.
   */
  leftMs(elapsedMs: number): number {
    return this.budgetMs > 0 ? Math.max(0, this.budgetMs - elapsedMs) : Infinity;
  }

  /**
   * Whether the budget is spent: what is left would not fit `reserveMs` more (the run's last
   * validation pass).
   *
   * @param elapsedMs The time spent.
   * @param reserveMs Time the run still needs after its last step.
   * @returns `true` when the run should end; always `false` without a budget.
   */
  outOfTime(elapsedMs: number, reserveMs: number): boolean {
    return this.budgetMs > 0 && elapsedMs + reserveMs >= this.budgetMs;
  }
}
