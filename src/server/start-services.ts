import type { ConnectRouter } from "@connectrpc/connect";
import { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import { propagateInboundDeadline } from "../policy/deadline-context.js";
import { logUnexpectedErrors } from "./log-unexpected-errors.js";
import { createMemoryService } from "./memory/memory-service.js";
import { type RunningServer, type ServeTlsOptions, serve } from "./serve/index.js";
import { resolvePort, resolveServiceLimits } from "./service-option-table.js";
import { createSessionsService } from "./sessions/sessions-service.js";
import { openStores } from "./store/open-stores.js";
import type { PostgresOptions } from "./store/postgres/connection.js";

/** Options of {@link startServices}. */
export interface StartServicesOptions {
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
  /**
   * How long `close()` lets in-flight calls finish, in ms (`CONTEXTIQ_DRAIN_TIMEOUT`, in seconds,
   * for `contextiq serve`). Defaults to 10 seconds.
   */
  drainTimeoutMs?: number;
  /**
   * HTTP/2 streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS;
   * `CONTEXTIQ_MAX_CONCURRENT_STREAMS` for `contextiq serve`). Defaults to 100.
   */
  maxConcurrentStreams?: number;
  /**
   * How long a client may take to send a whole request, headers and body, in ms; a slower one is
   * cut (`CONTEXTIQ_REQUEST_TIMEOUT`, in seconds, for `contextiq serve`). Defaults to 30 seconds.
   */
  requestTimeoutMs?: number;
  /**
   * How long a new connection may take to finish its TLS handshake, or in cleartext to show which
   * HTTP version it speaks, in ms (`CONTEXTIQ_HANDSHAKE_TIMEOUT`, in seconds, for `contextiq
   * serve`). Defaults to 10 seconds.
   */
  handshakeTimeoutMs?: number;
  /**
   * How long a connection may send nothing before it is closed, in ms; announced to HTTP/1.1
   * clients in `Keep-Alive: timeout=` (`CONTEXTIQ_IDLE_TIMEOUT`, in seconds, for `contextiq serve`).
   * Defaults to 5 minutes.
   */
  idleTimeoutMs?: number;
  /**
   * Connections each service keeps open at once; more are closed as soon as they are accepted
   * (`CONTEXTIQ_MAX_CONNECTIONS` for `contextiq serve`). Not the database's pool, which is
   * `database.maxConnections`. Defaults to 4096.
   */
  maxConnections?: number;
  /**
   * How long a connection lives before it is asked to go, in ms, give or take 10%, so that
   * clients behind an L4 balancer spread over replicas added since (`CONTEXTIQ_MAX_CONNECTION_AGE`,
   * in seconds, for `contextiq serve`). Defaults to none.
   */
  maxConnectionAgeMs?: number | undefined;
  /**
   * How long the calls of a connection asked to go may take before it is cut, in ms
   * (`CONTEXTIQ_MAX_CONNECTION_AGE_GRACE`, in seconds, for `contextiq serve`). Defaults to none.
   */
  maxConnectionAgeGraceMs?: number | undefined;
  /**
   * Largest request message accepted, in bytes; a larger one is RESOURCE_EXHAUSTED
   * (`CONTEXTIQ_READ_MAX_BYTES` for `contextiq serve`). Defaults to 4 MiB.
   */
  readMaxBytes?: number;
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
            createSessionsService({ store: sessionsStore, ...clock }),
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
