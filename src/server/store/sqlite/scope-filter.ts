/**
 * SQL conditions that keep only owners whose scope holds every entry of `scope`, one indexed
 * lookup in `table` (owner, key, value) per entry.
 */
export function scopeFilter(
  table: string,
  ownerColumn: string,
  scope: Readonly<Record<string, string>>,
): { conditions: string[]; params: string[] } {
  const entries = Object.entries(scope);
  return {
    conditions: entries.map(
      () =>
        `EXISTS (SELECT 1 FROM ${table} WHERE owner = ${ownerColumn} AND key = ? AND value = ?)`,
    ),
    params: entries.flat(),
  };
}
