/**
 * The engines: where a phase keeps its data (a fresh SQLite folder or a fresh PostgreSQL schema),
 * and the reference services started on it with the public facade clients pointed at them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryServiceClient, SessionsServiceClient } from "../../src/index.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import type { PostgresOptions } from "../../src/server/store/postgres/connection.js";
import { onCleanup } from "./cleanup.js";
import { freshSchema } from "./postgres.js";

export type EngineName = "sqlite" | "postgres";

/** Where an engine keeps one phase's data. */
export type Storage =
  | { readonly engine: "sqlite"; readonly dataDir: string }
  | { readonly engine: "postgres"; readonly url: string; readonly schema: string };

/** A fresh temporary folder, removed at the end (files on disk, as `contextiq serve` keeps them). */
export async function sqliteStorage(purpose: string): Promise<Storage> {
  const dataDir = await mkdtemp(join(tmpdir(), `contextiq-bench-${purpose}-`));
  onCleanup(`rm ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  return { engine: "sqlite", dataDir };
}

/** A fresh schema, dropped at the end. */
export function postgresStorage(url: string, purpose: string): Storage {
  return { engine: "postgres", url, schema: freshSchema(url, purpose) };
}

/**
 * How a PostgreSQL store ranks searches and keeps its HNSW index; left out, the store's defaults.
 * SQLite takes none.
 */
export interface StoreSettings {
  readonly vectorSearch?: NonNullable<PostgresOptions["vectorSearch"]>;
  readonly vectorIndex?: NonNullable<PostgresOptions["vectorIndex"]>;
}

/** The options PostgreSQL stores of `storage` open with. */
export function postgresOptions(
  storage: Storage & { engine: "postgres" },
  settings: StoreSettings = {},
): PostgresOptions {
  return { url: storage.url, schema: storage.schema, ...settings };
}

/** Services running on a storage, and facade clients of both. */
export interface Running {
  readonly services: RunningServices;
  readonly sessions: SessionsServiceClient;
  readonly memory: MemoryServiceClient;
  /** Retries the clients have made so far (the facade retries transient failures). */
  retries(): number;
  close(): Promise<void>;
}

/**
 * Starts the reference services in this process on `storage` (PostgreSQL's store opened with
 * `settings`) and connects a SessionsServiceClient and a MemoryServiceClient over gRPC, with the
 * facade's defaults: retries, circuit breaker, a request_id on every create.
 */
export async function startOn(storage: Storage, settings: StoreSettings = {}): Promise<Running> {
  const services = await startServices(
    storage.engine === "sqlite"
      ? { dataDir: storage.dataDir }
      : { database: postgresOptions(storage, settings) },
  );
  const forget = onCleanup(`close services on ${services.storage}`, () => services.close());
  let retries = 0;
  // An empty env: the defaults, whatever SESSIONS_SERVICE_* or MEMORY_SERVICE_* the shell sets.
  const common = { transport: "grpc", env: {}, onRetry: () => void retries++ } as const;
  const sessions = new SessionsServiceClient({ ...common, baseUrl: services.sessionsUrl });
  const memory = new MemoryServiceClient({ ...common, baseUrl: services.memoryUrl });
  return {
    services,
    sessions,
    memory,
    retries: () => retries,
    close: async () => {
      await Promise.all([sessions.close(), memory.close()]);
      await services.close();
      forget();
    },
  };
}
