import { HashingEmbeddingService } from "../workers/hashing-embedding-service.js";

/**
 * The embedding of `text` from the memory-generation worker's default service: a text searched
 * with it finds the facts the workers stored that share its words.
 */
export async function textEmbedding(text: string): Promise<number[]> {
  const [embedding] = await new HashingEmbeddingService().embed([text]);
  if (embedding === undefined) throw new Error("the embedding service returned no vector");
  return embedding;
}
