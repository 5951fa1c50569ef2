/**
 * Turns texts into embeddings, the vectors SearchMemories compares: what makes the memories the
 * workers write searchable. Pluggable, as the extraction engine is. The default,
 * {@link HashingEmbeddingService}, needs no model and no network, and finds texts that share
 * words, not meanings; a real model goes behind the same two members, for instance an embeddings
 * API called once per batch:
 *
 * ```ts
 * const embeddings: EmbeddingService = {
 *   name: "embeddings API",
 *   dimensions: 1536,
 *   async embed(texts, { signal } = {}) {
 *     const response = await fetch(url, { method: "POST", body: JSON.stringify({ input: texts }), signal });
 *     const { data } = (await response.json()) as { data: { embedding: number[] }[] };
 *     return data.map((d) => d.embedding);
 *   },
 * };
 * const worker = new MemoryGenerationWorker({ sessions, memory, embeddings });
 * ```
 *
 * What the memories are searched with must come from the same service: vectors of two models (or
 * of a model and the hashing one) are not comparable, even when their dimensions agree.
 */
export interface EmbeddingService {
  /** What error messages call the service. Defaults to its class's name. */
  readonly name?: string | undefined;
  /** The length of every vector `embed` returns, 1-4096 (the most a memory's embedding holds). */
  readonly dimensions: number;
  /**
   * One vector per text, in the texts' order, each of `dimensions` finite numbers, not all zero.
   * A worker calls it once per batch with every new fact of the batch (all those of a session in
   * a one-shot run): a service whose backend takes fewer texts at a time splits them itself.
   *
   * Should be deterministic, the same vector for the same text: a worker's creates are idempotent
   * by their content. With one that is not, two runs racing over one scope may each write the
   * consolidated memory of a group, which the next consolidation merges.
   */
  embed(
    texts: readonly string[],
    options?: { signal?: AbortSignal | undefined },
  ): Promise<number[][]>;
}
