import type { Memory } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { cosineSimilarity } from "./embedding-similarity.js";
import { textSimilarity } from "./text-similarity.js";
import { UnionFind } from "./union-find.js";

/** When two memories say the same thing. @internal */
export interface OverlapCriteria {
  /** Text similarity (see `textSimilarity`) at or above which two facts overlap. */
  readonly textThreshold: number;
  /** Cosine similarity of embeddings at or above which two facts overlap. */
  readonly embeddingThreshold: number;
}

/**
 * Groups of at least two memories that duplicate or overlap, by their facts' text or, when both
 * have embeddings of one dimension, by those. Overlap is transitive here (union-find): a chain of
 * overlapping facts is one group. Compares every pair, which is fine for the memories of one scope
 * and topic; the caller passes only those.
 *
 * @internal
 */
export function overlapGroups(memories: readonly Memory[], criteria: OverlapCriteria): Memory[][] {
  const sets = new UnionFind(memories.length);
  memories.forEach((a, i) => {
    for (let j = i + 1; j < memories.length; j++) {
      const b = memories[j];
      if (b !== undefined && overlap(a, b, criteria)) sets.union(i, j);
    }
  });
  return sets
    .sets()
    .filter((members) => members.length >= 2)
    .map((members) => members.flatMap((i) => memories[i] ?? []));
}

function overlap(a: Memory, b: Memory, criteria: OverlapCriteria): boolean {
  if (textSimilarity(a.fact, b.fact) >= criteria.textThreshold) return true;
  const cosine = cosineSimilarity(a.embedding, b.embedding);
  return cosine !== undefined && cosine >= criteria.embeddingThreshold;
}
