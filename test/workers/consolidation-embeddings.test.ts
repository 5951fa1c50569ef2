// The consolidation worker's embeddings, against the reference services over both transports: given
// an embedding service, a consolidated memory carries the embedding of the fact it keeps, and a
// service that answers wrongly leaves the group as it was.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Code,
  ConsolidationWorker,
  type EmbeddingService,
  HashingEmbeddingService,
  MemoryServiceClient,
  SourceType,
} from "../../src/index.js";
import { rejection } from "../support/errors.js";
import { useWorkerServices, workerTransports } from "./worker-services.js";

const services = useWorkerServices();

const hashing = new HashingEmbeddingService();

/** The hashing service's vector of `text`, as the server stores it (float32). */
async function hashed(text: string): Promise<number[]> {
  const [vector = []] = await hashing.embed([text]);
  return vector.map(Math.fround);
}

describe.each(workerTransports)("ConsolidationWorker's embeddings over %s", (_, transport) => {
  let memory: MemoryServiceClient;
  beforeAll(() => {
    memory = new MemoryServiceClient({ ...transport, baseUrl: services().memoryUrl, env: {} });
  });
  afterAll(() => memory.close());

  /** A fresh scope holding one preference said three ways, one of them without an embedding. */
  async function overlappingScope() {
    const scope = { user_id: randomUUID() };
    const add = async (fact: string, embedded: boolean) =>
      memory.createMemory({
        scope,
        fact,
        topic: "preferences",
        ...(embedded ? { embedding: await hashed(fact) } : {}),
      });
    const group = [
      await add("User prefers Python", true),
      await add("User prefers python.", false),
      await add("User prefers Python for scripting", true),
    ];
    return { scope, group };
  }

  it("gives the consolidated memory the embedding of its fact, in one call per group", async () => {
    const { scope } = await overlappingScope();
    const calls: string[][] = [];
    const embeddings: EmbeddingService = {
      dimensions: hashing.dimensions,
      embed: (texts) => {
        calls.push([...texts]);
        return hashing.embed(texts);
      },
    };

    const result = await new ConsolidationWorker({ memory, embeddings }).consolidate(scope);

    const [merged] = result.consolidated;
    expect(merged).toMatchObject({
      fact: "User prefers Python for scripting",
      sourceType: SourceType.CONSOLIDATED,
    });
    expect(calls).toEqual([["User prefers Python for scripting"]]);
    expect(merged?.embedding).toEqual(await hashed("User prefers Python for scripting"));
    const [best] = await memory.searchMemories({
      scope,
      queryEmbedding: await hashed("python scripting"),
      limit: 1,
    });
    expect(best?.memory?.id).toBe(merged?.id);
  });

  it("without a service, gives it the mean of its members' embeddings, as before", async () => {
    const { scope, group } = await overlappingScope();

    const result = await new ConsolidationWorker({ memory }).consolidate(scope);

    const [first, , third] = group;
    const mean = first?.embedding.map((x, i) => Math.fround((x + (third?.embedding[i] ?? 0)) / 2));
    expect(result.consolidated[0]?.embedding).toEqual(mean);
  });

  it("leaves the group as it was, and fails INTERNAL saying so, when the service answers wrongly", async () => {
    const { scope, group } = await overlappingScope();
    const embeddings: EmbeddingService = {
      name: "Narrow",
      dimensions: hashing.dimensions,
      embed: async (texts) => texts.map(() => [1, 0, 0]),
    };

    const error = await rejection(
      new ConsolidationWorker({ memory, embeddings }).consolidate(scope),
      Code.Internal,
    );

    expect(error.rawMessage).toBe(
      "the embedding service Narrow returned 3 values for text 1, not its `dimensions` (1536); nothing was stored with it",
    );
    const all = await memory.listMemories({ scope, includeDeleted: true });
    expect(all.map((m) => m.id).sort()).toEqual(group.map((m) => m.id).sort());
    expect(all.every((m) => m.deletedAt === undefined)).toBe(true);
  });
});
