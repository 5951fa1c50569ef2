import { rankBySimilarity } from "../../memory/similarity.js";
import { float32Of } from "../float32.js";
import type { Sql } from "./database.js";
import { realArray } from "./float32.js";

// The two ways the PostgreSQL store ranks a SearchMemories. Both take the WHERE conditions that
// pick the candidates (live, scope, topic, dimension, confidence, non-zero norm) over `memories m`.

/** Candidates an exact search reads per round trip when it ranks in this process. */
const exactSearchBatch = 500;

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
): Promise<{ id: string; similarityScore: number }[]> {
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
): Promise<{ id: string; similarityScore: number }[]> {
  const best: { id: string; similarityScore: number }[] = [];
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
