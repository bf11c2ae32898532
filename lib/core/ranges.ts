/**
 * The accepted values of a setting: a numeric range or a list of choices, how a value is
 * checked against one, and how it reads in an error message. The model config, the training
 * config and the command-line flags share them.
 *
 * @module
 */

/** A numeric field's range; the command-line flags use the same shape. */
export interface NumberRange {
  /** `"int"`: a safe integer; `"number"`: any finite number. */
  readonly type: "int" | "number";
  /** Smallest accepted value. */
  readonly min?: number;
  /** Whether `min` itself is rejected. */
  readonly exclusiveMin?: boolean;
  /** Largest accepted value. */
  readonly max?: number;
  /** Whether `max` itself is rejected. */
  readonly exclusiveMax?: boolean;
}

/** A string field that takes one of a fixed list of values. */
export interface Choices<T extends string = string> {
  /** Marks a choice field. */
  readonly type: "choice";
  /** The accepted values. */
  readonly choices: readonly T[];
}

/**
 * Whether a value is a number of the range's type within its bounds.
 *
 * @param range The range.
 * @param value Any value.
 * @returns `true` for a finite number (a safe integer for `"int"`) inside the bounds.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dropout = { type: "number", min: 0, max: 1, exclusiveMax: true } as const;
 * assert.deepEqual(fitsRange({ type: "int", min: 1 }, 64), true);
 * assert.deepEqual(fitsRange(dropout, 1), false);
 * ```
 */
export function fitsRange(range: NumberRange, value: unknown): value is number {
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  if (range.type === "int" && !Number.isSafeInteger(value)) return false;
  const { min, max } = range;
  if (min !== undefined && (range.exclusiveMin ? value <= min : value < min)) return false;
  return max === undefined || (range.exclusiveMax ? value < max : value <= max);
}

/**
 * What a range accepts, for error messages.
 *
 * @param range The range.
 * @returns E.g. `an integer >= 1 and <= 4096`, `a number > 0`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dropout = { type: "number", min: 0, max: 1, exclusiveMax: true } as const;
 * assert.deepEqual(describeRange(dropout), "a number >= 0 and < 1");
 * ```
 */
export function describeRange(range: NumberRange): string {
  const parts: string[] = [];
  if (range.min !== undefined) parts.push(`${range.exclusiveMin ? ">" : ">="} ${range.min}`);
  if (range.max !== undefined) parts.push(`${range.exclusiveMax ? "<" : "<="} ${range.max}`);
  const kind = range.type === "int" ? "an integer" : "a number";
  return parts.length > 0 ? `${kind} ${parts.join(" and ")}` : kind;
}

/** How one field of a config is checked (its range or choices), and its one-line description. */
export type FieldRule<T> = ([T] extends [number] ? NumberRange : Choices<T & string>) & {
  /** What the field does, as shown by `deno task train --help`. */
  readonly description: string;
};

/**
 * Checks one value against its range or choices.
 *
 * @param name The field's name, for the message.
 * @param rule The range or the choices.
 * @param value Any value.
 * @throws {RangeError} naming the field, the value and what is expected.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * checkField("hiddenSize", { type: "int", min: 1, max: 4096 }, 64);
 * assert.throws(
 *   () => checkField("hiddenSize", { type: "int", min: 1, max: 4096 }, 4097),
 *   /^RangeError: Invalid hiddenSize 4097: expected an integer >= 1 and <= 4096$/,
 * );
 * assert.throws(() => checkField("norm", { type: "choice", choices: ["none"] }, "x"), /one of none/);
 * ```
 */
export function checkField(name: string, rule: NumberRange | Choices, value: unknown): void {
  if (rule.type === "choice") {
    if (!rule.choices.includes(value as string)) {
      throw new RangeError(
        `Invalid ${name} ${JSON.stringify(value)}: expected one of ${rule.choices.join(", ")}`,
      );
    }
  } else if (!fitsRange(rule, value)) {
    throw new RangeError(`Invalid ${name} ${value}: expected ${describeRange(rule)}`);
  }
}
