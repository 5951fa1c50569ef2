// HAProxy in front of three replicas on one PostgreSQL database, with the package's clients
// pointed at it, over each transport: calls spread over every replica, and when one replica is
// SIGKILLed under a steady stream of writes, nothing is lost, nothing is doubled, and its share
// goes to the other two. Where each call went is counted by the replicas themselves (fleet.ts),
// what HAProxy did by its log; every threshold is a count of events, never a duration.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClientOptions,
  Code,
  ConnectError,
  MemoryServiceClient,
  SessionsServiceClient,
} from "../../src/index.js";
import { clientTransports } from "../support/client-transports.js";
import { type Fleet, startFleet } from "../support/fleet.js";
import { type Haproxy, type HaproxyLogLine, startHaproxy } from "../support/haproxy.js";
import { describeOnPostgres } from "../support/stores.js";

/** Writes in flight at any moment. */
const writers = 6;
/** Writes that complete before the kill, and after it. */
const writesBeforeKill = 60;
const writesAfterKill = 120;
/** The replica that is SIGKILLed. */
const victim = 1;

describeOnPostgres("HAProxy in front of three replicas", (url) => {
  let fleet: Fleet;
  let proxy: Haproxy;

  beforeAll(async () => {
    // The victim is slowed, behind a relay that can hold its answers (see the kill).
    fleet = await startFleet({ databaseUrl: url, slowMs: [0, 50, 0] });
    proxy = await startHaproxy(fleet);
  }, 180_000);

  afterAll(async () => {
    await proxy?.close();
    await fleet?.close();
  }, 30_000);

  /** The package's clients through HAProxy, recording every retry and every failure. */
  function clients(transport: Pick<ClientOptions, "transport" | "httpVersion">) {
    const retries: string[] = [];
    const options: ClientOptions = {
      ...transport,
      retryDelayMs: 50,
      onRetry: (e) => retries.push(`${e.method}: [${e.error.code}] ${e.error.rawMessage}`),
    };
    return {
      sessions: new SessionsServiceClient({ ...options, baseUrl: proxy.sessionsUrl }),
      memory: new MemoryServiceClient({ ...options, baseUrl: proxy.memoryUrl }),
      retries,
    };
  }

  /** Counts of every replica, in order. */
  const servedByAll = () => Promise.all(fleet.replicas.map((r) => fleet.totalServed(r.index)));

  /** Reads and writes of both services: the four backends of the configuration. */
  function mixedCall(c: ReturnType<typeof clients>, scope: Record<string, string>) {
    return async (n: number) => {
      if (n % 4 === 0) await c.sessions.createSession({ scope, title: `s${n}` });
      else if (n % 4 === 1) await c.sessions.listSessions({ scope });
      else if (n % 4 === 2) await c.memory.createMemory({ scope, fact: `fact ${n}` });
      else await c.memory.listMemories({ scope });
    };
  }

  /**
   * Waits until HAProxy sends the victim calls again in every backend, once a test before has
   * killed and restarted it: its health checks let it back in a few checks later (or the test
   * times out). Leaves the counts at zero.
   */
  async function untilEveryReplicaServes(c: ReturnType<typeof clients>) {
    const call = mixedCall(c, { user_id: randomUUID() });
    await fleet.resetCounts();
    for (let n = 0; (await fleet.served(victim)).size < 4; n++) await call(n);
    await fleet.resetCounts();
  }

  describe.each(clientTransports)("with clients on %s", (_name, transport) => {
    it("spreads the calls over every replica, and passes errors through", async () => {
      const c = clients(transport);
      try {
        await untilEveryReplicaServes(c);
        const calls = 60;
        await inParallel(calls, writers, mixedCall(c, { user_id: randomUUID() }));
        const served = await servedByAll();
        expect(served.reduce((a, b) => a + b)).toBe(calls);
        for (const n of served) expect(n).toBeGreaterThanOrEqual(calls / 6);

        const missing = await c.sessions.getSession(randomUUID()).catch(ConnectError.from);
        expect(missing).toMatchObject({ code: Code.NotFound });
      } finally {
        await Promise.all([c.sessions.close(), c.memory.close()]);
      }
    }, 60_000);

    it("loses and doubles no write when a replica is SIGKILLed mid-run", async () => {
      const c = clients(transport);
      const { sessions, memory, retries } = c;
      const direct = {
        sessions: new SessionsServiceClient({ baseUrl: fleet.replicas[0]?.sessionsUrl ?? "" }),
        memory: new MemoryServiceClient({ baseUrl: fleet.replicas[0]?.memoryUrl ?? "" }),
      };
      // HAProxy logs a request when its stream ends, which may be after the test that sent it:
      // this test's calls carry a tag of their own.
      const tag = randomUUID();
      const tagged = { headers: { "x-test-tag": tag } };
      try {
        const scope = { user_id: randomUUID() };
        const eventSessions = await Promise.all(
          [0, 1, 2].map(async () => (await sessions.createSession({ scope })).id),
        );
        await untilEveryReplicaServes(c);

        // The writes: a session, an event (into one of three sessions) or a memory, each with
        // its own request_id and a marker (title, data.n, fact) that shows if it is stored twice.
        type Kind = "session" | "event" | "memory";
        const attempted = new Map<number, Kind>();
        const succeeded = new Map<number, string>();
        const failed: string[] = [];
        const write = async (n: number) => {
          const kind: Kind = (["session", "event", "memory"] as const)[n % 3] ?? "session";
          attempted.set(n, kind);
          try {
            const requestId = randomUUID();
            const id =
              kind === "session"
                ? (await sessions.createSession({ scope, title: `w${n}`, requestId }, tagged)).id
                : kind === "event"
                  ? (
                      await sessions.createEvent(
                        {
                          sessionId: eventSessions[n % eventSessions.length] ?? "",
                          eventType: "write",
                          data: { n },
                          requestId,
                        },
                        tagged,
                      )
                    ).id
                  : (await memory.createMemory({ scope, fact: `w${n}`, requestId }, tagged)).id;
            succeeded.set(n, id);
          } catch (error) {
            failed.push(`w${n} (${kind}): ${ConnectError.from(error).message}`);
          }
        };

        // A steady stream of writes, `writers` at a time, until told to stop.
        let done = 0;
        let stopping = false;
        const waiters: { at: number; resolve: () => void }[] = [];
        const reached = (at: number) =>
          new Promise<void>((resolve) => waiters.push({ at, resolve }));
        let next = 0;
        const stream = Promise.all(
          Array.from({ length: writers }, async () => {
            while (!stopping) {
              await write(next++);
              done++;
              for (const w of waiters) if (done >= w.at) w.resolve();
            }
          }),
        );

        await reached(writesBeforeKill);
        // From here on the victim answers nothing: a write it receives now is in flight for
        // sure when it is killed.
        fleet.hold(victim);
        // Each check is a round trip to the victim's process, not a spin.
        const heldFrom = await fleet.totalServed(victim);
        while ((await fleet.totalServed(victim)) === heldFrom);
        await fleet.kill(victim);
        const atKill = await servedByAll();
        const doneAtKill = done;
        await reached(doneAtKill + writesAfterKill);
        stopping = true;
        await stream;
        const atEnd = await servedByAll();

        // Its share went to the other two: every write finished after the kill was served by
        // them, less those already in their hands when it came.
        expect(atEnd[victim]).toBe(atKill[victim]);
        const others = fleet.replicas.map((r) => r.index).filter((i) => i !== victim);
        for (const i of others) expect(atEnd[i]).toBeGreaterThan(atKill[i] ?? 0);
        const grown = others.reduce((sum, i) => sum + (atEnd[i] ?? 0) - (atKill[i] ?? 0), 0);
        expect(grown).toBeGreaterThanOrEqual(done - doneAtKill - writers);

        // Read back from the database, through a replica directly.
        const storedSessions = await direct.sessions.listSessions({
          scope,
          includeInactive: true,
          pageSize: 1000,
        });
        const storedEvents = (
          await Promise.all(
            eventSessions.map((id) => direct.sessions.listEvents(id, { pageSize: 1000 })),
          )
        ).flat();
        const storedMemories = await direct.memory.listMemories({ scope, pageSize: 1000 });
        const stored = new Map<number, string[]>();
        const keep = (marker: unknown, id: string) => {
          const n = Number(String(marker).replace(/^w/, ""));
          if (Number.isInteger(n)) stored.set(n, [...(stored.get(n) ?? []), id]);
        };
        for (const s of storedSessions) if (s.title !== "") keep(s.title, s.id);
        for (const e of storedEvents) keep((e.data as { n?: unknown } | undefined)?.n, e.id);
        for (const m of storedMemories) keep(m.fact, m.id);

        const lost = [...succeeded].filter(([n, id]) => !stored.get(n)?.includes(id));
        const doubled = [...stored].filter(([, ids]) => ids.length > 1);
        const unknown = [...stored.keys()].filter((n) => !attempted.has(n));
        expect(lost).toEqual([]);
        expect(doubled).toEqual([]);
        expect(unknown).toEqual([]);
        // Every write succeeded or failed with an error recorded here.
        expect(succeeded.size + failed.length).toBe(attempted.size);
        // The events' counters moved once per stored event.
        for (const id of eventSessions) {
          const { eventCount } = await direct.sessions.getSession(id);
          expect(eventCount).toBe(storedEvents.filter((e) => e.sessionId === id).length);
        }

        // HAProxy never sent a write again itself.
        const logged = proxy.requests().filter((l) => l.tag === tag);
        const writes = logged.filter((l) => l.backend.endsWith("_writes"));
        expect(writes.filter((l) => l.retries > 0)).toEqual([]);
        // The victim received writes it never answered: they were in flight when it died, and
        // may have been stored. HAProxy answered each with 503, or, to a client on HTTP/2, reset
        // its stream with REFUSED_STREAM (which the client sends again at once, without counting
        // a retry). Either way the client sent it again, and it was stored once (above).
        let received = 0;
        for (const [path, n] of await fleet.served(victim)) {
          if (/\/Create/.test(path)) received += n;
        }
        const answered = writes.filter((l) => l.server === `r${victim}` && l.status === 200).length;
        const writeErrors = writes.filter((l) => l.status >= 500);
        const writeRetries = retries.filter((r) => /^Create/.test(r));
        console.info(
          report(transport, attempted.size, failed, retries, logged),
          `\n  the killed replica received ${received} writes and answered ${answered}`,
        );
        expect(received).toBeGreaterThan(answered);
        expect(writeRetries.length).toBeGreaterThanOrEqual(writeErrors.length);
        // The goal: the client's retries cover the calls the killed replica had in flight.
        expect(failed).toEqual([]);
      } finally {
        await Promise.all([
          sessions.close(),
          memory.close(),
          direct.sessions.close(),
          direct.memory.close(),
        ]);
        if (fleet.replicas[victim]?.pid === undefined) await fleet.start(victim);
      }
    }, 120_000);
  });
});

/** Runs `count` calls, `parallel` at a time. */
async function inParallel(
  count: number,
  parallel: number,
  call: (n: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await call(next++);
    }),
  );
}

/** What happened in a kill run, for the test's output. */
function report(
  transport: Pick<ClientOptions, "transport" | "httpVersion">,
  writes: number,
  failed: string[],
  retries: string[],
  logged: HaproxyLogLine[],
): string {
  const tally = (items: string[]) => {
    const counts = new Map<string, number>();
    for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
    return [...counts].map(([item, n]) => `\n    ${n} x ${item}`).join("");
  };
  const proxyErrors = logged
    .filter((l) => l.status >= 500 || l.status < 100)
    .map((l) => `${l.backend}/${l.server} ${l.status} ${l.termination}`);
  const proxyRetries = logged.filter((l) => l.retries > 0).map((l) => `${l.backend} ${l.status}`);
  return [
    `HAProxy kill run, ${transport.transport} over HTTP/${transport.httpVersion ?? "2"}: ${writes} writes, ${failed.length} failed${failed.map((f) => `\n    ${f}`).join("")}`,
    `  retried by the client: ${retries.length}${tally(retries)}`,
    `  answered with an error by HAProxy: ${proxyErrors.length}${tally(proxyErrors)}`,
    `  retried by HAProxy: ${proxyRetries.length}${tally(proxyRetries)}`,
  ].join("\n");
}
