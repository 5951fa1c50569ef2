// The default embedding service: feature hashing of words and word pairs, with no model. What it
// promises: the same vector for the same text, unit length, the dimensions asked for, and texts
// that share words closer than texts that do not.
import { describe, expect, it } from "vitest";
import { Code, ConnectError, HashingEmbeddingService } from "../../src/index.js";

const service = new HashingEmbeddingService();

async function vectorOf(text: string, embeddings = service): Promise<number[]> {
  const [vector] = await embeddings.embed([text]);
  if (!vector) throw new Error("a vector expected");
  return vector;
}

const dot = (a: readonly number[], b: readonly number[]) =>
  a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);
const length = (a: readonly number[]) => Math.sqrt(dot(a, a));

describe("HashingEmbeddingService", () => {
  it("gives unit vectors of 1536 values by default, or of the dimensions asked for", async () => {
    expect(service.dimensions).toBe(1536);
    const vector = await vectorOf("User prefers Python for scripting");
    expect(vector).toHaveLength(1536);
    expect(length(vector)).toBeCloseTo(1, 12);
    // 9 features (5 words, 4 pairs), each ±1 by its hash, in as many buckets.
    expect(vector.filter((x) => x > 0).length).toBeGreaterThan(0);
    expect(vector.filter((x) => x < 0).length).toBeGreaterThan(0);
    expect(vector.filter((x) => x !== 0)).toHaveLength(9);
    const small = new HashingEmbeddingService({ dimensions: 8 });
    expect(await vectorOf("User prefers Python", small)).toHaveLength(8);
  });

  it("is deterministic: the same text gives the same vector, from any instance", async () => {
    const text = "User's favorite color is blue";
    expect(await vectorOf(text, new HashingEmbeddingService())).toEqual(await vectorOf(text));
  });

  it("ignores case, punctuation and possessives", async () => {
    expect(await vectorOf("The USER's name is Ada!")).toEqual(
      await vectorOf("the user name is ada"),
    );
  });

  it("puts texts that share words closer than texts that do not", async () => {
    const fact = await vectorOf("User prefers Python for scripting");
    const related = await vectorOf("python scripting");
    const unrelated = await vectorOf("User lives in Lisbon");
    expect(dot(fact, related)).toBeGreaterThan(0.3);
    expect(dot(fact, related)).toBeGreaterThan(dot(fact, unrelated) + 0.2);
    // Word pairs count: the same words in the same order are closer than in another order.
    const sameOrder = await vectorOf("dark mode");
    const otherOrder = await vectorOf("mode dark");
    const fact2 = await vectorOf("User likes dark mode");
    expect(dot(fact2, sameOrder)).toBeGreaterThan(dot(fact2, otherOrder));
  });

  it("keeps its vectors from one version to the next: stored memories must stay findable", async () => {
    // FNV-1a("a") is 0xe40c292c (the hash's published test vector): bucket 1324, top bit set.
    const a = await vectorOf("a");
    expect(a[1324]).toBe(-1);
    expect(a.filter((x) => x !== 0)).toEqual([-1]);
    // FNV-1a("python") is 0x0fceff97: bucket 1431, top bit clear.
    expect((await vectorOf("Python"))[1431]).toBe(1);
  });

  it("embeds a batch as it embeds each text on its own, in order", async () => {
    const texts = ["User works at Contoso", "User lives in Lisbon", "", "User works at Contoso"];
    const batch = await service.embed(texts);
    expect(batch).toEqual(await Promise.all(texts.map((text) => vectorOf(text))));
    expect(await service.embed([])).toEqual([]);
  });

  it("gives a text without words a unit vector, the same for all such texts, never zeros", async () => {
    const empty = await vectorOf("");
    expect(length(empty)).toBeCloseTo(1, 12);
    expect(await vectorOf("   \n")).toEqual(empty);
    expect(await vectorOf("?!")).toEqual(empty);
    expect(empty).not.toEqual(await vectorOf("a"));
  });

  it("refuses dimensions no memory could hold, naming the option", () => {
    for (const dimensions of [0, 4097, 1.5, Number.NaN]) {
      let error: unknown;
      try {
        new HashingEmbeddingService({ dimensions });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
      expect((error as ConnectError).rawMessage).toContain("`dimensions`");
    }
  });
});
