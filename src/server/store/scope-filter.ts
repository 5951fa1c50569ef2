/**
 * SQL conditions that keep only owners whose scope holds every entry of `scope`: per entry, the
 * owners found by a range search of `table`'s primary key (key, value, owner), so the cost follows
 * the size of the scope, not of the table.
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
