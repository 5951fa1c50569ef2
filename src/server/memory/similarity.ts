/** A candidate of a similarity search: an id and its embedding. */
export interface Candidate<Id> {
  readonly id: Id;
  readonly embedding: ArrayLike<number>;
}

/**
 * The `limit` candidates most similar to `query` by cosine similarity, most similar first.
 * Exact search: every candidate is scored, O(n·d); candidates with a zero vector are skipped.
 */
export function rankBySimilarity<Id>(
  query: ArrayLike<number>,
  candidates: Iterable<Candidate<Id>>,
  limit: number,
): { id: Id; similarityScore: number }[] {
  const queryNorm = norm(query);
  const scored: { id: Id; similarityScore: number }[] = [];
  for (const { id, embedding } of candidates) {
    const candidateNorm = norm(embedding);
    if (candidateNorm === 0 || embedding.length !== query.length) continue;
    let dot = 0;
    for (let i = 0; i < query.length; i++) dot += (query[i] ?? 0) * (embedding[i] ?? 0);
    scored.push({ id, similarityScore: dot / (queryNorm * candidateNorm) });
  }
  scored.sort((a, b) => b.similarityScore - a.similarityScore);
  return scored.slice(0, limit);
}

function norm(vector: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] ?? 0) ** 2;
  return Math.sqrt(sum);
}
