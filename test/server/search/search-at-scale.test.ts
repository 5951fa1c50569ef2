// SearchMemories on thousands of 1,536-float memories, on each engine's own search (PostgreSQL's
// HNSW index, SQLite's sketch scan): recall against the exact ranking, exact rankings equal to one
// made here, full pages under filters, and gone memories never found, by either.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Memory } from "../../../gen/contextiq/memory/v1/memory_pb.js";
import type { SearchQuery } from "../../../src/server/store/store.js";
import { clusteredEmbeddings } from "../../support/clustered-embeddings.js";
import { seededRandom } from "../../support/seeded-random.js";
import { describeEachStore } from "../../support/stores.js";
import {
  bruteForce,
  load,
  memoryOf,
  type OpenedStore,
  openMemoryStore,
  recall,
} from "./search-engines.js";

const dimensions = 1536;
const topics = ["food", "travel", "work", "family", "health", "music", "sport", "money"];
const now = Date.UTC(2026, 0, 1);

describeEachStore("SearchMemories at scale", (engine) => {
  const random = seededRandom("SEARCH_SEED", `search at scale on ${engine.name}`);
  const embeddings = clusteredEmbeddings(random, dimensions, 40);
  const scope = { user_id: "many" };
  let opened: OpenedStore;
  let memories: Memory[];

  beforeAll(async () => {
    opened = await openMemoryStore(engine.name);
    memories = Array.from({ length: 2500 }, (_, i) =>
      memoryOf({
        scope,
        embedding: embeddings.next(),
        topic: topics[i % topics.length] as string,
        confidence: Math.round(random() * 100) / 100,
        now,
      }),
    );
    // Another user's memories, like the scope's: the scope filter must keep them out.
    const others = Array.from({ length: 500 }, () =>
      memoryOf({ scope: { user_id: "other" }, embedding: embeddings.next(), now }),
    );
    await load(opened.store, [...memories, ...others], now);
  }, 240_000);
  afterAll(() => opened?.close());

  const search = (query: Partial<SearchQuery> & { embedding: number[] }) =>
    opened.store.searchMemories(
      { scope, topic: "", minConfidence: 0, limit: 10, exact: false, ...query },
      now + 1,
    );
  const ids = (results: { memory: Memory }[]) => results.map((r) => r.memory.id);
  const queries = () => Array.from({ length: 20 }, () => embeddings.next());

  it("ranks exactly as float64 arithmetic does when asked to be exact", async () => {
    for (const embedding of queries().slice(0, 8)) {
      const found = await search({ embedding, exact: true });
      expect(ids(found)).toEqual(bruteForce(memories, embedding, 10));
    }
  });

  it("finds at least 0.9 of the exact top 10 without being asked, with exact scores", async () => {
    let total = 0;
    const asked = queries();
    for (const embedding of asked) {
      const approximate = await search({ embedding });
      const exact = await search({ embedding, exact: true });
      expect(approximate).toHaveLength(10);
      total += recall(ids(approximate), ids(exact));
      const exactScores = new Map(exact.map((r) => [r.memory.id, r.similarityScore]));
      for (const { memory, similarityScore } of approximate) {
        const score = exactScores.get(memory.id);
        if (score !== undefined) expect(similarityScore).toBeCloseTo(score, 6);
      }
      const scores = approximate.map((r) => r.similarityScore);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
    console.log(`${engine.name}: recall@10 ${(total / asked.length).toFixed(3)}`);
    expect(total / asked.length).toBeGreaterThanOrEqual(0.9);
  });

  it("returns full pages under a topic and a minimum confidence, each result matching both", async () => {
    const minConfidence = 0.6;
    const matching = memories.filter((m) => m.topic === "music" && m.confidence >= minConfidence);
    expect(matching.length).toBeGreaterThan(10);
    for (const embedding of queries().slice(0, 8)) {
      const found = await search({ embedding, topic: "music", minConfidence });
      expect(found).toHaveLength(10);
      for (const { memory } of found) {
        expect(memory.topic).toBe("music");
        expect(memory.confidence).toBeGreaterThanOrEqual(minConfidence);
      }
      const exact = await search({ embedding, topic: "music", minConfidence, exact: true });
      expect(ids(exact)).toEqual(bruteForce(matching, embedding, 10));
      expect(recall(ids(found), ids(exact))).toBeGreaterThanOrEqual(0.8);
    }
  });

  it("returns every match when fewer than the limit match", async () => {
    const rare = memories.filter((m) => m.confidence >= 0.995);
    const embedding = embeddings.next();
    const found = await search({ embedding, minConfidence: 0.995, limit: 100 });
    expect(ids(found).sort()).toEqual(rare.map((m) => m.id).sort());
  });
});

describeEachStore("SearchMemories never finds a deleted or expired memory", (engine) => {
  const random = seededRandom("SEARCH_SEED", `gone memories on ${engine.name}`);
  const embeddings = clusteredEmbeddings(random, dimensions, 20);
  const scope = { user_id: "gone" };
  let opened: OpenedStore;
  const expiresSoon = 60_000;

  beforeAll(async () => {
    opened = await openMemoryStore(engine.name);
    const memories = Array.from({ length: 1500 }, () =>
      memoryOf({ scope, embedding: embeddings.next(), now }),
    );
    await load(opened.store, memories, now);
  }, 240_000);
  afterAll(() => opened?.close());

  it("leaves out the nearest memories once deleted or expired, and still fills the page", async () => {
    for (let round = 0; round < 4; round++) {
      const query = embeddings.next();
      // Near copies of the query, each the best match there is: five to delete, five to expire.
      const near = () => query.map((value) => Math.fround(value + (random() - 0.5) * 0.01));
      const doomed = Array.from({ length: 5 }, () => memoryOf({ scope, embedding: near(), now }));
      const expiring = Array.from({ length: 5 }, () =>
        memoryOf({ scope, embedding: near(), now, ttlMs: expiresSoon }),
      );
      await load(opened.store, [...doomed, ...expiring], now);
      for (const memory of doomed) await opened.store.deleteMemory(memory.id, "test", now);
      const gone = new Set([...doomed, ...expiring].map((m) => m.id));
      for (const exact of [false, true]) {
        const found = await opened.store.searchMemories(
          { scope, topic: "", embedding: query, minConfidence: 0, limit: 10, exact },
          now + expiresSoon,
        );
        expect(found).toHaveLength(10);
        expect(found.filter((r) => gone.has(r.memory.id))).toEqual([]);
      }
      // Before they expire, the expiring ones are the best matches: they were findable.
      const before = await opened.store.searchMemories(
        { scope, topic: "", embedding: query, minConfidence: 0, limit: 5, exact: false },
        now + 1,
      );
      expect(before.map((r) => r.memory.id).sort()).toEqual(expiring.map((m) => m.id).sort());
    }
  });
});
