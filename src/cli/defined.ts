/** `T` without the keys whose value is undefined, typed for exactOptionalPropertyTypes. */
export type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/**
 * Drops the undefined values of `values`, so that options the user did not give are left out of a
 * request rather than sent as undefined (which exactOptionalPropertyTypes rightly refuses).
 */
export function defined<T extends object>(values: T): Defined<T> {
  return Object.fromEntries(
    Object.entries(values).filter(([, value]) => value !== undefined),
  ) as Defined<T>;
}
