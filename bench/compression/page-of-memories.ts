/**
 * The page the compression benchmark reads: 100 memories, each with a 1536-float embedding drawn
 * as real ones look (normally distributed, unit length, float32), not the harness's sine waves,
 * which gzip far better than any model's output would.
 */
import { MemoryServiceClient } from "../../src/index.js";
import { mulberry32 } from "../../test/support/mulberry32.js";

export const pageMemoryCount = 100;
const embeddingDimensions = 1536;

/** Facts as the memory-generation worker writes them. */
export const facts = [
  "User prefers Python and TypeScript for data pipelines and reads type errors closely.",
  "Works in the Lisbon office and is on call every other week, Monday to Monday.",
  "Asked twice for answers in bullet points rather than paragraphs.",
  "Is migrating the billing service from a cron job to a queue of workers.",
  "Drinks green tea, no sugar, and dislikes meetings before ten.",
];

/** A unit-length embedding of standard normal draws, each value a float32. */
export function realisticEmbedding(next: () => number): number[] {
  const values = Array.from({ length: embeddingDimensions }, () => {
    // Box-Muller: two uniform draws make one normal one.
    const u = 1 - next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  });
  const norm = Math.hypot(...values);
  return values.map((value) => Math.fround(value / norm));
}

/** Creates the page's memories through the facade; resolves to their ids. */
export async function seedPageOfMemories(memoryUrl: string): Promise<string[]> {
  await using memory = new MemoryServiceClient({ baseUrl: memoryUrl, env: {} });
  const next = mulberry32(1536);
  const ids: string[] = [];
  for (let i = 0; i < pageMemoryCount; i++) {
    const created = await memory.createMemory({
      scope: { user_id: "bench-compression" },
      fact: `${facts[i % facts.length]} (${i})`,
      topic: "preferences",
      embedding: realisticEmbedding(next),
      confidence: 0.9,
      importance: 0.7,
    });
    ids.push(created.id);
  }
  return ids;
}
