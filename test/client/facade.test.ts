// The facade against the real reference services, one behavioural suite per transport: every
// method of both clients, and the errors a caller meets.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, MemoryServiceClient, SessionsServiceClient, SourceType } from "../../src/index.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { clientTransports } from "../support/client-transports.js";
import { invalid, rejection } from "../support/errors.js";

let services: RunningServices;
beforeAll(async () => {
  services = await startServices();
});
afterAll(() => services.close());

describe.each(clientTransports)("the facade over %s", (_, transport) => {
  let sessions: SessionsServiceClient;
  let memory: MemoryServiceClient;
  beforeAll(() => {
    sessions = new SessionsServiceClient({ ...transport, baseUrl: services.sessionsUrl, env: {} });
    memory = new MemoryServiceClient({ ...transport, baseUrl: services.memoryUrl, env: {} });
  });
  afterAll(async () => {
    await sessions.close();
    await memory.close();
  });
  const scope = () => ({ user_id: randomUUID() });

  describe("SessionsServiceClient", () => {
    it("creates a session, appends events and reads them back", async () => {
      const s = await sessions.createSession({ scope: { user_id: "123" }, title: "Test Session" });
      expect(s).toMatchObject({ title: "Test Session", ttlSeconds: 3600 });
      const event = await sessions.createEvent({
        sessionId: s.id,
        eventType: "message",
        data: { content: "Hello" },
        inputTokens: 10,
      });
      expect(event.data).toEqual({ content: "Hello" });
      expect(await sessions.getEvent(s.id, event.id)).toMatchObject({ id: event.id });
      const got = await sessions.getSession(s.id);
      expect(got).toMatchObject({ eventCount: 1, totalInputTokens: 10n });
    });

    it("lists every page of events, or iterates them lazily", async () => {
      const s = await sessions.createSession({ scope: scope() });
      for (let i = 0; i < 5; i++) {
        await sessions.createEvent({ sessionId: s.id, eventType: i % 2 ? "tool" : "message" });
      }
      const all = await sessions.listEvents(s.id, { pageSize: 2 });
      expect(all).toHaveLength(5);
      const seen: string[] = [];
      for await (const e of sessions.iterateEvents(s.id, { pageSize: 2, eventType: "message" })) {
        seen.push(e.eventType);
      }
      expect(seen).toEqual(["message", "message", "message"]);
    });

    it("lists sessions by scope across pages, active ones unless told otherwise", async () => {
      const s = scope();
      const ended = await sessions.createSession({ scope: s });
      await sessions.createSession({ scope: s });
      await sessions.createSession({ scope: s });
      await sessions.endSession(ended.id);
      expect(await sessions.listSessions({ scope: s, pageSize: 1 })).toHaveLength(2);
      const all = await sessions.listSessions({ scope: s, includeInactive: true });
      expect(all).toHaveLength(3);
      let count = 0;
      for await (const _ of sessions.iterateSessions({ scope: s, pageSize: 1 })) count++;
      expect(count).toBe(2);
    });

    it("updates state, ends and deletes a session", async () => {
      const s = await sessions.createSession({ scope: scope(), state: { a: 1 } });
      const merged = await sessions.updateSessionState(s.id, { b: 2 }, { merge: true });
      expect(merged.state).toEqual({ a: 1, b: 2 });
      expect((await sessions.updateSessionState(s.id, { c: 3 })).state).toEqual({ c: 3 });
      const ended = await sessions.endSession(s.id);
      expect(ended.endedAt).toBeDefined();
      await rejection(sessions.getSession(s.id), Code.FailedPrecondition);
      expect((await sessions.getSession(s.id, { includeInactive: true })).endedAt).toBeDefined();
      await sessions.deleteSession(s.id);
      await rejection(sessions.getSession(s.id), Code.NotFound);
    });

    it("passes the server's errors through with their codes and fields", async () => {
      await invalid(sessions.createSession({ title: "x".repeat(501) }), "title");
      await rejection(
        sessions.createEvent({ sessionId: "00000000-0000-4000-8000-000000000000", eventType: "m" }),
        Code.NotFound,
      );
    });
  });

  describe("MemoryServiceClient", () => {
    it("creates, reads, updates and lists memories, with Python's source_type strings", async () => {
      const s = scope();
      const created = await memory.createMemory({
        scope: s,
        fact: "User prefers Python",
        sourceType: "extracted",
        topic: "preferences",
      });
      expect(created.sourceType).toBe(SourceType.EXTRACTED);
      const updated = await memory.updateMemory(created.id, {
        fact: "User prefers Python and TypeScript",
        changeReason: "User provided additional information",
      });
      expect(updated).toMatchObject({
        fact: "User prefers Python and TypeScript",
        topic: "preferences",
      });
      // The first read of a memory: it does not see itself counted.
      expect((await memory.getMemory(created.id)).accessCount).toBe(0n);
      const listed = await memory.listMemories({ scope: s, topic: "preferences" });
      expect(listed.map((m) => m.id)).toEqual([created.id]);
      const revisions = await memory.listMemoryRevisions(created.id);
      expect(revisions.map((r) => r.changeReason)).toEqual([
        "User provided additional information",
      ]);
      expect((await memory.getMemoryRevision(created.id, 1)).previousFact).toBe(
        "User prefers Python",
      );
    });

    it("gets in batches, iterates, searches and deletes", async () => {
      const s = scope();
      const a = await memory.createMemory({ scope: s, fact: "a", embedding: [1, 0] });
      const b = await memory.createMemory({ scope: s, fact: "b", embedding: [0, 1] });
      expect((await memory.batchGetMemories([b.id, a.id])).map((m) => m.fact)).toEqual(["b", "a"]);
      const facts: string[] = [];
      for await (const m of memory.iterateMemories({ scope: s, pageSize: 1 })) facts.push(m.fact);
      expect(facts).toEqual(["b", "a"]);
      const results = await memory.searchMemories({ scope: s, queryEmbedding: [1, 0.1] });
      expect(results.map((r) => r.memory?.fact)).toEqual(["a", "b"]);
      const deleted = await memory.deleteMemory(a.id);
      expect(deleted.deletedAt).toBeDefined();
      await rejection(memory.getMemory(a.id), Code.NotFound);
    });

    it("refuses an unknown sourceType string before calling, naming the option", async () => {
      const error = await rejection(
        memory.createMemory({ scope: scope(), fact: "f", sourceType: "guessed" as "direct" }),
        Code.InvalidArgument,
      );
      expect(error.rawMessage).toContain("`sourceType`");
    });
  });
});

describe("a closed client", () => {
  it("finishes the calls in flight, then refuses new ones with a clear error", async () => {
    const sessions = new SessionsServiceClient({ baseUrl: services.sessionsUrl, env: {} });
    const inFlight = sessions.createSession({ title: "in flight" });
    const closed = sessions.close();
    expect((await inFlight).title).toBe("in flight");
    await closed;
    const error = await rejection(sessions.createSession(), Code.FailedPrecondition);
    expect(error.rawMessage).toContain("SessionsServiceClient is closed");
    await sessions.close();
  });

  it("is closed by await using", async () => {
    let escaped: SessionsServiceClient | undefined;
    {
      await using sessions = new SessionsServiceClient({ baseUrl: services.sessionsUrl, env: {} });
      escaped = sessions;
      await sessions.createSession();
    }
    await rejection(escaped.getSession(randomUUID()), Code.FailedPrecondition);
  });
});
