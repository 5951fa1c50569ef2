import { InvalidOptionError, type OptionSource } from "../errors/invalid-option-error.js";
import { pem } from "../options/pem-kind.js";
import type { ServeTlsOptions } from "./serve/tls.js";
import { readServiceLimits, type ServiceLimits } from "./service-option-table.js";
import type { VectorIndexOptions } from "./store/postgres/connection.js";
import { databaseUrlProblem, schemaNameProblem } from "./store/postgres/database-settings.js";
import { vectorIndexProblem } from "./store/postgres/vector-index.js";

/** Where the services listen and keep their data, read from the environment. */
export interface ServeEnvironment {
  readonly sessions: { host: string; port: number };
  readonly memory: { host: string; port: number };
  readonly dataDir: string;
  /** PostgreSQL instead of SQLite, when `DATABASE_URL` is set. */
  readonly database?: { url: string; schema?: string; vectorIndex?: false | VectorIndexOptions };
  readonly apiKeys: string[];
  /** HTTPS, when `CONTEXTIQ_TLS_CERT_FILE` and `CONTEXTIQ_TLS_KEY_FILE` are set. */
  readonly tls?: ServeTlsOptions;
  /** The services' limits, from `CONTEXTIQ_MAX_CONNECTIONS` and the others of the option table. */
  readonly limits: ServiceLimits;
}

/**
 * Reads the same variables the clients read (`SESSIONS_SERVICE_URL`, `MEMORY_SERVICE_URL`), plus
 * `CONTEXTIQ_DATA_DIR` (default `.contextiq`), `DATABASE_URL` (PostgreSQL instead of SQLite) with
 * `CONTEXTIQ_DATABASE_SCHEMA` (default `contextiq`), `CONTEXTIQ_API_KEYS` (comma-separated), and
 * for HTTPS `CONTEXTIQ_TLS_CERT_FILE`, `CONTEXTIQ_TLS_KEY_FILE` and, for mutual TLS,
 * `CONTEXTIQ_TLS_CLIENT_CA_FILE`, PostgreSQL's HNSW index (`CONTEXTIQ_VECTOR_INDEX=off`,
 * `CONTEXTIQ_HNSW_M`, `CONTEXTIQ_HNSW_EF_CONSTRUCTION`, `CONTEXTIQ_HNSW_EF_SEARCH`), the services' limits (`CONTEXTIQ_MAX_CONNECTIONS`, ...: see
 * serviceOptionTable). A malformed value throws an InvalidOptionError that names the variable.
 */
export function readServeEnvironment(env: NodeJS.ProcessEnv = process.env): ServeEnvironment {
  const tls = readTls(env);
  const scheme = tls ? "https" : "http";
  const databaseUrl = env["DATABASE_URL"] || undefined;
  const schema = env["CONTEXTIQ_DATABASE_SCHEMA"] || undefined;
  const urlProblem = databaseUrl === undefined ? undefined : databaseUrlProblem(databaseUrl);
  if (urlProblem !== undefined) {
    throw new InvalidOptionError(variable("DATABASE_URL"), `DATABASE_URL ${urlProblem}`);
  }
  const schemaProblem = schema === undefined ? undefined : schemaNameProblem(schema);
  if (schemaProblem !== undefined) {
    throw new InvalidOptionError(
      variable("CONTEXTIQ_DATABASE_SCHEMA"),
      `CONTEXTIQ_DATABASE_SCHEMA: ${schemaProblem}`,
    );
  }
  return {
    sessions: listenAddress(env, "SESSIONS_SERVICE_URL", `${scheme}://localhost:8001`),
    memory: listenAddress(env, "MEMORY_SERVICE_URL", `${scheme}://localhost:8002`),
    dataDir: env["CONTEXTIQ_DATA_DIR"] || ".contextiq",
    ...(databaseUrl === undefined
      ? {}
      : {
          database: {
            url: databaseUrl,
            ...(schema === undefined ? {} : { schema }),
            ...readVectorIndex(env),
          },
        }),
    apiKeys: (env["CONTEXTIQ_API_KEYS"] ?? "")
      .split(",")
      .map((key) => key.trim())
      .filter((key) => key !== ""),
    ...(tls ? { tls } : {}),
    limits: readServiceLimits(env),
  };
}

/** The variables of the vectorIndex option; each checked as the option is, named when wrong. */
const vectorIndexVariables = {
  m: "CONTEXTIQ_HNSW_M",
  efConstruction: "CONTEXTIQ_HNSW_EF_CONSTRUCTION",
  efSearch: "CONTEXTIQ_HNSW_EF_SEARCH",
} as const;

function readVectorIndex(env: NodeJS.ProcessEnv): { vectorIndex?: false | VectorIndexOptions } {
  const off = env["CONTEXTIQ_VECTOR_INDEX"] || undefined;
  if (off !== undefined && off !== "off") {
    throw new InvalidOptionError(
      variable("CONTEXTIQ_VECTOR_INDEX"),
      `CONTEXTIQ_VECTOR_INDEX=${JSON.stringify(off)}: the only value is "off" (no HNSW index, every search exact); leave it unset for the index`,
    );
  }
  if (off === "off") return { vectorIndex: false };
  const options: Record<string, number> = {};
  for (const [option, name] of Object.entries(vectorIndexVariables)) {
    const text = env[name] || undefined;
    if (text !== undefined) options[option] = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  }
  if (Object.keys(options).length === 0) return {};
  const wrong = vectorIndexProblem(options);
  if (wrong !== undefined) {
    const name = vectorIndexVariables[wrong.parameter];
    const given = env[name] === undefined ? "" : `=${JSON.stringify(env[name])}`;
    throw new InvalidOptionError(variable(name), `${name}${given} ${wrong.problem}`);
  }
  return { vectorIndex: options };
}

function variable(name: string): OptionSource {
  return { option: name, fromEnvironment: true };
}

function readTls(env: NodeJS.ProcessEnv): ServeTlsOptions | undefined {
  const certFile = env["CONTEXTIQ_TLS_CERT_FILE"] || undefined;
  const keyFile = env["CONTEXTIQ_TLS_KEY_FILE"] || undefined;
  const clientCaFile = env["CONTEXTIQ_TLS_CLIENT_CA_FILE"] || undefined;
  if (certFile === undefined && keyFile === undefined) {
    if (clientCaFile !== undefined) {
      throw new InvalidOptionError(
        variable("CONTEXTIQ_TLS_CLIENT_CA_FILE"),
        "CONTEXTIQ_TLS_CLIENT_CA_FILE needs TLS: set CONTEXTIQ_TLS_CERT_FILE and CONTEXTIQ_TLS_KEY_FILE too",
      );
    }
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) {
    throw new InvalidOptionError(
      variable(certFile === undefined ? "CONTEXTIQ_TLS_KEY_FILE" : "CONTEXTIQ_TLS_CERT_FILE"),
      "TLS needs both CONTEXTIQ_TLS_CERT_FILE and CONTEXTIQ_TLS_KEY_FILE",
    );
  }
  const cert = pemFile(env, "CONTEXTIQ_TLS_CERT_FILE", "CERTIFICATE");
  const key = pemFile(env, "CONTEXTIQ_TLS_KEY_FILE", "PRIVATE KEY");
  const clientCa =
    clientCaFile === undefined
      ? undefined
      : pemFile(env, "CONTEXTIQ_TLS_CLIENT_CA_FILE", "CERTIFICATE");
  return { cert, key, ...(clientCa === undefined ? {} : { clientCa }) };
}

/** The PEM file that variable `name` names; an unreadable or non-PEM file names the variable. */
function pemFile(env: NodeJS.ProcessEnv, name: string, label: string): Buffer {
  return pem(label).fromEnv(env[name] as string, variable(name)) as Buffer;
}

function listenAddress(env: NodeJS.ProcessEnv, name: string, fallback: string) {
  const scheme = fallback.slice(0, fallback.indexOf(":") + 1);
  const value = env[name] || fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(
      variable(name),
      `${name}=${JSON.stringify(value)} is not a URL; expected e.g. ${fallback}`,
    );
  }
  if (url.protocol !== scheme) {
    throw new InvalidOptionError(
      variable(name),
      scheme === "https:"
        ? `${name}=${JSON.stringify(value)}: TLS is on (CONTEXTIQ_TLS_CERT_FILE), so the URL must be https://`
        : `${name}=${JSON.stringify(value)}: ${url.protocol === "https:" ? "https:// needs CONTEXTIQ_TLS_CERT_FILE and CONTEXTIQ_TLS_KEY_FILE" : "the services serve http:// (or https:// with TLS)"}`,
    );
  }
  // "localhost" resolves to ::1 or 127.0.0.1 depending on the machine; bind the one that is sure.
  const host = url.hostname === "localhost" ? "127.0.0.1" : url.hostname.replace(/^\[|\]$/g, "");
  const defaultPort = scheme === "https:" ? 443 : 80;
  return { host, port: url.port === "" ? defaultPort : Number(url.port) };
}
