/**
 * Datasets loaded straight into the stores' tables, not through the services: the searches need
 * hundreds of thousands of memories, and this is not what is measured (its pace is reported as an
 * extra). SQLite through its store's createMemory, one at a time (2,000 a second, and whatever
 * the store keeps beside its tables is kept); PostgreSQL in bulk (postgres-bulk.ts), checked
 * against a row its store wrote.
 */
import { join } from "node:path";
import { PostgresMemoryStore } from "../../src/server/store/postgres/memory-store.js";
import { SqliteMemoryStore } from "../../src/server/store/sqlite/memory-store.js";
import { type Dataset, idOf, memoryAt } from "./datasets.js";
import { type EngineName, postgresOptions, type Storage } from "./engines.js";
import { dropVectorIndex } from "./footprint.js";
import { withClient } from "./postgres.js";
import { bulkInsert } from "./postgres-bulk.js";
import type { Progress } from "./progress.js";

/** How long one load took. */
export interface LoadRecord {
  readonly engine: EngineName;
  readonly dataset: Dataset["kind"];
  /** Memories in the dataset before and after. */
  readonly from: number;
  readonly to: number;
  /** "store": its createMemory, one at a time; "bulk": multi-row INSERTs. */
  readonly method: "store" | "bulk";
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/**
 * Adds the memories of indexes [from, to) of `dataset` to `storage`, and leaves it closed, so that
 * the services open it afresh. On PostgreSQL the HNSW index is dropped first if there is one: with
 * it every row inserted is a walk of the graph, minutes for 90,000, and the build after the load
 * is timed on its own. `VACUUM ANALYZE` follows, untimed: after a bulk load the tables have neither
 * statistics nor hint bits, which the first searches would pay for, where a table grown over time
 * has had autovacuum pass.
 */
export async function loadMemories(
  storage: Storage,
  dataset: Dataset,
  from: number,
  to: number,
  progress: Progress,
): Promise<LoadRecord> {
  const label = `${storage.engine} ${dataset.kind}`;
  const report = (done: number, seconds: number) =>
    progress.note(
      `  loading ${label}: ${from + done}/${to} (${Math.round(done / seconds)} rows/s)`,
    );
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  if (storage.engine === "sqlite") {
    await loadThroughStore(storage.dataDir, dataset, from, to, (done) => report(done, elapsed()));
  } else {
    if (await dropVectorIndex(storage)) progress.note(`  dropped the HNSW index of ${label}`);
    await loadInBulk(storage, dataset, from, to, (done) => report(done, elapsed()));
  }
  const seconds = elapsed();
  if (storage.engine === "postgres") await vacuumAnalyze(storage.url, storage.schema);
  const rowsPerSecond = (to - from) / seconds;
  progress.note(
    `loaded ${to - from} memories into ${label} in ${seconds.toFixed(1)} s (${Math.round(rowsPerSecond)} rows/s)`,
  );
  const method = storage.engine === "sqlite" ? "store" : "bulk";
  return {
    engine: storage.engine,
    dataset: dataset.kind,
    from,
    to,
    method,
    seconds,
    rowsPerSecond,
  };
}

async function loadThroughStore(
  dataDir: string,
  dataset: Dataset,
  from: number,
  to: number,
  report: (done: number) => void,
): Promise<void> {
  const store = new SqliteMemoryStore(join(dataDir, "memory.db"));
  try {
    let lastReport = performance.now();
    for (let index = from; index < to; index++) {
      const now = Date.now();
      await store.createMemory(memoryAt(dataset, index, now), undefined, now);
      if (performance.now() - lastReport >= 10_000) {
        lastReport = performance.now();
        report(index + 1 - from);
      }
    }
  } finally {
    await store.close();
  }
}

/**
 * The first memory through the store (which also creates the tables, without an index), the
 * rest in bulk; then checks that the bulk rows fill the same columns as the store's row and that
 * every memory is there, so that a column the store comes to write cannot be silently missed.
 */
async function loadInBulk(
  storage: Storage & { engine: "postgres" },
  dataset: Dataset,
  from: number,
  to: number,
  report: (done: number) => void,
): Promise<void> {
  const store = await PostgresMemoryStore.open(postgresOptions(storage, { vectorIndex: false }));
  let storeRow: string;
  try {
    const now = Date.now();
    storeRow = (await store.createMemory(memoryAt(dataset, from, now), undefined, now)).id;
  } finally {
    await store.close();
  }
  if (to === from + 1) return;
  await bulkInsert(storage.url, storage.schema, dataset, from + 1, to, report);
  const bulkRow = idOf(dataset, to - 1);
  await withClient(storage.url, async (client) => {
    const shape = async (id: string) => {
      const { rows } = await client.query<{ shape: string }>(
        `SELECT (SELECT string_agg(key, ',' ORDER BY key) FROM json_each(row_to_json(m))
                   WHERE value::text <> 'null')
                || ' + ' || (SELECT count(*) FROM ${storage.schema}.memories_scope WHERE owner = m.seq)
                || ' scope entries' AS shape
           FROM ${storage.schema}.memories m WHERE m.id = $1`,
        [id],
      );
      return rows[0]?.shape ?? "missing";
    };
    const [expected, actual] = [await shape(storeRow), await shape(bulkRow)];
    if (expected !== actual) {
      throw new Error(
        `bulk rows differ from the store's: ${actual}, where the store wrote ${expected}`,
      );
    }
    const { rows } = await client.query<{ count: string }>(
      `SELECT count(*) FROM ${storage.schema}.memories`,
    );
    if (Number(rows[0]?.count) < to) {
      throw new Error(`${rows[0]?.count} memories in ${storage.schema} after loading ${to}`);
    }
  });
}

async function vacuumAnalyze(url: string, schema: string): Promise<void> {
  await withClient(url, (client) =>
    client.query(`VACUUM ANALYZE ${schema}.memories, ${schema}.memories_scope`),
  );
}
