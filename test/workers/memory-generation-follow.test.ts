// The memory-generation worker in follow mode, against the reference services over both
// transports: it handles a session's events while the session runs, ends with what a one-shot run
// returns for the same events, survives reconnections without a duplicate, and fails clearly when
// the session is deleted under it.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Code,
  type Memory,
  MemoryServiceClient,
  SessionsServiceClient,
  type WatchReconnectEvent,
} from "../../src/index.js";
import {
  type GenerationResult,
  MemoryGenerationWorker,
  type ProgressEvent,
} from "../../src/workers/index.js";
import { startCuttingRelay } from "../support/cutting-relay.js";
import { rejection } from "../support/errors.js";
import { useWorkerServices, workerTransports } from "./worker-services.js";

const services = useWorkerServices();

// Said before the worker starts: the backlog.
const before: [role: string, content: string][] = [
  ["user", "Hi! My name is Ada. I work at Contoso."],
  ["assistant", "Nice to meet you, Ada. I prefer tea myself."],
];
// Said while it follows, in bursts, one fact repeated in other case.
const during: [role: string, content: string][][] = [
  [
    ["user", "I prefer Python for scripting and I love dark mode."],
    ["assistant", "Noted."],
  ],
  [
    ["user", "I live in Lisbon, by the way. I PREFER PYTHON FOR SCRIPTING."],
    ["user", "Do you know whether I like jazz?"],
  ],
];

/** What a memory says, without what differs between two sessions (ids, times). */
const said = ({ fact, topic, confidence, sourceType }: Memory) => ({
  fact,
  topic,
  confidence,
  sourceType,
});

/** A result, reduced to what two runs over the same events must share. */
const outcome = (result: GenerationResult) => ({
  eventsRead: result.eventsRead,
  factsExtracted: result.factsExtracted,
  memoriesCreated: result.memoriesCreated,
  memories: result.memories.map(said),
});

/** A progress listener, and a promise of the first "follow" report that `accepts`. */
function followProgress() {
  const waiters: { accepts: (e: ProgressEvent) => boolean; resolve: () => void }[] = [];
  return {
    onProgress: (event: ProgressEvent) => {
      if (event.stage !== "follow") return;
      for (const waiter of waiters.filter((w) => w.accepts(event))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    reported: (accepts: (e: ProgressEvent) => boolean) =>
      new Promise<void>((resolve) => waiters.push({ accepts, resolve })),
  };
}

describe.each(workerTransports)("MemoryGenerationWorker in follow mode over %s", (_, transport) => {
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

  const say = async (sessionId: string, lines: readonly [string, string][]) => {
    for (const [role, content] of lines) {
      await sessions.createEvent({ sessionId, eventType: "message", data: { role, content } });
      await sessions.createEvent({ sessionId, eventType: "tool_call", data: { content } });
    }
  };

  /**
   * Follows a new session through `before` and the bursts of `during` (each said once the worker
   * has handled what came before it), then ends it; returns the session and the worker's result.
   */
  async function followed(
    scope: Record<string, string>,
    through: SessionsServiceClient = sessions,
    betweenBursts: () => void = () => {},
    onReconnect?: (event: WatchReconnectEvent) => void,
  ) {
    const session = await sessions.createSession({ scope });
    await say(session.id, before);
    const progress = followProgress();
    const worker = new MemoryGenerationWorker({
      sessions: through,
      memory,
      onProgress: progress.onProgress,
    });
    const running = worker.generate(session.id, {
      follow: true,
      ...(onReconnect ? { onReconnect } : {}),
    });
    let count = before.length * 2;
    await progress.reported((e) => e.done === count);
    for (const burst of during) {
      betweenBursts();
      await say(session.id, burst);
      count += burst.length * 2;
      await progress.reported((e) => e.done === count);
    }
    await sessions.endSession(session.id);
    return { session, result: await running };
  }

  it("handles the events as they come and, once the session ends, returns what a one-shot run returns", async () => {
    const scope = { user_id: randomUUID() };
    const { session, result } = await followed(scope);

    // The same conversation, recorded first, then generated in one run.
    const twin = await sessions.createSession({ scope: { user_id: randomUUID() } });
    await say(twin.id, before);
    for (const burst of during) await say(twin.id, burst);
    await sessions.endSession(twin.id);
    const once = await new MemoryGenerationWorker({ sessions, memory }).generate(twin.id);

    expect(outcome(result)).toEqual(outcome(once));
    expect(result.memories.map((m) => m.fact)).toEqual([
      "User's name is Ada",
      "User works at Contoso",
      "User prefers Python for scripting",
      "User loves dark mode",
      "User lives in Lisbon",
    ]);
    expect(result.memories.every((m) => m.sourceId === session.id)).toBe(true);
    // And a one-shot run over the followed session finds every fact stored already.
    const again = await new MemoryGenerationWorker({ sessions, memory }).generate(session.id);
    expect(again.memoriesCreated).toBe(0);
    expect(again.memories.map((m) => m.id)).toEqual(result.memories.map((m) => m.id));
    expect(await memory.listMemories({ scope })).toHaveLength(result.memories.length);
  });

  it("stores a fact while the session is still going", async () => {
    const scope = { user_id: randomUUID() };
    const session = await sessions.createSession({ scope });
    const progress = followProgress();
    const running = new MemoryGenerationWorker({
      sessions,
      memory,
      onProgress: progress.onProgress,
    }).generate(session.id, { follow: true });
    await progress.reported(() => true);
    await sessions.createEvent({
      sessionId: session.id,
      eventType: "message",
      data: { content: "I live in Porto." },
    });
    await progress.reported((e) => e.done === 1);

    expect((await memory.listMemories({ scope })).map((m) => m.fact)).toEqual([
      "User lives in Porto",
    ]);
    await sessions.endSession(session.id);
    expect(await running).toMatchObject({ eventsRead: 1, factsExtracted: 1, memoriesCreated: 1 });
  });

  it("returns at once, as a one-shot run would, for a session that has ended already", async () => {
    const scope = { user_id: randomUUID() };
    const session = await sessions.createSession({ scope });
    await say(session.id, before);
    await sessions.endSession(session.id);
    const worker = new MemoryGenerationWorker({ sessions, memory });

    const result = await worker.generate(session.id, { follow: true });

    expect(outcome(await worker.generate(session.id))).toEqual({
      ...outcome(result),
      memoriesCreated: 0,
    });
    expect(result).toMatchObject({ eventsRead: 4, factsExtracted: 2, memoriesCreated: 2 });
  });

  it("creates no duplicate when its watch reconnects between bursts", async () => {
    const relay = await startCuttingRelay(services().sessionsUrl);
    await using through = new SessionsServiceClient({
      ...transport,
      baseUrl: relay.url,
      env: {},
      retryDelayMs: 10,
    });
    const reconnects: WatchReconnectEvent[] = [];
    try {
      const scope = { user_id: randomUUID() };
      const { result } = await followed(
        scope,
        through,
        () => relay.cut(),
        (e) => reconnects.push(e),
      );

      expect(reconnects.length).toBeGreaterThanOrEqual(during.length);
      expect(result).toMatchObject({ eventsRead: 12, factsExtracted: 5, memoriesCreated: 5 });
      expect(await memory.listMemories({ scope })).toHaveLength(5);
    } finally {
      await relay.close();
    }
  });

  it("fails NOT_FOUND, saying so, when the session is deleted while followed", async () => {
    const scope = { user_id: randomUUID() };
    const session = await sessions.createSession({ scope });
    await say(session.id, before);
    const progress = followProgress();
    const running = new MemoryGenerationWorker({
      sessions,
      memory,
      onProgress: progress.onProgress,
    }).generate(session.id, { follow: true });
    await progress.reported((e) => e.done === before.length * 2);

    // Expected before the delete, which the worker may answer before the delete returns.
    const failed = rejection(running, Code.NotFound);
    await sessions.deleteSession(session.id);

    const error = await failed;
    expect(error.rawMessage).toBe(
      `session ${session.id} was deleted while the worker followed it; the memories it created before stay`,
    );
    expect(await memory.listMemories({ scope })).toHaveLength(2);
  });

  it("stops with CANCELED on its signal, and fails as a one-shot run does before it watches", async () => {
    const session = await sessions.createSession({ scope: { user_id: randomUUID() } });
    const controller = new AbortController();
    const progress = followProgress();
    const running = new MemoryGenerationWorker({
      sessions,
      memory,
      onProgress: progress.onProgress,
    }).generate(session.id, { follow: true, signal: controller.signal });
    await progress.reported(() => true);
    controller.abort();
    await rejection(running, Code.Canceled);

    const worker = new MemoryGenerationWorker({ sessions, memory });
    await rejection(worker.generate(randomUUID(), { follow: true }), Code.NotFound);
    const unscoped = await sessions.createSession({});
    await rejection(worker.generate(unscoped.id, { follow: true }), Code.FailedPrecondition);
  });
});
