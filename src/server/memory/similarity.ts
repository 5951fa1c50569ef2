/** A candidate of a similarity search: an id, its embedding and, if known, the embedding's norm. */
export interface Candidate<Id> {
  readonly id: Id;
  readonly embedding: ArrayLike<number>;
  readonly norm?: number;
}

/**
 * The `limit` candidates most similar to `query` by cosine similarity, most similar first.
 * Exact search: every candidate is scored, O(n·d); candidates of another dimension or with a zero
 * vector are skipped.
 */
export function rankBySimilarity<Id>(
  query: ArrayLike<number>,
  candidates: Iterable<Candidate<Id>>,
  limit: number,
): { id: Id; similarityScore: number }[] {
  const q = Float64Array.from(query);
  const queryNorm = norm(q);
  const scored: { id: Id; similarityScore: number }[] = [];
  for (const { id, embedding, norm: known } of candidates) {
    if (embedding.length !== q.length) continue;
    const candidateNorm = known ?? norm(embedding);
    if (candidateNorm === 0) continue;
    let dot = 0;
    // The lengths match, so every index is in range: the casts only quiet noUncheckedIndexedAccess.
    for (let i = 0; i < q.length; i++) dot += (q[i] as number) * (embedding[i] as number);
    scored.push({ id, similarityScore: dot / (queryNorm * candidateNorm) });
  }
  scored.sort((a, b) => b.similarityScore - a.similarityScore);
  return scored.slice(0, limit);
}

/** The Euclidean norm of `vector`. */
export function norm(vector: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) ** 2;
  return Math.sqrt(sum);
}
