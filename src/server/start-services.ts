import type { ConnectRouter } from "@connectrpc/connect";
import { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { propagateInboundDeadline } from "../policy/deadline-context.js";
import { logUnexpectedErrors } from "./log-unexpected-errors.js";
import { createMemoryService } from "./memory/memory-service.js";
import { type RunningServer, type ServeTlsOptions, serve } from "./serve/index.js";
import type { ServiceLimitOptions } from "./serve/service-limit-options.js";
import { resolvePort, resolveServiceLimits } from "./service-option-table.js";
import { createSessionsService } from "./sessions/sessions-service.js";
import { openStores } from "./store/open-stores.js";
import type { PostgresOptions } from "./store/postgres/connection.js";

/** Options of {@link startServices}. */
export interface StartServicesOptions extends ServiceLimitOptions {
  /**
   * Folder for the SQLite databases (`sessions.db`, `memory.db`), created if missing. Defaults to
   * none: each service keeps its data in memory, gone when it closes.
   */
  dataDir?: string;
  /**
   * Keep the data in PostgreSQL instead of SQLite (`DATABASE_URL` for `contextiq serve`). Any
   * number of servers may share one database: they are replicas of the same services. Tables are
   * created or migrated at start. Not together with `dataDir`.
   */
  database?: PostgresOptions;
  /** Host both services listen on. Defaults to "127.0.0.1". */
  host?: string;
  /** Port of the Sessions service. Defaults to 0, an ephemeral port. */
  sessionsPort?: number;
  /** Port of the Memory service. Defaults to 0, an ephemeral port. */
  memoryPort?: number;
  /**
   * API keys: when non-empty, every RPC needs `Authorization: Bearer <key>` or `x-api-key: <key>`
   * with one of them, else UNAUTHENTICATED. Health checks stay open. Defaults to none (no auth).
   */
  apiKeys?: readonly string[];
  /**
   * Serve HTTPS: the certificate and key both services present, and optionally the CA that client
   * certificates must chain to (mutual TLS). Defaults to none: cleartext.
   */
  tls?: ServeTlsOptions;
  /** The services' clock, in ms since the epoch, for tests of expiry. Defaults to Date.now. */
  now?: () => number;
}

/** Both reference services, running. */
export interface RunningServices extends AsyncDisposable {
  /** Base URL of the Sessions service, e.g. "http://127.0.0.1:8001". */
  readonly sessionsUrl: string;
  /** Base URL of the Memory service, e.g. "http://127.0.0.1:8002". */
  readonly memoryUrl: string;
  /** Where the data is, e.g. "/var/lib/contextiq (SQLite)"; never shows a password. */
  readonly storage: string;
  /** Stops accepting calls, drains the ones in flight, closes the stores. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the Sessions and the Memory service, each on its own port, serving Connect (JSON and
 * binary), gRPC and gRPC-Web over HTTP/1.1 and HTTP/2 (cleartext, or TLS with `tls`), on SQLite
 * (the default) or PostgreSQL stores.
 *
 * ```ts
 * await using services = await startServices();
 * const sessions = new SessionsServiceClient({ baseUrl: services.sessionsUrl });
 * ```
 *
 * A bad option throws an InvalidOptionError naming it before any store opens or port listens.
 */
export async function startServices(options: StartServicesOptions = {}): Promise<RunningServices> {
  const { dataDir, database, now } = options;
  // Every option is checked before a store opens: a bad one leaves nothing behind.
  if (dataDir !== undefined && database !== undefined) {
    throw new InvalidOptionError(
      { option: "database", fromEnvironment: false, of: "startServices" },
      "startServices: give dataDir (SQLite) or database (PostgreSQL), not both",
    );
  }
  const limits = resolveServiceLimits(options, "startServices");
  const sessionsPort = resolvePort(options, "sessionsPort", "startServices");
  const memoryPort = resolvePort(options, "memoryPort", "startServices");
  const stores = await openStores(database ? { postgres: database } : { dataDir });
  const { sessions: sessionsStore, memory: memoryStore } = stores;
  const clock = now ? { now } : {};
  const servers: RunningServer[] = [];
  const close = async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all([sessionsStore.close(), memoryStore.close()]);
  };
  try {
    const common = {
      host: options.host ?? "127.0.0.1",
      apiKeys: options.apiKeys ?? [],
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      // Handlers run under their call's deadline, which any client they call inherits.
      interceptors: [logUnexpectedErrors(), propagateInboundDeadline()],
      ...limits,
    };
    servers.push(
      await serve({
        ...common,
        port: sessionsPort,
        serviceNames: [SessionsService.typeName],
        ready: () => sessionsStore.ready(),
        routes: (router: ConnectRouter) => {
          router.service(
            SessionsService,
            createSessionsService({
              store: sessionsStore,
              ...clock,
              watch: {
                maxWatchers: limits.maxWatchers,
                stallTimeoutMs: limits.watchStallTimeoutMs,
                // Heartbeats well within the idle timeout: a quiet watch's connection stays up.
                maxHeartbeatMs: Math.max(1_000, limits.idleTimeoutMs / 2),
              },
            }),
          );
        },
      }),
    );
    servers.push(
      await serve({
        ...common,
        port: memoryPort,
        serviceNames: [MemoryService.typeName],
        ready: () => memoryStore.ready(),
        routes: (router: ConnectRouter) => {
          router.service(MemoryService, createMemoryService({ store: memoryStore, ...clock }));
        },
      }),
    );
  } catch (error) {
    await close();
    throw error;
  }
  const [sessionsServer, memoryServer] = servers as [RunningServer, RunningServer];
  return {
    sessionsUrl: sessionsServer.url,
    memoryUrl: memoryServer.url,
    storage: stores.description,
    close,
    [Symbol.asyncDispose]: close,
  };
}
