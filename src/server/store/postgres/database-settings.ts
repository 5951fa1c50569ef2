// Where the PostgreSQL store connects, checked. No pg import: the serve command checks
// DATABASE_URL and CONTEXTIQ_DATABASE_SCHEMA with this before it loads any server code.

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

const exampleUrl = "postgres://user:password@localhost:5432/contextiq";

/**
 * Why `url` cannot be the database's URL, or undefined when it can. The URL is never quoted back:
 * it may hold a password.
 */
export function databaseUrlProblem(url: string): string | undefined {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return `is not a URL; expected e.g. ${exampleUrl}`;
  }
  return protocol === "postgres:" || protocol === "postgresql:"
    ? undefined
    : `must be a postgres:// or postgresql:// URL, e.g. ${exampleUrl}`;
}
