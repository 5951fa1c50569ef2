import {
  describeSource,
  InvalidOptionError,
  type OptionSource,
} from "../errors/invalid-option-error.js";

/**
 * One kind of option value (a duration, a URL, a PEM file, ...): how an option's value and a
 * variable's text are checked, and how messages say what they must be.
 */
export interface OptionKind<T> {
  /** Which kind it is, e.g. "duration"; tests pick their bad values by it. */
  readonly name: string;
  /** What an option's value must be, e.g. "a number of ms from 1 to 2147483647". */
  readonly expected: string;
  /** What a variable's text must be, e.g. "a number of seconds from 0.001 to 2147483.647". */
  readonly expectedInEnv: string;
  /** The bounds of a number, in the option's unit. */
  readonly range?: NumberRange;
  /** The option's value, checked; else throws an InvalidOptionError naming `source`. */
  fromOption(value: unknown, source: OptionSource): T;
  /** What a variable's text (trimmed, not empty) stands for; else throws naming `source`. */
  fromEnv(text: string, source: OptionSource): T;
  /**
   * `value` as a variable would hold it, e.g. 30000 ms as "30" (seconds), for defaults in help;
   * absent where a variable holds something else than the value (a PEM file's path).
   */
  toEnvText?(value: T): string;
}

/** The bounds of a number option, both included unless `maxExcluded`. */
export interface NumberRange {
  readonly min: number;
  readonly max: number;
  readonly maxExcluded?: boolean;
}

/** `<source> must be <expected>, got <got>`: the message of most bad values. */
export function mustBe(source: OptionSource, expected: string, got: string): InvalidOptionError {
  return new InvalidOptionError(
    source,
    `${describeSource(source)} must be ${expected}, got ${got}`,
  );
}

/** A value as a message quotes it: strings in quotes and cut short, objects by their kind. */
export function showValue(value: unknown): string {
  if (typeof value === "string") return showText(value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

/** A variable's text as a message quotes it. */
export function showText(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
