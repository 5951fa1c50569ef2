// The Memory stores the search suites run on, opened directly (no services: the suites load
// thousands of memories, and what they check is the stores' ranking), and memories to load.
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Memory,
  MemorySchema,
  SourceType,
} from "../../../gen/contextiq/memory/v1/memory_pb.js";
import type { PostgresOptions } from "../../../src/server/store/postgres/connection.js";
import { PostgresMemoryStore } from "../../../src/server/store/postgres/memory-store.js";
import { SqliteMemoryStore } from "../../../src/server/store/sqlite/memory-store.js";
import type { MemoryStore } from "../../../src/server/store/store.js";
import { dropSchema, uniqueSchema } from "../../support/stores.js";
import { testDatabaseUrl } from "../../support/test-database.js";

export interface OpenedStore {
  readonly store: MemoryStore;
  close(): Promise<void>;
}

/** A fresh Memory store of `engine`; for PostgreSQL, `options` add to the URL and a new schema. */
export async function openMemoryStore(
  engine: string,
  options: Partial<PostgresOptions> = {},
): Promise<OpenedStore & { schema?: string }> {
  if (engine === "SQLite") {
    const store = new SqliteMemoryStore(":memory:");
    return { store, close: () => store.close() };
  }
  const url = testDatabaseUrl ?? "";
  const schema = uniqueSchema();
  const store = await PostgresMemoryStore.open({ url, schema, ...options });
  return {
    store,
    schema,
    close: async () => {
      await store.close();
      await dropSchema(url, schema);
    },
  };
}

const dayMs = 86_400_000;

/** A memory as CreateMemory would store it. */
export function memoryOf(fields: {
  scope: Record<string, string>;
  embedding: number[];
  topic?: string;
  confidence?: number;
  now: number;
  ttlMs?: number;
}): Memory {
  return create(MemorySchema, {
    id: randomUUID(),
    scope: fields.scope,
    fact: `fact ${randomUUID()}`,
    topic: fields.topic ?? "",
    embedding: fields.embedding,
    confidence: fields.confidence ?? 1,
    importance: 0.5,
    sourceType: SourceType.DIRECT,
    expiresAt: timestampFromMs(fields.now + (fields.ttlMs ?? 365 * dayMs)),
    createdAt: timestampFromMs(fields.now),
    updatedAt: timestampFromMs(fields.now),
  });
}

/** Stores `memories`, a few at a time (PostgreSQL takes them in parallel), in their order. */
export async function load(store: MemoryStore, memories: readonly Memory[], now: number) {
  const inFlight = 8;
  for (let i = 0; i < memories.length; i += inFlight) {
    await Promise.all(
      memories.slice(i, i + inFlight).map((m) => store.createMemory(m, undefined, now)),
    );
  }
}

/** The ids of `limit` memories most similar to `query` by cosine, ranked here in float64. */
export function bruteForce(
  memories: readonly Memory[],
  query: readonly number[],
  limit: number,
): string[] {
  const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const q = norm(query);
  return memories
    .map((m, order) => ({
      id: m.id,
      order,
      score:
        m.embedding.reduce((s, x, i) => s + x * (query[i] as number), 0) / (norm(m.embedding) * q),
    }))
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, limit)
    .map((r) => r.id);
}

/** |found ∩ truth| / |truth|. */
export function recall(found: readonly string[], truth: readonly string[]): number {
  const wanted = new Set(truth);
  return found.filter((id) => wanted.has(id)).length / truth.length;
}
