import { parseServiceUrls } from "../balancer/service-urls.js";
import {
  describeSource,
  InvalidOptionError,
  type OptionSource,
} from "../errors/invalid-option-error.js";
import { mustBe, type OptionKind, showText, showValue } from "./option-kind.js";

/**
 * An http:// or https:// URL, or several separated by commas (the endpoints of one service): all
 * of one scheme and one path.
 */
const urlsExpected = "an http:// or https:// URL, or several separated by commas";
export const httpUrls: OptionKind<string> = {
  name: "url",
  expected: urlsExpected,
  expectedInEnv: urlsExpected,
  fromOption(value: unknown, source: OptionSource): string {
    if (typeof value !== "string") throw mustBe(source, urlsExpected, showValue(value));
    return checkUrls(value, source, showValue(value));
  },
  fromEnv: (text, source) => checkUrls(text, source, showText(text)),
  toEnvText: (value) => value,
};

function checkUrls(text: string, source: OptionSource, shown: string): string {
  try {
    parseServiceUrls(text);
    return text;
  } catch (error) {
    throw mustBe(source, urlsExpected, `${shown} (${(error as Error).message})`);
  }
}

/** One of a few words, e.g. "json" or "grpc". */
export function oneOf<const Choice extends string>(
  ...choices: readonly Choice[]
): OptionKind<Choice> {
  const quoted = choices.map((choice) => JSON.stringify(choice));
  const expected = `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
  const check = (value: unknown, source: OptionSource, show: string): Choice => {
    if ((choices as readonly unknown[]).includes(value)) return value as Choice;
    throw mustBe(source, expected, show);
  };
  return {
    name: "choice",
    expected,
    expectedInEnv: expected,
    fromOption: (value, source) => check(value, source, showValue(value)),
    fromEnv: (text, source) => check(text, source, showText(text)),
    toEnvText: (value) => value,
  };
}

/**
 * A credential sent in a header: printable ASCII without spaces. A message never shows it: it is
 * a secret, and one that fails this check is most often a secret with a newline pasted after it.
 */
const tokenExpected = "printable ASCII without spaces";
const checkToken = (value: unknown, source: OptionSource): string => {
  if (typeof value === "string" && /^[\x21-\x7e]+$/.test(value)) return value;
  throw new InvalidOptionError(source, `${describeSource(source)} must be ${tokenExpected}`);
};
export const token: OptionKind<string> = {
  name: "token",
  expected: tokenExpected,
  expectedInEnv: tokenExpected,
  fromOption: checkToken,
  fromEnv: checkToken,
  toEnvText: (value) => value,
};

/**
 * Whether a feature with settings of its own is on: as an option, `false` or its settings object
 * (`true` too, for its default settings); as a variable, "on" or "off".
 */
const switchExpected = "false or an object of settings";
const switchExpectedInEnv = '"on" or "off"';
export const settingsSwitch: OptionKind<boolean> = {
  name: "switch",
  expected: switchExpected,
  expectedInEnv: switchExpectedInEnv,
  fromOption(value: unknown, source: OptionSource): boolean {
    if (typeof value === "boolean") return value;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return true;
    throw mustBe(source, switchExpected, showValue(value));
  },
  fromEnv(text: string, source: OptionSource): boolean {
    if (text === "on" || text === "off") return text === "on";
    throw mustBe(source, switchExpectedInEnv, showText(text));
  },
  toEnvText: (value) => (value ? "on" : "off"),
};
