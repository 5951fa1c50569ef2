import { resolve } from "node:path";
import { Command } from "commander";
import { isInvalidOptionError } from "../../errors/invalid-option-error.js";
import { readServeEnvironment, type ServeEnvironment } from "../../server/environment.js";
import { serviceLimitEntries } from "../../server/service-option-table.js";
import type { CliIo } from "../io.js";
import { UsageError } from "../usage-error.js";

/**
 * `contextiq serve`, which `npm run serve` runs: both reference services until SIGINT or SIGTERM.
 */
export function serveCommand(io: CliIo): Command {
  return new Command("serve")
    .description("run both reference services here until Ctrl-C (same as npm run serve)")
    .addHelpText(
      "after",
      `
Environment:
  SESSIONS_SERVICE_URL  where the Sessions service listens (default http://localhost:8001)
  MEMORY_SERVICE_URL    where the Memory service listens, same host (default http://localhost:8002)
  CONTEXTIQ_DATA_DIR    folder of the SQLite files (default .contextiq)
  DATABASE_URL          postgres://user:password@host:5432/db: keep the data in PostgreSQL
                        instead; any number of servers may share it (default: unset, SQLite)
  CONTEXTIQ_DATABASE_SCHEMA  schema of the tables in that database (default contextiq)
  CONTEXTIQ_API_KEYS    comma-separated keys every call must carry (default: no auth)
  CONTEXTIQ_TLS_CERT_FILE, CONTEXTIQ_TLS_KEY_FILE
                        PEM certificate chain and key: serve HTTPS (HTTP/2 and HTTP/1.1 by
                        ALPN); the URLs above are then https:// (default: cleartext)
  CONTEXTIQ_TLS_CLIENT_CA_FILE
                        PEM CA certificates: require client certificates they issued (mTLS)
${limitsHelp()}

Examples:
  $ contextiq serve
  $ DATABASE_URL=postgres://contextiq@db.internal:5432/contextiq contextiq serve
  $ SESSIONS_SERVICE_URL=http://0.0.0.0:9001 MEMORY_SERVICE_URL=http://0.0.0.0:9002 contextiq serve`,
    )
    .action(async () => {
      await serve(io, environment(io));
    });
}

/** The limits' variables, from the option table: each on its line, then what it is. */
function limitsHelp(): string {
  return serviceLimitEntries
    .map((entry) => {
      const fallback =
        entry.default === undefined ? undefined : entry.kind.toEnvText?.(entry.default);
      const said = fallback === undefined ? " (default: none)" : ` (default ${fallback})`;
      return `  ${entry.variable}\n${" ".repeat(24)}${entry.summary}${said}`;
    })
    .join("\n");
}

// A malformed variable is the caller's to fix, like a bad option: exit 2, naming the variable.
function environment(io: CliIo): ServeEnvironment {
  let env: ServeEnvironment;
  try {
    env = readServeEnvironment(io.env);
  } catch (error) {
    throw usageError(error);
  }
  if (env.memory.host !== env.sessions.host) {
    throw new UsageError(
      `SESSIONS_SERVICE_URL and MEMORY_SERVICE_URL name different hosts (${env.sessions.host}, ${env.memory.host}); both services run in this one process, so give them the same host`,
    );
  }
  return env;
}

async function serve(io: CliIo, env: ServeEnvironment): Promise<void> {
  // Loaded here, not at the top: only `serve` needs the server and its native SQLite module.
  const { startServices } = await import("../../server/start-services.js");
  const services = await startServices({
    ...(env.database ? { database: env.database } : { dataDir: env.dataDir }),
    host: env.sessions.host,
    sessionsPort: env.sessions.port,
    memoryPort: env.memory.port,
    apiKeys: env.apiKeys,
    ...(env.tls ? { tls: env.tls } : {}),
    ...env.limits,
  }).catch((error: unknown) => {
    if (isInvalidOptionError(error)) throw usageError(error);
    const { code, message } = error as { code?: string; message?: string };
    throw new Error(
      code === "EADDRINUSE"
        ? `cannot listen: ${message}. Another server is using the port; stop it or set SESSIONS_SERVICE_URL / MEMORY_SERVICE_URL to free ports.`
        : `cannot start the services: ${message ?? String(error)}`,
    );
  });
  const say = (line: string) => io.stdout.write(`${line}\n`);
  say(`Sessions service: ${services.sessionsUrl}  (contextiq.sessions.v1.SessionsService)`);
  say(`Memory service:   ${services.memoryUrl}  (contextiq.memory.v1.MemoryService)`);
  say(
    `  protocols: Connect (JSON, binary), gRPC, gRPC-Web; HTTP/1.1 and HTTP/2, ${env.tls ? `over TLS${env.tls.clientCa ? ", client certificates required" : ""}` : "cleartext"}`,
  );
  say(`  data: ${env.database ? services.storage : `${resolve(env.dataDir)} (SQLite)`}`);
  say(
    `  auth: ${env.apiKeys.length > 0 ? `API key required (${env.apiKeys.length} configured)` : "off (set CONTEXTIQ_API_KEYS to require one)"}`,
  );
  say("  health: GET /health, grpc.health.v1.Health; Ctrl-C stops");

  const signal = await firstSignal();
  say(`${signal}: draining in-flight calls, then closing the stores`);
  const again = (second: NodeJS.Signals) => {
    say(`${second} again: exiting without waiting`);
    process.exit(130);
  };
  process.once("SIGINT", again).once("SIGTERM", again);
  try {
    await services.close();
  } finally {
    process.off("SIGINT", again).off("SIGTERM", again);
  }
}

/**
 * The usage error (exit 2) for a bad setting, in its own words: an InvalidOptionError's without the
 * "[invalid_argument]" that ConnectError puts in front of its message.
 */
function usageError(error: unknown): UsageError {
  if (isInvalidOptionError(error)) return new UsageError(error.rawMessage);
  return new UsageError((error as Error).message);
}

function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop).off("SIGTERM", stop);
      done(signal);
    };
    process.on("SIGINT", stop).on("SIGTERM", stop);
  });
}
