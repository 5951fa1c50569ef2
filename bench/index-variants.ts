// Which HNSW index the PostgreSQL store builds: for a few index variants on one table of the
// storage benchmark's embeddings, what an insert costs, how long the build takes, the index's
// size, and the recall@10 and latency of a search that ranks the index's candidates exactly, as
// the store's does (src/server/store/postgres/ranking.ts). The measurement behind the index of
// sign bits with m 8 (docs/search.md). About four minutes; keep the machine idle.
//
//   npx tsx bench/index-variants.ts [--database-url URL] [--rows 30000]
//
// The URL: --database-url, else BENCH_DATABASE_URL, else TEST_DATABASE_URL. Measure on a server
// with fsync on, as one is run: an insert's cost is mostly the pages and WAL it writes. The table
// lives in a fresh schema, dropped at the end. Inserts: 400 rows, one at a time, on one connection.

import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { float32Of } from "../src/server/store/float32.js";
import { realArray } from "../src/server/store/postgres/float32.js";
import { embeddings, streams } from "./storage/vectors.js";

const { values } = parseArgs({
  options: { "database-url": { type: "string" }, rows: { type: "string", default: "30000" } },
});
const url =
  values["database-url"] ?? process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"];
if (url === undefined) throw new Error("give --database-url (or BENCH_DATABASE_URL)");
const rows = Number(values.rows);
const inserts = 400;
const queries = 50;

const halfvec = "(l2_normalize(embedding::vector(1536))::halfvec(1536))";
const bits = "(binary_quantize(embedding::vector(1536))::bit(1536))";
const variants = [
  {
    name: "halfvec unit vectors, m 8, 40 candidates",
    using: `hnsw (${halfvec} halfvec_cosine_ops) WITH (m = 8, ef_construction = 64)`,
    order: `${halfvec} <=> l2_normalize($1::real[]::vector(1536))::halfvec(1536)`,
    candidates: 40,
  },
  {
    name: "sign bits, m 16, 100 candidates",
    using: `hnsw (${bits} bit_hamming_ops) WITH (m = 16, ef_construction = 64)`,
    order: `${bits} <~> binary_quantize($1::real[]::vector(1536))::bit(1536)`,
    candidates: 100,
  },
  {
    name: "sign bits, m 8, 100 candidates",
    using: `hnsw (${bits} bit_hamming_ops) WITH (m = 8, ef_construction = 64)`,
    order: `${bits} <~> binary_quantize($1::real[]::vector(1536))::bit(1536)`,
    candidates: 100,
  },
];

const client = new pg.Client({ connectionString: url, application_name: "bench-index-variants" });
await client.connect();
const schema = `bench_index_${randomBytes(4).toString("hex")}`;
const text = (values: readonly number[]) => realArray(float32Of(values));
try {
  await client.query(`CREATE SCHEMA ${schema}; SET search_path = ${schema}, public`);
  await client.query("CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY, embedding real[])");
  const drawn = embeddings(streams.memories, rows + inserts).map((d) => text(d.values));
  for (let i = 0; i < rows; i += 500) {
    await client.query("INSERT INTO t (embedding) SELECT e::real[] FROM unnest($1::text[]) AS e", [
      drawn.slice(i, Math.min(i + 500, rows)),
    ]);
  }
  await client.query("VACUUM ANALYZE t");
  const asked = embeddings(streams.queries, queries).map((d) => text(d.values));
  const exact: string[][] = [];
  for (const query of asked) {
    const { rows: top } = await client.query<{ id: string }>(
      "SELECT id FROM t ORDER BY embedding::vector <=> $1::real[]::vector, id LIMIT 10",
      [query],
    );
    exact.push(top.map((row) => row.id));
  }
  console.log(`${rows} rows of 1536-float embeddings; ${inserts} inserts; ${queries} queries`);
  console.log(`without an index: ${(await insertMs(drawn.slice(rows))).toFixed(2)} ms an insert`);
  for (const variant of variants) {
    await client.query("SET maintenance_work_mem = '1GB'");
    const started = performance.now();
    await client.query(`CREATE INDEX ix ON t USING ${variant.using}`);
    const buildSeconds = (performance.now() - started) / 1000;
    const { rows: size } = await client.query<{ bytes: string }>(
      "SELECT pg_relation_size('ix') AS bytes",
    );
    let found = 0;
    let searchMs = 0;
    await client.query("BEGIN");
    await client.query(
      `SET LOCAL hnsw.ef_search = ${variant.candidates}; SET LOCAL hnsw.iterative_scan = relaxed_order;
       SET LOCAL enable_seqscan = off; SET LOCAL jit = off`,
    );
    for (const [i, query] of asked.entries()) {
      const at = performance.now();
      const { rows: top } = await client.query<{ id: string }>(
        `WITH n AS MATERIALIZED (SELECT id, embedding FROM t ORDER BY ${variant.order} LIMIT ${variant.candidates})
         SELECT id FROM n ORDER BY embedding::vector <=> $1::real[]::vector, id LIMIT 10`,
        [query],
      );
      searchMs += performance.now() - at;
      const truth = new Set(exact[i]);
      found += top.filter((row) => truth.has(row.id)).length;
    }
    await client.query("COMMIT");
    const ms = await insertMs(drawn.slice(rows));
    console.log(
      `${variant.name}: ${ms.toFixed(2)} ms an insert, built in ${buildSeconds.toFixed(1)} s, ` +
        `${(Number(size[0]?.bytes) / 2 ** 20).toFixed(1)} MiB, recall@10 ${(found / (10 * queries)).toFixed(3)}, ` +
        `${(searchMs / queries).toFixed(1)} ms a search`,
    );
    await client.query("DROP INDEX ix");
  }
} finally {
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

/** Milliseconds an insert of one of `embeddings` takes, one at a time; the rows are removed after. */
async function insertMs(embeddings: readonly string[]): Promise<number> {
  const started = performance.now();
  for (const embedding of embeddings) {
    await client.query("INSERT INTO t (embedding) VALUES ($1::real[])", [embedding]);
  }
  const ms = (performance.now() - started) / embeddings.length;
  await client.query(`DELETE FROM t WHERE id > ${rows}`);
  return ms;
}
