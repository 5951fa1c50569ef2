// The PostgreSQL schema that holds the services' tables. No pg import: the serve command checks
// CONTEXTIQ_DATABASE_SCHEMA with this before it loads any server code.

export const defaultSchema = "contextiq";

/**
 * Why `name` cannot be the schema, or undefined when it can: it goes into SQL (always quoted)
 * and into a startup parameter, so it is kept to lower-case letters, digits and `_`, and off the
 * `pg_` prefix that PostgreSQL reserves.
 */
export function schemaNameProblem(name: string): string | undefined {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    return `${JSON.stringify(name)} is not a plain lower-case SQL name (letters, digits, _; at most 63)`;
  }
  if (name.startsWith("pg_"))
    return `${JSON.stringify(name)} starts with pg_, reserved by PostgreSQL`;
  return undefined;
}
