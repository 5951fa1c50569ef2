/**
 * The columns of a row type, as a select list (qualified by `alias` when given). Statements list
 * columns instead of `*` so that a replica still running the previous version keeps working when
 * a newer one has added a column: PostgreSQL refuses a prepared statement whose `*` has changed.
 * The argument names every key of `Row`, which the compiler checks.
 */
export function columnList<Row>(keys: Record<keyof Row, true>, alias?: string): string {
  return Object.keys(keys)
    .map((key) => (alias ? `${alias}.${key}` : key))
    .join(", ");
}

/** An INSERT of one row, `?` placeholders, and its values in the same order. */
export function insertOf(table: string, row: object): { text: string; values: unknown[] } {
  const columns = Object.keys(row);
  return {
    text: `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
    values: Object.values(row),
  };
}

/** The `SET` list of an UPDATE of `changes`, `?` placeholders, and its values in the same order. */
export function assignmentsOf(changes: object): {
  text: string;
  values: unknown[];
} {
  return {
    text: Object.keys(changes)
      .map((column) => `${column} = ?`)
      .join(", "),
    values: Object.values(changes),
  };
}
