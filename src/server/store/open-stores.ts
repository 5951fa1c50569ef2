import { join } from "node:path";
import type { PostgresOptions } from "./postgres/connection.js";
import { SqliteMemoryStore } from "./sqlite/memory-store.js";
import { SqliteSessionsStore } from "./sqlite/sessions-store.js";
import type { MemoryStore, SessionsStore } from "./store.js";

/** Where the services keep their data: SQLite files in a folder, or in memory; or PostgreSQL. */
export type StoreConfig =
  | { readonly dataDir?: string | undefined; readonly postgres?: undefined }
  | { readonly postgres: PostgresOptions; readonly dataDir?: undefined };

/** The stores of both services, opened, and a line saying where the data is. */
export interface OpenedStores {
  readonly sessions: SessionsStore;
  readonly memory: MemoryStore;
  readonly description: string;
}

/**
 * Opens the Sessions and the Memory store. SQLite keeps `sessions.db` and `memory.db` in
 * `dataDir` (in memory without one); PostgreSQL keeps both services' tables in one schema of one
 * database, which any number of replicas can share. If the second store fails to open, the first
 * is closed again.
 */
export async function openStores(config: StoreConfig): Promise<OpenedStores> {
  if (config.postgres !== undefined) {
    // Loaded only here: a server on SQLite never loads pg.
    const { openPostgresStores } = await import("./postgres/open-postgres-stores.js");
    return openPostgresStores(config.postgres);
  }
  const { dataDir } = config;
  const sessions = new SqliteSessionsStore(dataDir ? join(dataDir, "sessions.db") : ":memory:");
  try {
    const memory = new SqliteMemoryStore(dataDir ? join(dataDir, "memory.db") : ":memory:");
    return {
      sessions,
      memory,
      description: dataDir ? `${dataDir} (SQLite)` : "in memory (SQLite)",
    };
  } catch (error) {
    await sessions.close();
    throw error;
  }
}
