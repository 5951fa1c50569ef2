import type { OptionKind } from "./option-kind.js";

/** What a table knows of one option, but its path. */
export interface OptionSpec<T> {
  readonly kind: OptionKind<T>;
  /**
   * Its environment variable: the whole name ("CONTEXTIQ_MAX_CONNECTIONS"), or for the clients what
   * follows the service's prefix ("TIMEOUT" for SESSIONS_SERVICE_TIMEOUT). None when it has none.
   */
  readonly variable?: string;
  /** In force when neither the option nor its variable is given; none when it has none. */
  readonly default?: T;
  /** What it is, in a few words (60 characters at most) for a help text listing its variable. */
  readonly summary?: string;
}

/** One option of a table. */
export interface OptionEntry<T> extends OptionSpec<T> {
  /** Where it is in its options object: "timeoutMs", "circuitBreaker.windowSize". */
  readonly path: string;
}

/** A table of options, each under its path. */
export type OptionTable<Specs extends Record<string, OptionSpec<unknown>>> = {
  readonly [Path in keyof Specs & string]: Specs[Path] & { readonly path: Path };
};

/** A table from specs keyed by path; each entry learns its path, frozen. */
export function optionTable<const Specs extends Record<string, OptionSpec<unknown>>>(
  specs: Specs,
): OptionTable<Specs> {
  return Object.freeze(
    Object.fromEntries(
      Object.entries(specs).map(([path, spec]) => [path, Object.freeze({ ...spec, path })]),
    ),
  ) as OptionTable<Specs>;
}
