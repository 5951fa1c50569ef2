// The memory-generation worker end to end, against the reference services over both transports:
// what it stores, that a rerun stores nothing more, and its engine and progress hooks.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, MemoryServiceClient, SessionsServiceClient, SourceType } from "../../src/index.js";
import {
  type ExtractionEngine,
  MemoryGenerationWorker,
  type ProgressEvent,
} from "../../src/workers/index.js";
import { rejection } from "../support/errors.js";
import { useWorkerServices, workerTransports } from "./worker-services.js";

// The services' clock, moved forward to outlive the 24 hours request ids are kept.
let offsetMs = 0;
const services = useWorkerServices({ now: () => Date.now() + offsetMs });

const conversation: [role: string | undefined, content: string][] = [
  ["user", "Hi! My name is Ada. I work at Contoso."],
  ["assistant", "Nice to meet you, Ada. I prefer tea myself, and I live in the cloud."],
  ["user", "I prefer Python for scripting and I love dark mode."],
  [undefined, "I live in Lisbon, by the way."],
  ["user", "Do you know whether I like jazz?"],
];
const expected = [
  { fact: "User's name is Ada", topic: "identity" },
  { fact: "User works at Contoso", topic: "facts" },
  { fact: "User prefers Python for scripting", topic: "preferences" },
  { fact: "User loves dark mode", topic: "preferences" },
  { fact: "User lives in Lisbon", topic: "facts" },
];

describe.each(workerTransports)("MemoryGenerationWorker over %s", (_, transport) => {
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

  /** An ended session holding `conversation` and events that are not messages. */
  async function recordedSession(scope: Record<string, string>) {
    const session = await sessions.createSession({ scope, title: "worker test" });
    for (const [role, content] of conversation) {
      await sessions.createEvent({
        sessionId: session.id,
        eventType: "message",
        data: role === undefined ? { content } : { role, content },
      });
      await sessions.createEvent({
        sessionId: session.id,
        eventType: "tool_call",
        data: { content: "I prefer to be ignored", role: "user" },
      });
    }
    await sessions.createEvent({ sessionId: session.id, eventType: "message", data: { n: 1 } });
    await sessions.endSession(session.id);
    return session;
  }

  it("stores the user's facts as EXTRACTED memories of the session and its scope", async () => {
    const scope = { user_id: randomUUID(), org_id: "acme" };
    const session = await recordedSession(scope);
    const progress: ProgressEvent[] = [];
    const worker = new MemoryGenerationWorker({
      sessions,
      memory,
      onProgress: (e) => progress.push(e),
    });

    const result = await worker.generate(session.id);

    expect(result).toMatchObject({
      sessionId: session.id,
      eventsRead: conversation.length * 2 + 1,
      factsExtracted: expected.length,
      memoriesCreated: expected.length,
    });
    expect(result.memories.map(({ fact, topic }) => ({ fact, topic }))).toEqual(expected);
    const stored = await memory.listMemories({ scope });
    expect(stored).toHaveLength(expected.length);
    for (const m of stored) {
      expect(m).toMatchObject({
        scope,
        sourceType: SourceType.EXTRACTED,
        sourceId: session.id,
        confidence: 0.9,
      });
    }
    expect(new Set(stored.map((m) => m.id))).toEqual(new Set(result.memories.map((m) => m.id)));

    const stages = [...new Set(progress.map((e) => e.stage))];
    expect(stages).toEqual(["read-events", "extract", "create-memories"]);
    expect(progress.at(-1)).toMatchObject({
      stage: "create-memories",
      done: expected.length,
      total: expected.length,
    });
  });

  it("creates nothing on a rerun and returns the same memories", async () => {
    const scope = { user_id: randomUUID() };
    const session = await recordedSession(scope);
    const worker = new MemoryGenerationWorker({ sessions, memory });
    const first = await worker.generate(session.id);

    const again = await worker.generate(session.id);

    expect(again.memoriesCreated).toBe(0);
    expect(again.factsExtracted).toBe(first.factsExtracted);
    expect(again.memories.map((m) => m.id)).toEqual(first.memories.map((m) => m.id));
    expect(await memory.listMemories({ scope })).toHaveLength(expected.length);
  });

  it("stores each fact once when two runs race", async () => {
    const scope = { user_id: randomUUID() };
    const session = await recordedSession(scope);
    const worker = new MemoryGenerationWorker({ sessions, memory });

    const [a, b] = await Promise.all([worker.generate(session.id), worker.generate(session.id)]);

    // Both may find a fact missing; the request ids make the second create of it a replay.
    expect(b.memories.map((m) => m.id)).toEqual(a.memories.map((m) => m.id));
    expect(await memory.listMemories({ scope })).toHaveLength(expected.length);
  });

  it("does not bring back a fact deleted since, nor create it again once request ids expired", async () => {
    const scope = { user_id: randomUUID() };
    const session = await recordedSession(scope);
    const worker = new MemoryGenerationWorker({ sessions, memory });
    const first = await worker.generate(session.id);
    const deleted = first.memories[0];
    if (!deleted) throw new Error("a memory expected");
    await memory.deleteMemory(deleted.id);

    offsetMs += 25 * 60 * 60 * 1000;
    const later = await worker.generate(session.id);

    expect(later.memoriesCreated).toBe(0);
    expect(later.memories.map((m) => m.id)).toEqual(first.memories.map((m) => m.id));
    expect(later.memories[0]?.deletedAt).toBeDefined();
    expect(await memory.listMemories({ scope })).toHaveLength(expected.length - 1);
    expect(await memory.listMemories({ scope, includeDeleted: true })).toHaveLength(
      expected.length,
    );
  });

  it("uses the engine it is given, with every event of the session", async () => {
    const scope = { user_id: randomUUID() };
    const session = await recordedSession(scope);
    const seen: string[] = [];
    const engine: ExtractionEngine = {
      async extract(events) {
        seen.push(...events.map((e) => e.eventType));
        return [
          { fact: "User writes tests", topic: "habits", confidence: 0.42 },
          { fact: " user writes tests ", topic: "habits", confidence: 0.1 },
          { fact: "   ", topic: "habits", confidence: 1 },
        ];
      },
    };

    const result = await new MemoryGenerationWorker({ sessions, memory, engine }).generate(
      session.id,
    );

    expect(seen).toHaveLength(conversation.length * 2 + 1);
    expect(result).toMatchObject({ factsExtracted: 1, memoriesCreated: 1 });
    expect(await memory.listMemories({ scope })).toMatchObject([
      {
        fact: "User writes tests",
        topic: "habits",
        confidence: 0.42,
        sourceType: SourceType.EXTRACTED,
        sourceId: session.id,
      },
    ]);
  });

  it("fails with the clients' errors, and FAILED_PRECONDITION for a session without scope", async () => {
    const worker = new MemoryGenerationWorker({ sessions, memory });
    await rejection(worker.generate(randomUUID()), Code.NotFound);
    const unscoped = await sessions.createSession({});
    await rejection(worker.generate(unscoped.id), Code.FailedPrecondition);
    const session = await recordedSession({ user_id: randomUUID() });
    await rejection(worker.generate(session.id, { signal: AbortSignal.abort() }), Code.Canceled);
  });

  it("stops with CANCELED when cancelled between calls", async () => {
    const scope = { user_id: randomUUID() };
    const session = await recordedSession(scope);
    const controller = new AbortController();
    const worker = new MemoryGenerationWorker({
      sessions,
      memory,
      // Cancels once the first memory is created, while no call is in flight.
      onProgress: (e) => {
        if (e.stage === "create-memories" && e.done === 1) controller.abort();
      },
    });

    await rejection(worker.generate(session.id, { signal: controller.signal }), Code.Canceled);

    expect(await memory.listMemories({ scope })).toHaveLength(1);
    const resumed = await new MemoryGenerationWorker({ sessions, memory }).generate(session.id);
    expect(resumed.memoriesCreated).toBe(expected.length - 1);
  });
});
