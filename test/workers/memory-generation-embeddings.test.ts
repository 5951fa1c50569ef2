// The memory-generation worker's embeddings, against the reference services over both transports:
// the memories it stores carry the embedding of their fact, so a text search finds them; the
// facts of a batch are embedded in one call; and a service that fails or answers wrongly leaves
// nothing stored.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Code,
  type EmbeddingService,
  HashingEmbeddingService,
  MemoryGenerationWorker,
  MemoryServiceClient,
  SessionsServiceClient,
} from "../../src/index.js";
import { rejection } from "../support/errors.js";
import { useWorkerServices, workerTransports } from "./worker-services.js";

const services = useWorkerServices();

const facts = [
  "User's name is Ada",
  "User works at Contoso",
  "User prefers Python for scripting",
  "User lives in Lisbon",
];
const hashing = new HashingEmbeddingService();

/** The hashing service's vector of `text`, as the server stores it (float32). */
async function hashed(text: string): Promise<number[]> {
  const [vector = []] = await hashing.embed([text]);
  return vector.map(Math.fround);
}

/** The hashing service, recording the texts of each call. */
function recording(): EmbeddingService & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    dimensions: hashing.dimensions,
    embed: (texts) => {
      calls.push([...texts]);
      return hashing.embed(texts);
    },
  };
}

/** A service of 4 dimensions whose answer `broken` spoils. */
function broken(name: string, spoil: (vectors: number[][]) => number[][]): EmbeddingService {
  return {
    name,
    dimensions: 4,
    embed: async (texts) => spoil(texts.map((_, i) => [1, i, 0, 0])),
  };
}

describe.each(workerTransports)("MemoryGenerationWorker's embeddings over %s", (_, transport) => {
  let sessions: SessionsServiceClient;
  let memory: MemoryServiceClient;
  beforeAll(() => {
    sessions = new SessionsServiceClient({
      ...transport,
      baseUrl: services().sessionsUrl,
      env: {},
    });
    memory = new MemoryServiceClient({ ...transport, baseUrl: services().memoryUrl, env: {} });
  });
  afterAll(async () => {
    await sessions.close();
    await memory.close();
  });

  /** An ended session of a fresh scope in which the user states `facts`. */
  async function recordedSession() {
    const scope = { user_id: randomUUID() };
    const session = await sessions.createSession({ scope });
    await sessions.createEvent({
      sessionId: session.id,
      eventType: "message",
      data: { role: "user", content: "My name is Ada. I work at Contoso." },
    });
    await sessions.createEvent({
      sessionId: session.id,
      eventType: "message",
      data: { role: "user", content: "I prefer Python for scripting. I live in Lisbon." },
    });
    await sessions.endSession(session.id);
    return { scope, session };
  }

  it("stores each fact with its embedding, by default the hashing one, which a text search finds", async () => {
    const { scope, session } = await recordedSession();

    const result = await new MemoryGenerationWorker({ sessions, memory }).generate(session.id);

    expect(result.memories.map((m) => m.fact)).toEqual(facts);
    const stored = await memory.listMemories({ scope });
    expect(stored).toHaveLength(facts.length);
    for (const m of stored) {
      expect(m.embedding).toHaveLength(1536);
      expect(m.embedding).toEqual(await hashed(m.fact));
    }
    const [best] = await memory.searchMemories({
      scope,
      queryEmbedding: await hashed("where in Lisbon"),
      limit: 1,
    });
    expect(best?.memory?.fact).toBe("User lives in Lisbon");
    expect(best?.similarityScore).toBeGreaterThan(0.2);
  });

  it("embeds the new facts of a batch in one call, and none again on a rerun", async () => {
    const { scope, session } = await recordedSession();
    const embeddings = recording();
    const worker = new MemoryGenerationWorker({ sessions, memory, embeddings });

    await worker.generate(session.id);
    const again = await worker.generate(session.id);

    expect(embeddings.calls).toEqual([facts]);
    expect(again.memoriesCreated).toBe(0);
    expect(await memory.listMemories({ scope })).toHaveLength(facts.length);
  });

  it.each([
    [
      "one vector too few",
      (vectors: number[][]) => vectors.slice(1),
      "returned 3 vectors for 4 texts",
    ],
    [
      "a vector of another dimension",
      (vectors: number[][]) => vectors.map((v, i) => (i === 2 ? [...v, 0] : v)),
      "returned 5 values for text 3, not its `dimensions` (4)",
    ],
    [
      "NaN",
      (vectors: number[][]) => vectors.map((v, i) => (i === 3 ? [Number.NaN, 1, 0, 0] : v)),
      "returned NaN at value 0 of text 4: not a finite float32",
    ],
  ])(
    "stores nothing, and fails INTERNAL saying so, for a service that answers %s",
    async (_, spoil, problem) => {
      const { scope, session } = await recordedSession();
      const embeddings = broken("Spoilt", spoil);
      const worker = new MemoryGenerationWorker({ sessions, memory, embeddings });

      const error = await rejection(worker.generate(session.id), Code.Internal);

      expect(error.rawMessage).toBe(
        `the embedding service Spoilt ${problem}; nothing was stored with it`,
      );
      expect(await memory.listMemories({ scope, includeDeleted: true })).toEqual([]);
    },
  );

  it("stores nothing when the service fails, and keeps its error's code", async () => {
    const { scope, session } = await recordedSession();
    const embeddings: EmbeddingService = {
      name: "Overloaded",
      dimensions: 4,
      embed: () => Promise.reject(new Error("429 Too Many Requests")),
    };

    const error = await rejection(
      new MemoryGenerationWorker({ sessions, memory, embeddings }).generate(session.id),
      Code.Unknown,
    );

    expect(error.rawMessage).toBe(
      "the embedding service Overloaded failed to embed 4 texts: 429 Too Many Requests",
    );
    expect(await memory.listMemories({ scope, includeDeleted: true })).toEqual([]);
  });

  it("stores each fact once when two runs race with a service that is not quite deterministic", async () => {
    const { scope, session } = await recordedSession();
    // Both runs have looked for stored facts before either creates one: each sends its own vector
    // under the same request id, and the second create of a fact is ALREADY_EXISTS.
    const waiting: (() => void)[] = [];
    const jittery: EmbeddingService = {
      dimensions: 4,
      embed: async (texts) => {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === 2) for (const release of waiting) release();
        });
        return texts.map(() => [1, Math.random(), 0, 0]);
      },
    };
    const worker = new MemoryGenerationWorker({ sessions, memory, embeddings: jittery });

    const [a, b] = await Promise.all([worker.generate(session.id), worker.generate(session.id)]);

    expect(b.memories.map((m) => m.id)).toEqual(a.memories.map((m) => m.id));
    expect(a.memoriesCreated + b.memoriesCreated).toBe(facts.length);
    expect(await memory.listMemories({ scope })).toHaveLength(facts.length);
  });

  it("refuses a service whose dimensions no memory could hold", () => {
    const embeddings: EmbeddingService = { dimensions: 5000, embed: async () => [] };
    expect(() => new MemoryGenerationWorker({ sessions, memory, embeddings })).toThrow(
      /option `embeddings`: the embedding service has `dimensions` 5000/,
    );
  });
});
