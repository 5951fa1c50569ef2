import { rankBySimilarity } from "../../memory/similarity.js";
import { float32Of } from "../float32.js";
import type { SearchQuery } from "../store.js";
import type { Sql } from "./database.js";
import { realArray } from "./float32.js";
import {
  indexedDimensions,
  indexedDistance,
  indexedExpression,
  indexedRows,
} from "./vector-index.js";

// The ways the PostgreSQL store ranks a SearchMemories. Each takes the WHERE conditions that pick
// the candidates (live, scope, topic, dimension, confidence, non-zero norm) over `memories m`.

/** A memory found, by id, with its exact similarity. */
export interface Ranked {
  readonly id: string;
  readonly similarityScore: number;
}

/** Candidates an exact search reads per round trip when it ranks in this process. */
const exactSearchBatch = 500;

/**
 * Below this many memories in the scope (its smallest entry), a search ranks them all, in about
 * the time an index search takes (docs/search.md), where the index would pass over the memories
 * of every other scope to find them. Counted with LIMIT, so a large scope costs no more to count
 * than this many.
 */
export const exactBelow = 1000;

/**
 * Whether the scope of `query` holds fewer than `exactBelow` memories (live or not): the number
 * of owners of its entry with the fewest, each counted up to the threshold.
 */
export async function smallScope(sql: Sql, scope: Readonly<Record<string, string>>) {
  const entries = Object.entries(scope);
  const row = await sql.one<{ n: number }>(
    `SELECT min(c.n)::int AS n FROM unnest(?::text[], ?::text[]) AS e (k, v),
       LATERAL (SELECT count(*) AS n FROM
         (SELECT 1 FROM memories_scope WHERE key = e.k AND value = e.v LIMIT ?) AS s) AS c`,
    entries.map(([k]) => k),
    entries.map(([, v]) => v),
    exactBelow,
  );
  return (row?.n ?? 0) < exactBelow;
}

/**
 * Approximate search with the HNSW index: the `max(efSearch, 10 × limit)` nearest candidates by the
 * Hamming distance of their sign bits, found by an iterative scan that goes on until that many
 * pass the filter (or hnsw.max_scan_tuples were seen), then ranked exactly on their float32
 * embeddings. Fewer than `limit` results means the scan gave up: the caller ranks exactly then.
 */
export async function rankWithIndex(
  sql: Sql,
  vector: string,
  where: string[],
  params: unknown[],
  query: SearchQuery,
  { efSearch }: { efSearch: number },
): Promise<Ranked[]> {
  const embedding = realArray(float32Of(query.embedding));
  // The scope is large (smallScope said so): the index is the plan. The planner is told so,
  // since it may prefer to sort the scope when its estimates are off (a scope's share of the
  // table, the cost of the EXISTS), which reads every candidate's embedding; and since that
  // makes the plan look costly, not to compile it (JIT takes longer than the query). The
  // settings end with the transaction, so a pooled connection keeps no trace of them; the
  // planner's are put back sooner when an exact search follows in the same transaction.
  const planner = await sql.one<Record<(typeof plannerSettings)[number], string>>(
    `WITH before AS MATERIALIZED (SELECT ${plannerSettings.map((name) => `current_setting('${name}') AS ${name}`).join(", ")})
     SELECT before.*, set_config('hnsw.ef_search', ?, true),
       set_config('hnsw.iterative_scan', 'relaxed_order', true),
       set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true),
       set_config('jit', 'off', true)
       FROM before`,
    String(efSearch),
  );
  const rows = await sql.all<{ id: string; distance: number }>(
    `WITH nearest AS MATERIALIZED (
       SELECT m.seq, m.id, m.embedding FROM memories m
         WHERE ${[...where, indexedRows].join(" AND ")}
         ORDER BY ${indexedExpression(vector, "m.embedding")} ${indexedDistance(vector)}
           ${indexedExpression(vector, `?::real[]`)}
         LIMIT ?)
     SELECT n.id, n.embedding::${vector}.vector OPERATOR(${vector}.<=>) ?::real[]::${vector}.vector AS distance
       FROM nearest n ORDER BY 2, n.seq LIMIT ?`,
    ...params,
    embedding,
    Math.max(efSearch, query.limit * candidatesPerResult),
    embedding,
    query.limit,
  );
  if (rows.length < query.limit && planner !== undefined) {
    // The caller ranks exactly next, in this transaction: with the planner's usual choices.
    await sql.one(
      `SELECT ${plannerSettings.map((name) => `set_config('${name}', ?, true)`).join(", ")}`,
      ...plannerSettings.map((name) => planner[name]),
    );
  }
  return rows.map(({ id, distance }) => ({ id, similarityScore: 1 - distance }));
}

/**
 * Candidates ranked exactly per result asked for: sign bits order the memories coarsely
 * (distances are whole numbers, with many ties), so the index is asked for `efSearch`
 * candidates, or 10 per result when that is more, and the float32 embeddings decide.
 */
const candidatesPerResult = 10;

/** The planner's settings that an index search changes for its query. */
const plannerSettings = ["enable_seqscan", "enable_sort", "jit"] as const;

/** Whether the index can answer `query`: of the indexed dimension, and not asked to be exact. */
export function indexAnswers(query: SearchQuery): boolean {
  return !query.exact && query.embedding.length === indexedDimensions;
}

/**
 * Exact search in the database with pgvector's cosine distance: only the winners travel. The
 * embedding column is real[], cast per row; ties go to the older memory, as when ranking here.
 */
export async function rankInDatabase(
  sql: Sql,
  vector: string,
  where: string[],
  params: unknown[],
  query: { embedding: readonly number[]; limit: number },
): Promise<Ranked[]> {
  const distance = `m.embedding::${vector}.vector OPERATOR(${vector}.<=>) ?::real[]::${vector}.vector`;
  const rows = await sql.all<{ id: string; distance: number }>(
    `SELECT m.id, ${distance} AS distance FROM memories m WHERE ${where.join(" AND ")}
       ORDER BY 2, m.seq LIMIT ?`,
    realArray(float32Of(query.embedding)),
    ...params,
    query.limit,
  );
  return rows.map(({ id, distance }) => ({ id, similarityScore: 1 - distance }));
}

/**
 * Exact search in this process, as the SQLite store does it, for a database without pgvector:
 * candidates stream in batches by seq, each scored and let go, so memory stays flat.
 */
export async function rankHere(
  sql: Sql,
  where: string[],
  params: unknown[],
  embedding: readonly number[],
  limit: number,
): Promise<Ranked[]> {
  const best: Ranked[] = [];
  let after = 0;
  for (;;) {
    const rows = await sql.all<{ seq: number; id: string; embedding: number[]; norm: number }>(
      `SELECT m.seq, m.id, m.embedding, m.norm FROM memories m
         WHERE ${where.join(" AND ")} AND m.seq > ? ORDER BY m.seq LIMIT ?`,
      ...params,
      after,
      exactSearchBatch,
    );
    best.push(...rankBySimilarity(embedding, rows, limit));
    best.sort((a, b) => b.similarityScore - a.similarityScore);
    best.length = Math.min(best.length, limit);
    const last = rows.at(-1);
    if (last === undefined || rows.length < exactSearchBatch) return best;
    after = last.seq;
  }
}
