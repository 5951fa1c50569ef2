/** Cosine similarity, to rank the canned search results as the reference server does. */
import { cosineSimilarity } from "../../../src/workers/embedding-similarity.js";

/** `memories` by cosine similarity of their embeddings to `query`, most similar first. */
export function rankBySimilarity<M extends { readonly embedding: readonly number[] }>(
  memories: readonly M[],
  query: readonly number[],
): { memory: M; similarity: number }[] {
  return memories
    .map((memory) => ({ memory, similarity: cosineSimilarity(memory.embedding, query) ?? 0 }))
    .sort((a, b) => b.similarity - a.similarity);
}
