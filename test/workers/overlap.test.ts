// What the consolidation worker counts as the same fact: words, embeddings, and groups of both.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Memory, MemorySchema } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { cosineSimilarity } from "../../src/workers/embedding-similarity.js";
import { overlapGroups } from "../../src/workers/overlap-groups.js";
import { factWords, textSimilarity } from "../../src/workers/text-similarity.js";
import { UnionFind } from "../../src/workers/union-find.js";

const criteria = { textThreshold: 0.6, embeddingThreshold: 0.9 };
const memory = (id: string, fact: string, embedding: number[] = []): Memory =>
  create(MemorySchema, { id, fact, embedding, scope: { user_id: "1" }, topic: "t" });

describe("textSimilarity", () => {
  it("ignores case, punctuation, possessives and words that carry no meaning", () => {
    expect([...factWords("The user's favorite colour is BLUE!")]).toEqual([
      "favorite",
      "colour",
      "blue",
    ]);
    expect(textSimilarity("User prefers Python", "User prefers python.")).toBe(1);
    expect(textSimilarity("User prefers Python", "The user prefers Python")).toBe(1);
  });

  it("is the Jaccard similarity of the remaining words", () => {
    expect(textSimilarity("User likes tea", "User likes green tea")).toBeCloseTo(2 / 3);
    expect(textSimilarity("User prefers dark mode", "User prefers light mode")).toBe(0.5);
    expect(textSimilarity("User prefers Python", "User works at Contoso")).toBe(0);
  });

  it("compares facts without meaningful words by their whole text", () => {
    expect(textSimilarity("The user", "the user.")).toBe(1);
    expect(textSimilarity("The user", "A user")).toBe(0);
  });
});

describe("cosineSimilarity", () => {
  it("compares embeddings of one dimension with a direction", () => {
    expect(cosineSimilarity([1, 0], [2, 0])).toBeCloseTo(1);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([1, 0], [1, 0, 0])).toBeUndefined();
    expect(cosineSimilarity([], [])).toBeUndefined();
    expect(cosineSimilarity([0, 0], [1, 0])).toBeUndefined();
  });
});

describe("UnionFind", () => {
  it("merges sets transitively", () => {
    const sets = new UnionFind(6);
    sets.union(0, 2);
    sets.union(4, 2);
    sets.union(3, 5);
    expect(sets.sets()).toEqual([[0, 2, 4], [1], [3, 5]]);
    expect(sets.find(4)).toBe(sets.find(0));
  });
});

describe("overlapGroups", () => {
  it("groups facts that overlap by words, or by embeddings, and leaves singles out", () => {
    const groups = overlapGroups(
      [
        memory("a", "User prefers Python"),
        memory("b", "User likes dark mode", [1, 0, 0]),
        memory("c", "The user prefers python."),
        memory("d", "Dark themes are what the user wants", [0.98, 0.1, 0]),
        memory("e", "User works at Contoso", [0, 0, 1]),
      ],
      criteria,
    );
    expect(groups.map((g) => g.map((m) => m.id))).toEqual([
      ["a", "c"],
      ["b", "d"],
    ]);
  });

  it("chains overlaps into one group: a and c overlap only through b", () => {
    const groups = overlapGroups(
      [
        memory("a", "User likes green tea"),
        memory("b", "User likes green tea with honey"),
        memory("c", "User likes tea with honey"),
      ],
      criteria,
    );
    expect(groups.map((g) => g.map((m) => m.id))).toEqual([["a", "b", "c"]]);
  });
});
