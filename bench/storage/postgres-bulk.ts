/**
 * Memories into PostgreSQL in bulk: INSERTs of a few hundred rows, two in flight, with the
 * columns the store's own CreateMemory writes (newMemoryRow, which both stores share) and the
 * scope entries in the same statement. About 3,000 rows/s, where the store's createMemory, one
 * transaction per memory, manages 500: a 100,000-memory dataset loads in a minute, not four.
 *
 * Embeddings go as binary real[] parameters: the very float32 values the store's text form
 * (realArray) stores, without PostgreSQL parsing 1,536 decimals a row, most of the time otherwise.
 */
import pg from "pg";
import { float32Of } from "../../src/server/store/float32.js";
import { newMemoryRow } from "../../src/server/store/memory-rows.js";
import { type Dataset, memoryAt } from "./datasets.js";

const rowsPerInsert = 200;
/** Inserts in flight: one generates its rows in Node while PostgreSQL writes the other's. */
const inFlight = 2;
const float4Oid = 700;

/** `values` as a real[] in PostgreSQL's binary format (array_recv's): a header, then each float. */
export function binaryRealArray(values: Float32Array): Buffer {
  const bytes = Buffer.allocUnsafe(20 + 8 * values.length);
  bytes.writeInt32BE(1, 0); // dimensions
  bytes.writeInt32BE(0, 4); // no nulls
  bytes.writeInt32BE(float4Oid, 8);
  bytes.writeInt32BE(values.length, 12);
  bytes.writeInt32BE(1, 16); // lower bound
  for (let i = 0, at = 20; i < values.length; i++, at += 8) {
    bytes.writeInt32BE(4, at);
    bytes.writeFloatBE(values[i] as number, at + 4);
  }
  return bytes;
}

/** One INSERT of the memories of indexes [from, to) and their scope entries. */
function insertOf(
  schema: string,
  dataset: Dataset,
  from: number,
  to: number,
): { text: string; values: unknown[] } {
  const now = Date.now();
  const values: unknown[] = [];
  const tuples: string[] = [];
  let columns: string[] = [];
  for (let index = from; index < to; index++) {
    const memory = memoryAt(dataset, index, now);
    const row = newMemoryRow(memory, float32Of(memory.embedding), binaryRealArray);
    columns = Object.keys(row);
    const placeholders = Object.entries(row).map(([column, value]) => {
      values.push(value);
      // A Buffer goes in binary, which PostgreSQL reads only once told the type.
      return column === "embedding" ? `$${values.length}::real[]` : `$${values.length}`;
    });
    tuples.push(`(${placeholders.join(", ")})`);
  }
  return {
    text: `WITH m AS (
        INSERT INTO ${schema}.memories (${columns.join(", ")}) VALUES ${tuples.join(", ")}
        RETURNING seq, scope)
      INSERT INTO ${schema}.memories_scope (owner, key, value)
        SELECT m.seq, e.key, e.value FROM m, json_each_text(m.scope) AS e`,
    values,
  };
}

/**
 * Inserts the memories of indexes [from, to) of `dataset` into the store's tables in `schema`,
 * which must exist; calls `report` every 10 s. Each INSERT commits on its own.
 */
export async function bulkInsert(
  url: string,
  schema: string,
  dataset: Dataset,
  from: number,
  to: number,
  report: (done: number) => void,
): Promise<void> {
  const pool = new pg.Pool({
    connectionString: url,
    max: inFlight,
    application_name: "bench-storage-load",
  });
  let next = from;
  let lastReport = performance.now();
  const worker = async () => {
    for (let start = next; start < to; start = next) {
      next = Math.min(to, start + rowsPerInsert);
      const insert = insertOf(schema, dataset, start, next);
      await pool.query(insert.text, insert.values);
      if (performance.now() - lastReport >= 10_000) {
        lastReport = performance.now();
        report(next - from);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: inFlight }, worker));
  } finally {
    await pool.end();
  }
}
