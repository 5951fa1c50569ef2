import type { OptionSource } from "../errors/invalid-option-error.js";
import type { OptionEntry } from "./option-table.js";

/** Where options' environment variables are read. */
export interface OptionEnvironment {
  readonly values: Readonly<Record<string, string | undefined>>;
  /** Put with "_" before each entry's variable, e.g. "SESSIONS_SERVICE" before "TIMEOUT". */
  readonly prefix?: string;
}

/** Reads checked options out of one options object and, where it lacks one, the environment. */
export interface OptionReader {
  /** The option's value: the one given, else its variable's, else its default. */
  read<T>(entry: OptionEntry<T> & { readonly default: T }): T;
  read<T>(entry: OptionEntry<T>): T | undefined;
  /** Where the value `read` returns comes from; its variable when only the default is there. */
  sourceOf(entry: OptionEntry<unknown>): OptionSource;
  /** The full name of the entry's variable, if it has one. */
  variableOf(entry: OptionEntry<unknown>): string | undefined;
}

/**
 * A reader of `options`. An explicit option beats its variable, which beats its default; a value
 * that is there is checked, and a bad one throws an InvalidOptionError naming where it came from.
 * A variable that is empty or blank counts as unset. `of` names the function the options were
 * given to, in messages ("startServices option `maxConnections`").
 */
export function optionReader(options: object, env?: OptionEnvironment, of?: string): OptionReader {
  const variableOf = (entry: OptionEntry<unknown>) =>
    entry.variable === undefined || env === undefined
      ? undefined
      : env.prefix === undefined
        ? entry.variable
        : `${env.prefix}_${entry.variable}`;
  const optionSource = (entry: OptionEntry<unknown>): OptionSource => ({
    option: entry.path,
    fromEnvironment: false,
    ...(of === undefined ? {} : { of }),
  });
  const read = <T>(entry: OptionEntry<T>): T | undefined => {
    const given = valueAtPath(options, entry.path);
    if (given !== undefined) return entry.kind.fromOption(given, optionSource(entry));
    const variable = variableOf(entry);
    const text = variable === undefined ? undefined : env?.values[variable]?.trim();
    if (variable !== undefined && text) {
      return entry.kind.fromEnv(text, { option: variable, fromEnvironment: true });
    }
    return entry.default;
  };
  return {
    read: read as OptionReader["read"],
    variableOf,
    sourceOf(entry) {
      const variable = variableOf(entry);
      return valueAtPath(options, entry.path) !== undefined || variable === undefined
        ? optionSource(entry)
        : { option: variable, fromEnvironment: true };
    },
  };
}

/**
 * The value at a dotted path ("circuitBreaker.windowSize"); undefined where a step is not an
 * object, as when the circuit breaker is `false`.
 */
export function valueAtPath(options: object, path: string): unknown {
  let value: unknown = options;
  for (const step of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}
