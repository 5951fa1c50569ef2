import { databaseUrlProblem, schemaNameProblem } from "./store/postgres/database-settings.js";

/** Where the services listen and keep their data, read from the environment. */
export interface ServeEnvironment {
  readonly sessions: { host: string; port: number };
  readonly memory: { host: string; port: number };
  readonly dataDir: string;
  /** PostgreSQL instead of SQLite, when `DATABASE_URL` is set. */
  readonly database?: { url: string; schema?: string };
  readonly apiKeys: string[];
}

/**
 * Reads the same variables the clients read (`SESSIONS_SERVICE_URL`, `MEMORY_SERVICE_URL`), plus
 * `CONTEXTIQ_DATA_DIR` (default `.contextiq`), `DATABASE_URL` (PostgreSQL instead of SQLite) with
 * `CONTEXTIQ_DATABASE_SCHEMA` (default `contextiq`), and `CONTEXTIQ_API_KEYS` (comma-separated).
 * A malformed value throws an error that names the variable.
 */
export function readServeEnvironment(env: NodeJS.ProcessEnv = process.env): ServeEnvironment {
  const databaseUrl = env["DATABASE_URL"] || undefined;
  const schema = env["CONTEXTIQ_DATABASE_SCHEMA"] || undefined;
  const urlProblem = databaseUrl === undefined ? undefined : databaseUrlProblem(databaseUrl);
  if (urlProblem !== undefined) throw new Error(`DATABASE_URL ${urlProblem}`);
  const schemaProblem = schema === undefined ? undefined : schemaNameProblem(schema);
  if (schemaProblem !== undefined) throw new Error(`CONTEXTIQ_DATABASE_SCHEMA: ${schemaProblem}`);
  return {
    sessions: listenAddress(env, "SESSIONS_SERVICE_URL", "http://localhost:8001"),
    memory: listenAddress(env, "MEMORY_SERVICE_URL", "http://localhost:8002"),
    dataDir: env["CONTEXTIQ_DATA_DIR"] || ".contextiq",
    ...(databaseUrl === undefined
      ? {}
      : { database: { url: databaseUrl, ...(schema === undefined ? {} : { schema }) } }),
    apiKeys: (env["CONTEXTIQ_API_KEYS"] ?? "")
      .split(",")
      .map((key) => key.trim())
      .filter((key) => key !== ""),
  };
}

function listenAddress(env: NodeJS.ProcessEnv, name: string, fallback: string) {
  const value = env[name] || fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name}=${JSON.stringify(value)} is not a URL; expected e.g. ${fallback}`);
  }
  if (url.protocol !== "http:") {
    throw new Error(
      `${name}=${JSON.stringify(value)}: the reference services serve cleartext http:// only`,
    );
  }
  // "localhost" resolves to ::1 or 127.0.0.1 depending on the machine; bind the one that is sure.
  const host = url.hostname === "localhost" ? "127.0.0.1" : url.hostname.replace(/^\[|\]$/g, "");
  return { host, port: url.port === "" ? 80 : Number(url.port) };
}
