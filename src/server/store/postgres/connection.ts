import pg from "pg";

/** Where a PostgreSQL store keeps its data, and how it connects. */
export interface PostgresOptions {
  /** `postgres://user:password@host:port/database`, as in `DATABASE_URL`. */
  readonly url: string;
  /**
   * Schema that holds the tables, created if missing, so that the services can share a database
   * with other tenants. Lower-case letters, digits and `_`. Defaults to "contextiq".
   */
  readonly schema?: string;
  /** Connections each store may open. Defaults to 10. */
  readonly maxConnections?: number;
  /**
   * How SearchMemories ranks: "pgvector" in the database (an error when the extension is
   * missing), "exact" in this process, or "auto" (the default): pgvector when it is installed or
   * can be, exact otherwise. Both are exact searches and rank alike.
   */
  readonly vectorSearch?: "auto" | "pgvector" | "exact";
}

const defaultSchema = "contextiq";

/** The schema name `options` ask for, checked: it goes into SQL and a startup parameter. */
export function schemaOf(options: PostgresOptions): string {
  const schema = options.schema ?? defaultSchema;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(
      `database schema ${JSON.stringify(schema)} is not a plain lower-case SQL name (letters, digits, _)`,
    );
  }
  return schema;
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(not a URL)";
  }
}

/**
 * A pool of connections to the database `options` name, whose sessions find the tables in the
 * store's schema first (search_path, set at connection start, so no query pays for it).
 */
export function connectionPool(options: PostgresOptions, applicationName: string): pg.Pool {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new Error(`DATABASE_URL ${redactedUrl(options.url)} is not a URL`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new Error(
      `DATABASE_URL must start with postgres:// or postgresql://, not ${url.protocol}//`,
    );
  }
  const maxConnections = options.maxConnections ?? 10;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new Error(`maxConnections must be a whole number of at least 1, not ${maxConnections}`);
  }
  // Startup options in the URL would replace ours: keep them, and add the search_path.
  const urlOptions = url.searchParams.get("options");
  url.searchParams.delete("options");
  const pool = new pg.Pool({
    connectionString: url.toString(),
    options: [urlOptions, `-c search_path=${schemaOf(options)}`].filter(Boolean).join(" "),
    max: maxConnections,
    application_name: applicationName,
    // A pool that stays full, or a database that does not answer, fails the call instead of
    // holding it: the service answers UNAVAILABLE and the client retries.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    types: { getTypeParser },
  });
  // An idle connection that breaks (a database restart) is dropped from the pool and replaced on
  // demand; without a listener its error would end the process.
  pool.on("error", () => {});
  return pool;
}

/**
 * Column values as the stores want them: int8 (times in ms, counters, sequence numbers, all far
 * below 2^53) as numbers; json kept as text, as SQLite returns it; real[] (embeddings) as numbers,
 * read through JSON.parse, several times faster than the generic array parser.
 */
function getTypeParser(oid: number, format?: string): (value: string) => unknown {
  switch (oid) {
    case pg.types.builtins.INT8:
      return Number;
    case pg.types.builtins.JSON:
      return (text) => text;
    case float4ArrayOid:
      return (text) => JSON.parse(`[${text.slice(1, -1)}]`);
    default:
      return pg.types.getTypeParser(oid, format as "text");
  }
}

/** The type oid of real[] (_float4). */
const float4ArrayOid = 1021;
