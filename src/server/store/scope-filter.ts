/**
 * SQL conditions that keep only owners whose scope holds every entry of `scope`: per entry, the
 * owners found by a range search of `table`'s primary key (key, value, owner), so the cost follows
 * the size of the scope, not of the table. With `probed`, PostgreSQL checks each row it is given
 * by one lookup of that key (OFFSET 0 keeps the EXISTS a subplan): for a scan that yields rows in
 * an order of its own, such as an index of embeddings, where a join with the whole scope's owners
 * would be read again for every row.
 */
export function scopeFilter(
  table: string,
  ownerColumn: string,
  scope: Readonly<Record<string, string>>,
  probed = false,
): { conditions: string[]; params: string[] } {
  const entries = Object.entries(scope);
  const tail = probed ? " OFFSET 0" : "";
  return {
    conditions: entries.map(
      () =>
        `EXISTS (SELECT 1 FROM ${table} WHERE owner = ${ownerColumn} AND key = ? AND value = ?${tail})`,
    ),
    params: entries.flat(),
  };
}
