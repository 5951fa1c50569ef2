import type { Statement } from "better-sqlite3";
import { bytesOf, float32Of } from "../float32.js";
import { live } from "../memory-filter.js";
import { scopeFilter } from "../scope-filter.js";
import { signSketch } from "../sign-sketch.js";
import type { SearchQuery } from "../store.js";

// SearchMemories on SQLite, in C (sqlite-vec) rather than in JavaScript. The approximate search
// scans a covering index of each memory's filter columns and sign sketch (192 bytes at 1,536
// values), never the 6 KiB rows, keeps the candidates nearest by Hamming distance, and ranks
// those exactly by cosine over their float32 embeddings. The exact search ranks every candidate.
// docs/search.md has the measurements behind both.

/** The covering index the approximate search scans, looked up by seq from the scope's range. */
export const searchIndex = `CREATE INDEX memories_for_search
  ON memories (seq, dimensions, deleted_at, expires_at, norm, confidence, topic, sketch)`;

/**
 * Candidates ranked exactly per result asked for: a true neighbour's sketch must be among the
 * nearest this many times `limit`. With 100, recall@10 was 1.000 at 100,000 memories in one scope
 * in the storage benchmark (docs/search.md); a filter far from the query lowers it.
 */
const candidatesPerResult = 10;
const minCandidates = 100;

/** A memory found, by seq (to read its row), id and similarity. */
export interface Ranked {
  readonly seq: number;
  readonly id: string;
  readonly similarityScore: number;
}

/**
 * The `limit` memories most similar to the query among the live ones of its scope, topic,
 * dimension and minimum confidence, most similar first, ties to the older memory.
 */
export function rankMemories(
  sql: (text: string) => Statement,
  query: SearchQuery,
  now: number,
): Ranked[] {
  const values = float32Of(query.embedding);
  const queryBytes = bytesOf(values);
  const { from, where, params } = candidatesOf(query, values.length, now);
  const ranked = (seqs: string, rows: unknown[]) =>
    (
      sql(
        `SELECT m.seq, m.id, vec_distance_cosine(m.embedding, ?) AS distance FROM ${seqs}
           ORDER BY distance, m.seq LIMIT ?`,
      ).all(queryBytes, ...rows, query.limit) as { seq: number; id: string; distance: number }[]
    ).map(({ seq, id, distance }) => ({ seq, id, similarityScore: 1 - distance }));
  if (query.exact) {
    return ranked(`${from("")} WHERE ${where.join(" AND ")}`, params);
  }
  const nearest = sql(
    `SELECT m.seq FROM ${from("INDEXED BY memories_for_search")} WHERE ${where.join(" AND ")}
       ORDER BY vec_distance_hamming(vec_bit(m.sketch), vec_bit(?)), m.seq LIMIT ?`,
  )
    .all(...params, signSketch(values), Math.max(minCandidates, query.limit * candidatesPerResult))
    .map((row) => (row as { seq: number }).seq);
  return ranked("memories m WHERE m.seq IN (SELECT value FROM json_each(?))", [
    JSON.stringify(nearest),
  ]);
}

/**
 * The candidates of a search: the owners of the scope's first entry, found by a range of
 * memories_scope's primary key and joined by seq (a correlated EXISTS per memory costs twice as
 * much), then the other entries, life, topic, dimension, a non-zero norm and the confidence.
 */
function candidatesOf(
  query: SearchQuery,
  dimensions: number,
  now: number,
): { from: (indexedBy: string) => string; where: string[]; params: (string | number)[] } {
  const [first, ...others] = Object.entries(query.scope);
  if (first === undefined) throw new Error("a search needs a scope entry");
  const rest = scopeFilter("memories_scope", "m.seq", Object.fromEntries(others));
  const where = ["s.key = ?", "s.value = ?", live, ...rest.conditions];
  const params: (string | number)[] = [...first, now, ...rest.params];
  if (query.topic) {
    where.push("m.topic = ?");
    params.push(query.topic);
  }
  where.push("m.dimensions = ?", "m.norm > 0", "m.confidence >= ?");
  params.push(dimensions, query.minConfidence);
  return {
    from: (indexedBy) => `memories_scope s JOIN memories m ${indexedBy} ON m.seq = s.owner`,
    where,
    params,
  };
}
