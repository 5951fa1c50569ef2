// Two server processes on one database, as replicas behind a load balancer: clients alternate
// between them, often at the same moment, and the stored data must come out as if one server had
// answered every call: request_id dedupe holds, no counter update is lost, no record is doubled.
// On SQLite both processes open the same files; on PostgreSQL the same schema.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { rejection } from "../support/errors.js";
import { freePorts, type ServiceProcess, serviceProcess } from "../support/service-process.js";
import { describeEachStore } from "../support/stores.js";

interface Replica {
  readonly process: ServiceProcess;
  readonly sessions: Client<typeof SessionsService>;
  readonly memory: Client<typeof MemoryService>;
}

/** Runs `count` calls, `parallel` at a time; call i goes to replica i % 2. */
async function alternating<T>(
  replicas: readonly Replica[],
  count: number,
  parallel: number,
  call: (replica: Replica, i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await call(replicas[i % replicas.length] as Replica, i);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

describeEachStore("two server processes on one database", (store) => {
  const replicas: Replica[] = [];
  const closers: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    const provisioned = await store.provision();
    const dataDir = await mkdtemp(join(tmpdir(), "contextiq-replicas-"));
    closers.push(() => rm(dataDir, { recursive: true, force: true }), provisioned.drop);
    const database = provisioned.options.database;
    const env = database
      ? { DATABASE_URL: database.url, CONTEXTIQ_DATABASE_SCHEMA: database.schema ?? "" }
      : undefined;
    const ports = await freePorts(4);
    for (const i of [0, 1]) {
      const server = serviceProcess({
        sessionsPort: ports[2 * i] as number,
        memoryPort: ports[2 * i + 1] as number,
        dataDir,
        ...(env ? { env } : {}),
      });
      // Started one after the other: the second finds the schema the first created.
      await server.start();
      closers.unshift(() => server.stop());
      const sessionsPool = new Http2SessionManager(server.sessionsUrl);
      const memoryPool = new Http2SessionManager(server.memoryUrl);
      closers.unshift(
        () => sessionsPool.abort(),
        () => memoryPool.abort(),
      );
      replicas.push({
        process: server,
        sessions: createClient(
          SessionsService,
          createGrpcTransport({ baseUrl: server.sessionsUrl, sessionManager: sessionsPool }),
        ),
        memory: createClient(
          MemoryService,
          createGrpcTransport({ baseUrl: server.memoryUrl, sessionManager: memoryPool }),
        ),
      });
    }
  }, 60_000);

  afterAll(async () => {
    for (const close of closers) await close();
  }, 30_000);

  it("answers a request_id sent to both replicas at once with one record", async () => {
    const scope = { user_id: randomUUID() };
    const requestIds = Array.from({ length: 40 }, () => randomUUID());
    // Each request_id goes to both replicas at the same moment.
    const pairs = await Promise.all(
      requestIds.map((requestId, i) =>
        Promise.all(
          replicas.map((r) =>
            r.sessions.createSession({ scope, title: `session ${i}`, requestId }),
          ),
        ),
      ),
    );
    for (const [a, b] of pairs) expect(a?.session?.id).toBe(b?.session?.id);
    const { totalSize } = await (replicas[0] as Replica).sessions.listSessions({
      scope,
      pageSize: 1,
    });
    expect(totalSize).toBe(requestIds.length);

    // The same id with other content, on the other replica, is refused.
    await rejection(
      (replicas[1] as Replica).sessions.createSession({
        scope,
        title: "something else",
        requestId: requestIds[0] as string,
      }),
      Code.AlreadyExists,
    );

    const memories = await Promise.all(
      requestIds.map((requestId, i) =>
        Promise.all(
          replicas.map((r) => r.memory.createMemory({ scope, fact: `fact ${i}`, requestId })),
        ),
      ),
    );
    for (const [a, b] of memories) expect(a?.memory?.id).toBe(b?.memory?.id);
    const listed = await (replicas[1] as Replica).memory.listMemories({ scope, pageSize: 1 });
    expect(listed.totalSize).toBe(requestIds.length);

    // An event too: one record, and the session's counters moved once.
    const { session } = await (replicas[0] as Replica).sessions.createSession({ scope });
    const sessionId = session?.id ?? "";
    const eventRequestIds = requestIds.map(() => randomUUID());
    const events = await Promise.all(
      eventRequestIds.map((requestId) =>
        Promise.all(
          replicas.map((r) =>
            r.sessions.createEvent({ sessionId, eventType: "m", inputTokens: 2, requestId }),
          ),
        ),
      ),
    );
    for (const [a, b] of events) expect(a?.event?.id).toBe(b?.event?.id);
    const { session: after } = await (replicas[1] as Replica).sessions.getSession({
      id: sessionId,
    });
    expect(after?.eventCount).toBe(requestIds.length);
    expect(after?.totalInputTokens).toBe(BigInt(2 * requestIds.length));
  });

  it("keeps every key when both replicas merge into one session's state at once", async () => {
    const { session } = await (replicas[0] as Replica).sessions.createSession({
      scope: { user_id: randomUUID() },
    });
    const id = session?.id ?? "";
    const merges = 60;
    await alternating(replicas, merges, 16, (r, i) =>
      r.sessions.updateSessionState({ id, state: { [`k${i}`]: i }, merge: true }),
    );
    const { session: after } = await (replicas[1] as Replica).sessions.getSession({ id });
    expect(after?.state).toEqual(
      Object.fromEntries(Array.from({ length: merges }, (_, i) => [`k${i}`, i])),
    );
  });

  it("loses no event and no token when both replicas append to one session", async () => {
    const first = replicas[0] as Replica;
    const { session } = await first.sessions.createSession({ scope: { user_id: randomUUID() } });
    const sessionId = session?.id ?? "";
    const count = 200;
    const events = await alternating(replicas, count, 16, (r, i) =>
      r.sessions.createEvent({
        sessionId,
        eventType: "message",
        data: { i },
        inputTokens: i,
        outputTokens: 1,
        requestId: randomUUID(),
      }),
    );
    expect(new Set(events.map((e) => e.event?.id)).size).toBe(count);
    const { session: after } = await (replicas[1] as Replica).sessions.getSession({
      id: sessionId,
    });
    expect(after?.eventCount).toBe(count);
    expect(after?.totalInputTokens).toBe(BigInt((count * (count - 1)) / 2));
    expect(after?.totalOutputTokens).toBe(BigInt(count));

    // Every event once, across pages taken from both replicas in turn, in the order each replica
    // lists them whole.
    const whole = await Promise.all(
      replicas.map(async (r) =>
        (await r.sessions.listEvents({ sessionId, pageSize: 1000 })).events.map((e) => e.id),
      ),
    );
    expect(whole[1]).toEqual(whole[0]);
    const seen: string[] = [];
    let pageToken = "";
    for (let page = 0; ; page++) {
      const r = replicas[page % 2] as Replica;
      const listed = await r.sessions.listEvents({ sessionId, pageSize: 30, pageToken });
      expect(listed.totalSize).toBe(count);
      seen.push(...listed.events.map((e) => e.id));
      pageToken = listed.nextPageToken;
      if (pageToken === "") break;
    }
    expect(seen).toEqual(whole[0]);
    expect([...seen].sort()).toEqual(events.map((e) => e.event?.id).sort());
  });

  it("counts every access and numbers every revision once when both replicas change one memory", async () => {
    const first = replicas[0] as Replica;
    const scope = { user_id: randomUUID() };
    const { memory } = await first.memory.createMemory({ scope, fact: "fact 0" });
    const id = memory?.id ?? "";
    const reads = 120;
    // Every third read is a batch that names the memory twice: two accesses.
    await alternating(replicas, reads, 16, async (r, i) => {
      if (i % 3 === 0) await r.memory.batchGetMemories({ ids: [id, id] });
      else await r.memory.getMemory({ id });
    });
    // Each replica writes its counts about a second after the reads; ListMemories counts none.
    const expected = BigInt(reads + Math.ceil(reads / 3));
    await vi.waitFor(
      async () => {
        const { memories } = await (replicas[1] as Replica).memory.listMemories({ scope });
        expect(memories[0]?.accessCount).toBe(expected);
      },
      { timeout: 10_000, interval: 50 },
    );

    const updates = 30;
    await alternating(replicas, updates, 8, (r, i) =>
      r.memory.updateMemory({
        memory: { id, fact: `fact ${i + 1}` },
        updateMask: { paths: ["fact"] },
        changeReason: `update ${i + 1}`,
      }),
    );
    const { revisions, totalSize } = await first.memory.listMemoryRevisions({
      memoryId: id,
      pageSize: 100,
    });
    expect(totalSize).toBe(updates);
    expect(revisions.map((r) => r.revisionNumber).sort((a, b) => a - b)).toEqual(
      Array.from({ length: updates }, (_, i) => i + 1),
    );
    // Each revision starts from the fact the one before it left.
    const ordered = [...revisions].sort((a, b) => a.revisionNumber - b.revisionNumber);
    ordered.slice(1).forEach((revision, i) => {
      expect(revision.previousFact).toBe(ordered[i]?.newFact);
    });
  });

  it("takes a page token from one replica on the other", async () => {
    const scope = { user_id: randomUUID() };
    const [a, b] = replicas as [Replica, Replica];
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push((await a.sessions.createSession({ scope, title: `s${i}` })).session?.id ?? "");
    }
    // Pages of 2 from A, then B, then A: every session once.
    const seen: string[] = [];
    let pageToken = "";
    for (const replica of [a, b, a]) {
      const page = await replica.sessions.listSessions({ scope, pageSize: 2, pageToken });
      seen.push(...page.sessions.map((session) => session.id));
      pageToken = page.nextPageToken;
    }
    expect(pageToken).toBe("");
    expect(seen).toHaveLength(created.length);
    expect([...seen].sort()).toEqual([...created].sort());
  });
});
