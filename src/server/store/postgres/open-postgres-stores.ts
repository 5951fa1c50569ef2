import type { OpenedStores } from "../open-stores.js";
import { type PostgresOptions, redactedUrl, schemaOf } from "./connection.js";
import { PostgresMemoryStore } from "./memory-store.js";
import { PostgresSessionsStore } from "./sessions-store.js";

/** Both stores on the database `options` name; see openStores. */
export async function openPostgresStores(options: PostgresOptions): Promise<OpenedStores> {
  const sessions = await PostgresSessionsStore.open(options);
  try {
    const memory = await PostgresMemoryStore.open(options);
    const search = memory.vectorSchema === undefined ? "exact search here" : "pgvector search";
    return {
      sessions,
      memory,
      description: `${redactedUrl(options.url)}, schema ${schemaOf(options)} (PostgreSQL, ${search})`,
    };
  } catch (error) {
    await sessions.close();
    throw error;
  }
}
