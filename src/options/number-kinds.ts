import type { OptionSource } from "../errors/invalid-option-error.js";
import { mustBe, type NumberRange, type OptionKind, showText, showValue } from "./option-kind.js";

/** A time in ms; its variable is in seconds, as the Python clients' were. */
export function duration(range: NumberRange): OptionKind<number> {
  return numberKind({
    name: "duration",
    noun: "a number of ms",
    envNoun: "a number of seconds",
    envScale: 1000,
    envPattern: /^\d+(\.\d+)?$/,
    range,
  });
}

/** A count: a whole number, of `of` ("retries", "bytes") when it says. */
export function wholeNumber(range: NumberRange & { readonly of?: string }): OptionKind<number> {
  const noun = range.of === undefined ? "a whole number" : `a whole number of ${range.of}`;
  return numberKind({ name: "whole number", noun, envNoun: noun, envPattern: /^\d+$/, range });
}

/**
 * A threshold that can be turned off: a whole number of `of` ("bytes"), or `false` (as a
 * variable, "off"). `compressMinBytes` is one.
 */
export function wholeNumberOrOff(
  range: NumberRange & { readonly of?: string },
): OptionKind<number | false> {
  const number = wholeNumber(range);
  const expected = `${number.expected}, or false`;
  const expectedInEnv = `${number.expectedInEnv}, or "off"`;
  return {
    name: "whole number or off",
    expected,
    expectedInEnv,
    range,
    fromOption(value: unknown, source: OptionSource): number | false {
      if (value === false) return false;
      if (typeof value === "number" && Number.isInteger(value)) {
        if (value >= range.min && value <= range.max) return value;
      }
      throw mustBe(source, expected, showValue(value));
    },
    fromEnv(text: string, source: OptionSource): number | false {
      if (text === "off") return false;
      const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (value >= range.min && value <= range.max) return value;
      throw mustBe(source, expectedInEnv, showText(text));
    },
    toEnvText: (value) => (value === false ? "off" : String(value)),
  };
}

/** A number with a fraction, such as a ratio. */
export function decimal(range: NumberRange): OptionKind<number> {
  const noun = "a number";
  return numberKind({ name: "number", noun, envNoun: noun, envPattern: /^\d+(\.\d+)?$/, range });
}

interface NumberKindSpec {
  readonly name: string;
  readonly noun: string;
  readonly envNoun: string;
  /** How many of the option's unit one unit of the variable is: 1000 ms in a second. */
  readonly envScale?: number;
  /** What a variable's text may look like: no sign, exponent or unit. */
  readonly envPattern: RegExp;
  readonly range: NumberRange;
}

function numberKind({
  name,
  noun,
  envNoun,
  envScale = 1,
  envPattern,
  range,
}: NumberKindSpec): OptionKind<number> {
  const integer = name === "whole number";
  const fits = (value: number) =>
    Number.isFinite(value) &&
    value >= range.min &&
    (range.maxExcluded ? value < range.max : value <= range.max) &&
    (!integer || Number.isInteger(value));
  const expected = `${noun} ${describeRange(range, 1)}`;
  const expectedInEnv = `${envNoun} ${describeRange(range, envScale)}`;
  return {
    name,
    expected,
    expectedInEnv,
    range,
    fromOption(value: unknown, source: OptionSource): number {
      if (typeof value === "number" && fits(value)) return value;
      throw mustBe(source, expected, showValue(value));
    },
    fromEnv(text: string, source: OptionSource): number {
      // Text that is no number at all is told the kind; a number out of bounds, the bounds too.
      if (!envPattern.test(text)) throw mustBe(source, envNoun, showText(text));
      const value = Number(text) * envScale;
      if (fits(value)) return value;
      throw mustBe(source, expectedInEnv, showText(text));
    },
    toEnvText: (value) => String(value / envScale),
  };
}

/** "from 1 to 100", or "from 0.01 to 1 (1 excluded)"; in units of `scale` of the option's. */
function describeRange({ min, max, maxExcluded }: NumberRange, scale: number): string {
  return `from ${min / scale} to ${max / scale}${maxExcluded ? ` (${max / scale} excluded)` : ""}`;
}
