import type { Listed } from "./store.js";

/** Cuts the `limit + 1` rows a query fetched into a page, with a cursor when more remain. */
export function paged<T>(
  rows: T[],
  limit: number,
  totalSize: number,
  cursorOf: (item: T) => (string | number)[],
): Listed<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return rows.length > limit && last !== undefined
    ? { items, totalSize, next: cursorOf(last), cursorOf }
    : { items, totalSize, cursorOf };
}
