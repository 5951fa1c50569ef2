/**
 * The memories of the workload: the one GetMemory reads and CreateMemory writes, and the page that
 * ListMemories and SearchMemories go through, each with a 1536-float embedding as real ones have.
 */

/** Dimensions of every embedding, as OpenAI's text-embedding-3-small. */
export const embeddingDimensions = 1536;

/**
 * An embedding whose values depend on `phase`: two embeddings' cosine similarity is about the
 * cosine of their phases' difference, so a search ranks them. Float32 values, as the wire and the
 * store keep them, so that every server returns the same numbers.
 */
export function embedding(phase: number): number[] {
  return Array.from({ length: embeddingDimensions }, (_, i) =>
    Math.fround(Math.sin(i * 0.37 + phase) * 0.5),
  );
}

/** The memory that GetMemory returns and that every CreateMemory writes again. */
export const memoryContent = {
  scope: { user_id: "bench-user-0001" },
  fact: "User prefers Python and TypeScript for data pipelines and reads type errors closely.",
  topic: "preferences",
  confidence: 0.9,
  importance: 0.7,
  embedding: embedding(0),
};

/**
 * How many memories the listed and searched scope holds: one page of them is what ListMemories
 * answers. Not 100: such memories are about 31 KB each as JSON, and the reference server ends a
 * page once its items pass 2.5 MiB as JSON, after 83 of them. 80 fit in one page with room to
 * spare, so every server answers the same page and no variant needs a second call.
 */
export const pageMemoryCount = 80;

/** ListMemories asks for the services' default page size, as the workers do. */
export const pageSize = 100;

/** SearchMemories asks for its default number of results. */
export const searchLimit = 10;

/** The scope of the listed and searched memories: no CreateMemory of the run writes to it. */
export const pageScope = { user_id: "bench-user-0002" };

/** The memories of `pageScope`, oldest first, as they are created on the reference server. */
export const pageMemories = Array.from({ length: pageMemoryCount }, (_, k) => ({
  ...memoryContent,
  scope: pageScope,
  embedding: embedding(k + 1),
}));

/** What SearchMemories compares with. */
export const queryEmbedding = embedding(0.5);
