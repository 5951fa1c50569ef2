// Every entry of the client option table, walked: a bad value given as the option, and as its
// environment variable, is refused with an InvalidOptionError that names it; with neither, the
// default is in force. A new entry is tested by being added.
import { describe, expect, it } from "vitest";
import { clientOptionEntries } from "../../src/client/client-option-table.js";
import type { ClientOptions } from "../../src/client/client-options.js";
import { resolveOptions } from "../../src/client/resolve-options.js";
import { InvalidOptionError, isInvalidOptionError } from "../../src/errors/invalid-option-error.js";
import { ConnectError } from "../../src/index.js";
import { valueAtPath } from "../../src/options/option-reader.js";
import type { OptionEntry } from "../../src/options/option-table.js";

const sessions = { envPrefix: "SESSIONS_SERVICE", baseUrl: "http://localhost:8001" };

/** For each kind, a value that no entry of it takes: as an option, and as a variable's text. */
const badValues: Record<string, { readonly option: unknown; readonly text: string }> = {
  duration: { option: -1, text: "soon" },
  "whole number": { option: 1.5, text: "1.5" },
  "whole number or off": { option: 1.5, text: "on" },
  number: { option: Number.NaN, text: "lots" },
  url: { option: "ftp://example.com", text: "localhost:8001" },
  choice: { option: "other", text: "other" },
  token: { option: "two words", text: "two words" },
  pem: { option: "/etc/ssl/ca.pem", text: "/nonexistent/file.pem" },
  switch: { option: 5, text: "maybe" },
};

/** A value each kind of setting takes, for settings that a feature cannot go without. */
const goodValues: Record<string, unknown> = { duration: 100 };

/** What a value at either bound needs beside it: a window at least the minimum attempts. */
const companions: Record<string, ClientOptions> = {
  "circuitBreaker.windowSize": { circuitBreaker: { minimumAttempts: 1 } },
  "circuitBreaker.minimumAttempts": { circuitBreaker: { windowSize: 100_000 } },
};

const withVariable = clientOptionEntries.filter((entry) => entry.variable !== undefined);
const withDefault = clientOptionEntries.filter((entry) => entry.default !== undefined);
const withRange = clientOptionEntries.filter((entry) => entry.kind.range !== undefined);

/**
 * Options holding `value` at the entry's path; a nested one within its feature's settings, with
 * what the feature cannot go without (hedging needs `delayMs`).
 */
function optionsWith(entry: OptionEntry<unknown>, value: unknown): ClientOptions {
  const [feature = "", field] = entry.path.split(".");
  if (field === undefined) return { [feature]: value };
  const needed = clientOptionEntries.filter(
    (other) =>
      other.path.startsWith(`${feature}.`) &&
      other.default === undefined &&
      other.variable === undefined &&
      other !== entry,
  );
  const settings = Object.fromEntries(
    needed.map((other) => [other.path.slice(feature.length + 1), goodValues[other.kind.name]]),
  );
  return { [feature]: { ...settings, [field]: value } };
}

/** The error resolving `options` throws; fails the test when there is none. */
function refusal(options: ClientOptions): InvalidOptionError {
  try {
    resolveOptions(options, sessions);
  } catch (error) {
    expect(isInvalidOptionError(error)).toBe(true);
    return error as InvalidOptionError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be refused`);
}

describe("the client option table", () => {
  it("has bad values for every kind it uses", () => {
    for (const entry of clientOptionEntries) expect(badValues).toHaveProperty([entry.kind.name]);
  });

  it.each(clientOptionEntries)("refuses a bad option $path, naming it", (entry) => {
    const bad = badValues[entry.kind.name]?.option;
    const error = refusal({ ...optionsWith(entry, bad), env: {} });
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ option: entry.path, fromEnvironment: false });
    expect(error.rawMessage).toMatch(new RegExp(`^option \`${entry.path}\` `));
    // ConnectError puts the code in front of `message`, once.
    expect(error.message).toBe(`[invalid_argument] ${error.rawMessage}`);
  });

  it.each(withVariable)("refuses a bad value of its variable $variable, naming it", (entry) => {
    const variable = `SESSIONS_SERVICE_${entry.variable}`;
    const error = refusal({ env: { [variable]: badValues[entry.kind.name]?.text } });
    expect(error).toMatchObject({ option: variable, fromEnvironment: true });
    expect(error.rawMessage).toMatch(new RegExp(`^${variable}\\b`));
  });

  it.each(withRange)("takes $path at its bounds and refuses it past them", (entry) => {
    const { min, max, maxExcluded } = entry.kind.range ?? { min: 0, max: 0 };
    const past = maxExcluded ? max : max + 1;
    for (const bound of maxExcluded ? [min] : [min, max]) {
      const options = { ...optionsWith(entry, bound), env: {} };
      const [feature = ""] = entry.path.split(".");
      const beside = companions[entry.path]?.[feature as keyof ClientOptions];
      if (beside) Object.assign(options[feature as keyof ClientOptions] as object, beside);
      expect(() => resolveOptions(options, sessions)).not.toThrow();
    }
    expect(refusal({ ...optionsWith(entry, min - 1), env: {} }).option).toBe(entry.path);
    expect(refusal({ ...optionsWith(entry, past), env: {} }).rawMessage).toContain(`got ${past}`);
    if (entry.variable === undefined) return;
    // In the variable's unit: seconds for a duration.
    const variable = `SESSIONS_SERVICE_${entry.variable}`;
    const text = entry.kind.toEnvText?.(past) ?? "";
    const error = refusal({ env: { [variable]: text } });
    expect(error.rawMessage).toBe(`${variable} must be ${entry.kind.expectedInEnv}, got "${text}"`);
  });

  it.each(withDefault)("has $path default to $default", (entry) => {
    const feature = entry.path.split(".")[0] ?? "";
    // A nested setting shows once its feature is on.
    const options = entry.path.includes(".")
      ? optionsWith(entry, undefined)
      : ({} satisfies ClientOptions);
    const resolved = resolveOptions({ ...options, env: {} }, sessions);
    const value = valueAtPath(resolved, entry.path);
    if (entry.kind.name === "switch") {
      expect(valueAtPath(resolved, feature) !== undefined).toBe(entry.default);
    } else {
      expect(value).toBe(entry.default);
    }
  });

  it("takes the service's own default URL", () => {
    expect(resolveOptions({ env: {} }, sessions).baseUrl).toBe(sessions.baseUrl);
  });
});
