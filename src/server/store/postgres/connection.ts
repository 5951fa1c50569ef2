import type pg from "pg";
import { requireOptionalPeer } from "../../optional-peer.js";
import { float32Of, numbersOf } from "../float32.js";
import { databaseUrlProblem, defaultSchema, schemaNameProblem } from "./database-settings.js";

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
  /**
   * pgvector's HNSW index, which approximate searches ask: built at start-up when missing (this
   * can take minutes on a large table), or `false` for none, every search then exact.
   */
  readonly vectorIndex?: false | VectorIndexOptions;
}

/** The HNSW index of embeddings on PostgreSQL; see docs/search.md for the measured defaults. */
export interface VectorIndexOptions {
  /** Links per node of the graph, 2-100, fixed when the index is built. Defaults to 8. */
  readonly m?: number;
  /** Candidates kept while building, 4-1000 and at least 2m: recall against build time. Defaults to 64. */
  readonly efConstruction?: number;
  /**
   * Candidates kept while searching, and ranked exactly (at least 10 per result), 1-1000: recall
   * against latency, per query. Defaults to 200.
   */
  readonly efSearch?: number;
}

/** The schema name `options` ask for, checked: see schemaNameProblem. */
export function schemaOf(options: PostgresOptions): string {
  const schema = options.schema ?? defaultSchema;
  const problem = schemaNameProblem(schema);
  if (problem !== undefined) throw new Error(`database schema ${problem}`);
  return schema;
}

/** The URL without its password (in the authority or as a parameter), for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    if (parsed.searchParams.has("password")) parsed.searchParams.set("password", "***");
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
  const problem = databaseUrlProblem(options.url);
  if (problem !== undefined) throw new Error(`DATABASE_URL ${problem}`);
  const url = new URL(options.url);
  const maxConnections = options.maxConnections ?? 10;
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new Error(`maxConnections must be a whole number of at least 1, not ${maxConnections}`);
  }
  // Startup options in the URL would replace ours: keep them, and add the search_path.
  const urlOptions = url.searchParams.get("options");
  url.searchParams.delete("options");
  const { Pool, types } = requireOptionalPeer<typeof pg>("pg");
  const pool = new Pool({
    connectionString: url.toString(),
    options: [urlOptions, `-c search_path=${schemaOf(options)}`].filter(Boolean).join(" "),
    max: maxConnections,
    application_name: applicationName,
    // A pool that stays full, or a database that does not answer, fails the call instead of
    // holding it: the service answers UNAVAILABLE and the client retries.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // TCP keepalive finds a connection to a database that vanished without closing it.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types: { getTypeParser: (oid: number, format?: string) => getTypeParser(types, oid, format) },
  });
  // A connection that breaks (a database restart) emits "error"; without a listener that would
  // end the process. pg-pool listens only while a connection is idle, so each connection gets
  // one of its own for the time it is checked out: the query in flight fails and says so.
  pool.on("connect", (client) => client.on("error", () => {}));
  pool.on("error", (error) => {
    console.warn(`${applicationName}: an idle database connection failed: ${error.message}`);
  });
  return pool;
}

/**
 * Column values as the stores want them: int8 (times in ms, counters, sequence numbers, all far
 * below 2^53) as numbers; json kept as text, as SQLite returns it; real[] (embeddings) as the
 * float32 values, read through JSON.parse, several times faster than the generic array parser.
 */
function getTypeParser(
  types: typeof pg.types,
  oid: number,
  format?: string,
): (value: string) => unknown {
  switch (oid) {
    case types.builtins.INT8:
      return Number;
    case types.builtins.JSON:
      return (text) => text;
    case float4ArrayOid:
      // PostgreSQL prints the shortest decimal of each float4 ("0.1"); through Float32Array it is
      // the exact float32 value again, as SQLite's stored bytes give it.
      return (text) => numbersOf(float32Of(JSON.parse(`[${text.slice(1, -1)}]`)));
    default:
      return types.getTypeParser(oid, format as "text");
  }
}

/** The type oid of real[] (_float4). */
const float4ArrayOid = 1021;
