/**
 * What a dataset takes on disk, and pgvector's HNSW index of it on PostgreSQL, which the store
 * builds at start-up under the name below unless opened with `vectorIndex: false`.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Storage } from "./engines.js";
import { withClient } from "./postgres.js";

export const vectorIndexName = "memories_embedding_hnsw";

/** Sizes in bytes; null when there is no such thing (no index, or SQLite's tables). */
export interface Footprint {
  /** SQLite: memory.db and its -wal and -shm files. PostgreSQL: `memories`, TOAST included. */
  readonly dataBytes: number;
  /** The HNSW index's pg_relation_size, or null without one. */
  readonly indexBytes: number | null;
  /** Its definition, as pg_indexes shows it (with m and ef_construction), or null. */
  readonly indexDefinition: string | null;
}

export async function footprintOf(storage: Storage): Promise<Footprint> {
  if (storage.engine === "sqlite") {
    const files = (await readdir(storage.dataDir)).filter((f) => f.startsWith("memory.db"));
    const sizes = await Promise.all(files.map((f) => stat(join(storage.dataDir, f))));
    return {
      dataBytes: sizes.reduce((sum, s) => sum + s.size, 0),
      indexBytes: null,
      indexDefinition: null,
    };
  }
  return withClient(storage.url, async (client) => {
    const { rows } = await client.query<{
      data: string;
      index: string | null;
      definition: string | null;
    }>(
      `SELECT pg_table_size(to_regclass($1)) AS data,
              pg_relation_size(to_regclass($2)) AS index,
              (SELECT indexdef FROM pg_indexes WHERE schemaname = $3 AND indexname = $4) AS definition`,
      [
        `${storage.schema}.memories`,
        `${storage.schema}.${vectorIndexName}`,
        storage.schema,
        vectorIndexName,
      ],
    );
    const row = rows[0];
    return {
      dataBytes: Number(row?.data ?? 0),
      indexBytes: row?.index == null ? null : Number(row.index),
      indexDefinition: row?.definition ?? null,
    };
  });
}

/** Drops the HNSW index of `storage` if there is one (PostgreSQL); whether there was. */
export async function dropVectorIndex(storage: Storage): Promise<boolean> {
  if (storage.engine === "sqlite") {
    // The covering index of sign sketches, which every write keeps up to date.
    const db = new Database(join(storage.dataDir, "memory.db"));
    try {
      return db.prepare("DROP INDEX IF EXISTS memories_for_search").run().changes >= 0;
    } finally {
      db.close();
    }
  }
  return withClient(storage.url, async (client) => {
    const { rows } = await client.query<{ found: string | null }>(
      "SELECT to_regclass($1)::text AS found",
      [`${storage.schema}.${vectorIndexName}`],
    );
    if (rows[0]?.found == null) return false;
    await client.query(`DROP INDEX ${storage.schema}.${vectorIndexName}`);
    return true;
  });
}
