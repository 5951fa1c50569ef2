import { scopeFilter } from "./scope-filter.js";
import type { MemoryQuery } from "./store.js";

// SQL that both engines share (with `?` placeholders): which memories a list or search covers.

/** The SQL condition "the memory `m` is live at ?". */
export const live = "m.deleted_at IS NULL AND m.expires_at > ?";

/**
 * WHERE conditions (on `memories m`) and their parameters for a scope, a topic and, unless
 * `liveAt` is undefined, being live at that time.
 */
export function memoryFilter(
  query: MemoryQuery,
  liveAt: number | undefined,
  probed = false,
): { where: string[]; params: (string | number)[] } {
  const scope = scopeFilter("memories_scope", "m.seq", query.scope, probed);
  const where = [...(liveAt === undefined ? [] : [live]), ...scope.conditions];
  const params: (string | number)[] = [...(liveAt === undefined ? [] : [liveAt]), ...scope.params];
  if (query.topic) {
    where.push("m.topic = ?");
    params.push(query.topic);
  }
  if (where.length === 0) where.push("1 = 1");
  return { where, params };
}

/**
 * The filter of a search: live memories of the scope and topic whose embedding has the query's
 * dimension, a non-zero norm (cosine similarity is undefined for a zero vector) and at least
 * `minConfidence`; `probed` as for scopeFilter.
 */
export function searchFilter(
  query: MemoryQuery & { embedding: readonly number[]; minConfidence: number },
  now: number,
  probed = false,
): { where: string[]; params: (string | number)[] } {
  const { where, params } = memoryFilter(query, now, probed);
  where.push("m.dimensions = ?", "m.norm > 0", "m.confidence >= ?");
  params.push(query.embedding.length, query.minConfidence);
  return { where, params };
}
