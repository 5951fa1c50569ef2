/**
 * Memories loaded straight through the stores, not the services: the searches need tens of
 * thousands of them, and this is not what is measured (its pace is reported as an extra). Each
 * memory is as CreateMemory would store it, its embedding the seeded vector of its index, so every
 * engine holds the same data.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import pg from "pg";
import { type Memory, MemorySchema, SourceType } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { PostgresMemoryStore } from "../../src/server/store/postgres/memory-store.js";
import { SqliteMemoryStore } from "../../src/server/store/sqlite/memory-store.js";
import { type EngineName, postgresOptions, type Storage } from "./engines.js";
import type { Progress } from "./progress.js";
import { embedding, streams } from "./vectors.js";

/** The one scope every searched memory is in: all of them are candidates of every search. */
export const searchScope = { user_id: "bench-search" };
const dayMs = 86_400_000;
/** createMemory calls in flight on PostgreSQL (its pool holds 10 connections); SQLite is synchronous. */
const postgresInFlight = 8;

/** How long one load took. */
export interface LoadRecord {
  readonly engine: EngineName;
  /** Memories in the scope before and after. */
  readonly from: number;
  readonly to: number;
  readonly inFlight: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** The fact of the memory of `index`: what the searches compare across engines. */
export function factOf(index: number): string {
  return `Benchmark fact number ${index}.`;
}

function memoryAt(index: number, now: number): Memory {
  return create(MemorySchema, {
    id: randomUUID(),
    scope: searchScope,
    fact: factOf(index),
    topic: "bench",
    embedding: embedding(streams.memories, index).values,
    confidence: 1,
    importance: 0.5,
    sourceType: SourceType.DIRECT,
    expiresAt: timestampFromMs(now + 365 * dayMs),
    createdAt: timestampFromMs(now),
    updatedAt: timestampFromMs(now),
  });
}

interface Store {
  createMemory(memory: Memory, key: undefined, now: number): Promise<Memory>;
  close(): Promise<void>;
}

/**
 * Adds the memories of indexes [from, to) to `storage`'s memory store, opened for the load and
 * closed after, so that the services open it afresh. On PostgreSQL, `VACUUM ANALYZE` follows
 * (untimed): after a bulk load the tables have neither statistics nor hint bits, which the first
 * searches would pay for, where a table grown over time has had autovacuum pass.
 */
export async function loadMemories(
  storage: Storage,
  from: number,
  to: number,
  progress: Progress,
): Promise<LoadRecord> {
  const store: Store =
    storage.engine === "sqlite"
      ? new SqliteMemoryStore(join(storage.dataDir, "memory.db"))
      : await PostgresMemoryStore.open(postgresOptions(storage));
  const inFlight = storage.engine === "sqlite" ? 1 : postgresInFlight;
  let seconds: number;
  try {
    seconds = await insertAll(store, from, to, inFlight, (done, elapsed) =>
      progress.note(
        `  loading ${storage.engine}: ${from + done}/${to} (${Math.round(done / elapsed)} rows/s)`,
      ),
    );
  } finally {
    await store.close();
  }
  if (storage.engine === "postgres") await vacuumAnalyze(storage.url, storage.schema);
  const rowsPerSecond = (to - from) / seconds;
  progress.note(
    `loaded ${to - from} memories into ${storage.engine} in ${seconds.toFixed(1)} s (${Math.round(rowsPerSecond)} rows/s)`,
  );
  return { engine: storage.engine, from, to, inFlight, seconds, rowsPerSecond };
}

/** Inserts [from, to) with `inFlight` callers; reports every 10 s; returns the seconds it took. */
async function insertAll(
  store: Store,
  from: number,
  to: number,
  inFlight: number,
  report: (done: number, elapsedSeconds: number) => void,
): Promise<number> {
  const start = performance.now();
  let next = from;
  let lastReport = start;
  const worker = async () => {
    for (let index = next++; index < to; index = next++) {
      const now = Date.now();
      await store.createMemory(memoryAt(index, now), undefined, now);
      const at = performance.now();
      if (at - lastReport >= 10_000) {
        lastReport = at;
        report(index + 1 - from, (at - start) / 1000);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (performance.now() - start) / 1000;
}

async function vacuumAnalyze(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: "bench-storage" });
  await client.connect();
  try {
    await client.query(`VACUUM ANALYZE ${schema}.memories, ${schema}.memories_scope`);
  } finally {
    await client.end();
  }
}
