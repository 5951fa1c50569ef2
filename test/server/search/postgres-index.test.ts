// PostgreSQL's HNSW index as the database sees it: built at start-up with the options' parameters,
// once for replicas starting together, again after a build that failed, never with
// vectorIndex false; asked by searches (the database's own statistics say so).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PostgresMemoryStore } from "../../../src/server/store/postgres/memory-store.js";
import { vectorIndexSettings } from "../../../src/server/store/postgres/vector-index.js";
import { clusteredEmbeddings } from "../../support/clustered-embeddings.js";
import { mulberry32 } from "../../support/mulberry32.js";
import { describeOnPostgres, dropSchema, uniqueSchema } from "../../support/stores.js";
import { load, memoryOf } from "./search-engines.js";

const now = Date.UTC(2026, 0, 1);

describe("vectorIndex", () => {
  it.each([
    [{ m: 1 }, "vectorIndex.m must be a whole number from 2 to 100, not 1"],
    [{ m: 16.5 }, "vectorIndex.m must be a whole number from 2 to 100, not 16.5"],
    [{ efSearch: 0 }, "vectorIndex.efSearch must be a whole number from 1 to 1000, not 0"],
    [{ efConstruction: 2000 }, "vectorIndex.efConstruction must be a whole number from 4 to 1000"],
    [{ m: 48 }, "vectorIndex.efConstruction must be at least twice m (96, with m 48), not 64"],
  ])("refuses %j, naming the parameter", (options, message) => {
    expect(() => vectorIndexSettings(options)).toThrow(message);
  });

  it("fills in the defaults, and is nothing when false", () => {
    expect(vectorIndexSettings({ efSearch: 50 })).toEqual({
      m: 8,
      efConstruction: 64,
      efSearch: 50,
    });
    expect(vectorIndexSettings(false)).toBeUndefined();
  });
});

describeOnPostgres("the HNSW index on PostgreSQL", (url) => {
  const schemas: string[] = [];
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    for (const schema of schemas) await dropSchema(url, schema);
  });
  const freshSchema = () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    return schema;
  };
  const indexOf = async (schema: string) =>
    (
      await admin.query<{ definition: string; valid: boolean }>(
        `SELECT pg_get_indexdef(i.indexrelid) AS definition, i.indisvalid AS valid FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relname = 'memories_embedding_hnsw'`,
        [schema],
      )
    ).rows[0];

  it("is built with the given parameters over the sign bits of live 1,536-value embeddings", async () => {
    const schema = freshSchema();
    const store = await PostgresMemoryStore.open({
      url,
      schema,
      vectorIndex: { m: 6, efConstruction: 32 },
    });
    await store.close();
    const index = await indexOf(schema);
    expect(index?.valid).toBe(true);
    expect(index?.definition).toContain("USING hnsw");
    expect(index?.definition).toContain("bit_hamming_ops");
    expect(index?.definition).toContain("binary_quantize");
    expect(index?.definition).toContain("m='6', ef_construction='32'");
    expect(index?.definition).toMatch(
      /WHERE \(\(dimensions = 1536\) AND \(norm > .*deleted_at IS NULL/,
    );
  });

  it("is not built with vectorIndex false", async () => {
    const schema = freshSchema();
    const store = await PostgresMemoryStore.open({ url, schema, vectorIndex: false });
    await store.close();
    expect(await indexOf(schema)).toBeUndefined();
  });

  it("is built once by replicas opening together on memories already there", async () => {
    const schema = freshSchema();
    const first = await PostgresMemoryStore.open({ url, schema, vectorIndex: false });
    const embeddings = clusteredEmbeddings(mulberry32(7), 1536, 10);
    await load(
      first,
      Array.from({ length: 300 }, () =>
        memoryOf({ scope: { u: "1" }, embedding: embeddings.next(), now }),
      ),
      now,
    );
    await first.close();
    const replicas = await Promise.all(
      [1, 2, 3].map(() => PostgresMemoryStore.open({ url, schema })),
    );
    await Promise.all(replicas.map((replica) => replica.close()));
    expect((await indexOf(schema))?.valid).toBe(true);
  });

  it("is built again when a build that failed left it invalid", async () => {
    const schema = freshSchema();
    await (await PostgresMemoryStore.open({ url, schema })).close();
    // What CREATE INDEX CONCURRENTLY leaves when it fails half way: an index marked invalid.
    await admin.query(
      `UPDATE pg_index SET indisvalid = false WHERE indexrelid = '${schema}.memories_embedding_hnsw'::regclass`,
    );
    expect((await indexOf(schema))?.valid).toBe(false);
    await (await PostgresMemoryStore.open({ url, schema })).close();
    expect((await indexOf(schema))?.valid).toBe(true);
  });

  it("answers searches of a large scope, and not exact ones", async () => {
    const schema = freshSchema();
    const store = await PostgresMemoryStore.open({ url, schema });
    const embeddings = clusteredEmbeddings(mulberry32(11), 1536, 10);
    const scope = { user_id: "large" };
    await load(
      store,
      Array.from({ length: 3000 }, () => memoryOf({ scope, embedding: embeddings.next(), now })),
      now,
    );
    await admin.query(`ANALYZE ${schema}.memories`);
    const scans = async () =>
      Number(
        (
          await admin.query<{ n: string }>(
            `SELECT idx_scan AS n FROM pg_stat_user_indexes
               WHERE schemaname = $1 AND indexrelname = 'memories_embedding_hnsw'`,
            [schema],
          )
        ).rows[0]?.n ?? 0,
      );
    const search = (exact: boolean) =>
      store.searchMemories(
        { scope, topic: "", embedding: embeddings.next(), minConfidence: 0, limit: 10, exact },
        now + 1,
      );
    for (let i = 0; i < 3; i++) await search(true);
    const afterExact = await scans();
    for (let i = 0; i < 5; i++) await search(false);
    // A backend reports its statistics when it has been idle for a while: up to ten seconds.
    await vi.waitFor(async () => expect(await scans()).toBeGreaterThanOrEqual(afterExact + 5), {
      timeout: 30_000,
      interval: 500,
    });
    await store.close();
  }, 120_000);
});
