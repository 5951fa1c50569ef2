// The consolidation worker end to end, against the reference services over both transports: which
// memories it merges, what it leaves alone, and that a rerun changes nothing.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Memory, NewMemory } from "../../src/index.js";
import { Code, MemoryServiceClient, SourceType } from "../../src/index.js";
import { ConsolidationWorker, type ProgressEvent } from "../../src/workers/index.js";
import { rejection } from "../support/errors.js";
import { useWorkerServices, workerTransports } from "./worker-services.js";

const services = useWorkerServices();

const ids = (memories: readonly Memory[]) => memories.map((m) => m.id).sort();

describe.each(workerTransports)("ConsolidationWorker over %s", (_, transport) => {
  let memory: MemoryServiceClient;
  beforeAll(() => {
    memory = new MemoryServiceClient({ ...transport, baseUrl: services().memoryUrl, env: {} });
  });
  afterAll(() => memory.close());

  const add = (scope: Record<string, string>, fields: Omit<NewMemory, "scope">) =>
    memory.createMemory({ scope, sourceType: "extracted", topic: "preferences", ...fields });

  /** Three ways of saying one preference, an unrelated one, and the same fact in another topic. */
  async function overlappingScope() {
    const scope = { user_id: randomUUID() };
    const group = [
      await add(scope, { fact: "User prefers Python", confidence: 0.7, importance: 0.2 }),
      await add(scope, { fact: "User prefers python.", confidence: 0.9, importance: 0.4 }),
      await add(scope, { fact: "The user prefers Python", confidence: 0.8, importance: 0.6 }),
    ];
    const unrelated = await add(scope, { fact: "User likes dark mode" });
    const otherTopic = await add(scope, { fact: "User prefers Python", topic: "languages" });
    return { scope, group, unrelated, otherTopic };
  }

  it("replaces overlapping memories of a topic by one CONSOLIDATED memory", async () => {
    const { scope, group, unrelated, otherTopic } = await overlappingScope();
    const progress: ProgressEvent[] = [];
    const worker = new ConsolidationWorker({ memory, onProgress: (e) => progress.push(e) });

    const result = await worker.consolidate(scope);

    expect(result).toMatchObject({ scope, memoriesRead: 5, groups: 1, originalsDeleted: 3 });
    expect(result.consolidated).toHaveLength(1);
    const [merged] = result.consolidated;
    expect(merged).toMatchObject({
      scope,
      fact: "The user prefers Python",
      topic: "preferences",
      sourceType: SourceType.CONSOLIDATED,
      confidence: 0.9,
      importance: 0.6,
    });
    // The link back to the original whose fact it keeps.
    expect(merged?.sourceId).toBe(group[2]?.id);

    for (const original of group) {
      await rejection(memory.getMemory(original.id), Code.NotFound);
    }
    const live = await memory.listMemories({ scope });
    expect(ids(live)).toEqual(ids([merged, unrelated, otherTopic].flatMap((m) => m ?? [])));
    const all = await memory.listMemories({ scope, includeDeleted: true });
    const deleted = all.filter((m) => m.deletedAt !== undefined);
    expect(ids(deleted)).toEqual(ids(group));
    expect(deleted.map((m) => m.deletionReason)).toEqual(
      deleted.map(() => `consolidated into ${merged?.id}`),
    );
    // Untouched: not updated, not read.
    expect(live.find((m) => m.id === unrelated.id)).toEqual(unrelated);
    expect(live.find((m) => m.id === otherTopic.id)).toEqual(otherTopic);

    expect([...new Set(progress.map((e) => e.stage))]).toEqual([
      "read-memories",
      "group",
      "consolidate",
    ]);
    expect(progress.at(-1)).toMatchObject({ stage: "consolidate", done: 1, total: 1 });
    expect(progress.at(-1)?.message).toContain(group[0]?.id);
  });

  it("changes nothing on a rerun", async () => {
    const { scope } = await overlappingScope();
    const worker = new ConsolidationWorker({ memory });
    await worker.consolidate(scope);
    const before = await memory.listMemories({ scope, includeDeleted: true });

    const again = await worker.consolidate(scope);

    expect(again).toEqual({
      scope,
      memoriesRead: 3,
      groups: 0,
      consolidated: [],
      originalsDeleted: 0,
    });
    expect(await memory.listMemories({ scope, includeDeleted: true })).toEqual(before);
  });

  it("leaves one consolidated memory when two runs race", async () => {
    const { scope } = await overlappingScope();
    const worker = new ConsolidationWorker({ memory });

    await Promise.all([worker.consolidate(scope), worker.consolidate(scope)]);

    const live = await memory.listMemories({ scope });
    expect(live.filter((m) => m.sourceType === SourceType.CONSOLIDATED)).toHaveLength(1);
    expect(live).toHaveLength(3);
  });

  it("groups memories whose embeddings agree, whatever their wording", async () => {
    const scope = { user_id: randomUUID() };
    const hiking = await add(scope, {
      fact: "User enjoys hiking in the mountains",
      embedding: [1, 0.1, 0],
    });
    const trekking = await add(scope, {
      fact: "Mountain trekking is the user's favourite pastime",
      embedding: [0.95, 0.2, 0.05],
    });
    const chess = await add(scope, { fact: "User enjoys chess", embedding: [0, 0.1, 1] });

    const result = await new ConsolidationWorker({ memory }).consolidate(scope);

    expect(result).toMatchObject({ groups: 1, originalsDeleted: 2 });
    const [merged] = result.consolidated;
    expect(merged?.fact).toBe(trekking.fact);
    expect(merged?.embedding).toEqual(
      [0, 1, 2].map((i) =>
        Math.fround(((hiking.embedding[i] ?? 0) + (trekking.embedding[i] ?? 0)) / 2),
      ),
    );
    expect(ids(await memory.listMemories({ scope }))).toEqual(
      ids([chess, merged].flatMap((m) => m ?? [])),
    );
  });

  it("merges only memories of exactly the same scope, and of the topic asked for", async () => {
    const scope = { user_id: randomUUID() };
    const agentScope = { ...scope, agent_id: "a" };
    await add(scope, { fact: "User prefers tea", topic: "drinks" });
    await add(scope, { fact: "The user prefers tea", topic: "drinks" });
    const agentOnes = [
      await add(agentScope, { fact: "User prefers tea.", topic: "drinks" }),
      await add(scope, { fact: "User prefers Rust", topic: "languages" }),
      await add(scope, { fact: "User prefers Rust!", topic: "languages" }),
    ];
    const worker = new ConsolidationWorker({ memory });

    const drinks = await worker.consolidate(scope, { topic: "drinks" });

    expect(drinks).toMatchObject({ memoriesRead: 3, groups: 1, originalsDeleted: 2 });
    expect(drinks.consolidated[0]?.scope).toEqual(scope);
    for (const untouched of agentOnes) {
      expect(await memory.getMemory(untouched.id)).toMatchObject({ fact: untouched.fact });
    }
    const rest = await worker.consolidate(scope);
    expect(rest).toMatchObject({ memoriesRead: 4, groups: 1, originalsDeleted: 2 });
  });

  it("takes a stricter or looser threshold, and refuses one that is not a similarity", async () => {
    const scope = { user_id: randomUUID() };
    await add(scope, { fact: "User likes green tea" });
    await add(scope, { fact: "User likes tea" });
    expect(
      await new ConsolidationWorker({ memory, threshold: 0.9 }).consolidate(scope),
    ).toMatchObject({ groups: 0 });
    expect(
      await new ConsolidationWorker({ memory, threshold: 0.5 }).consolidate(scope),
    ).toMatchObject({ groups: 1, originalsDeleted: 2 });
    for (const threshold of [0, 1.5, Number.NaN]) {
      expect(() => new ConsolidationWorker({ memory, threshold })).toThrow(/threshold/);
    }
  });

  it("stops with CANCELED when cancelled", async () => {
    const { scope } = await overlappingScope();
    const worker = new ConsolidationWorker({ memory });
    await rejection(worker.consolidate(scope, { signal: AbortSignal.abort() }), Code.Canceled);
    expect(await memory.listMemories({ scope })).toHaveLength(5);
  });
});
