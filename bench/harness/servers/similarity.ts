/** Cosine similarity, to rank the canned search results as the reference server does. */

/** `memories` by cosine similarity of their embeddings to `query`, most similar first. */
export function rankBySimilarity<M extends { readonly embedding: readonly number[] }>(
  memories: readonly M[],
  query: readonly number[],
): { memory: M; similarity: number }[] {
  return memories
    .map((memory) => ({ memory, similarity: cosine(memory.embedding, query) }))
    .sort((a, b) => b.similarity - a.similarity);
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return dot / Math.sqrt(normA * normB);
}
