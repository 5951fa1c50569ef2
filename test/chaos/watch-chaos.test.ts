// Chaos for streams: the facade's watchEvents over two replicas of the services on one PostgreSQL
// schema, each behind a relay whose connections are reset at seeded random moments, while writers
// create events through both replicas. Whatever was cut, the watch must deliver every stored event
// exactly once, in ListEvents' order, and finish normally when the session ends. A second case
// shuts replicas down under the watch: draining ends it with UNAVAILABLE, and it must go on from
// the other replica without losing an event.
//
// The cuts are drawn from a seeded PRNG (printed; CHAOS_SEED repeats the draws), keyed on how many
// events have been stored rather than on time: a run on a loaded machine cuts as often as one on an
// idle machine. Only resets are used: a connection that goes silent on HTTP/2 is a known open
// problem, tested elsewhere. No check depends on speed; the test timeouts bound a hang only, and
// each watch has its own deadline below the test's, so a watch that never ends fails with what it saw.
// On a 2-core machine the file took 8 s, and 30-40 s with both cores kept busy by other processes.
//
// A third case, on SQLite, makes certain what the shutdown case meets by chance: a reconnection
// refused by a replica that is down goes at once to the other replica, with its request message.
import { randomInt, randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ClientOptions,
  Code,
  ConnectError,
  SessionsServiceClient,
  type WatchReconnectEvent,
} from "../../src/index.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { clientTransports } from "../support/client-transports.js";
import { closedPort } from "../support/closed-port.js";
import { type CuttingRelay, startCuttingRelay } from "../support/cutting-relay.js";
import { mulberry32 } from "../support/mulberry32.js";
import { describeOnPostgres, dropSchema, uniqueSchema } from "../support/stores.js";

const seed = Number(process.env["CHAOS_SEED"] ?? randomInt(2 ** 31));
if (!Number.isInteger(seed)) throw new Error("CHAOS_SEED must be an integer");

const writers = 4;
const eventsPerWriter = 50;
/** The chance that a stored event is followed by a cut, of relay a, relay b or both alike. */
const cutChance = 0.12;
/** A bound on a hang, not a speed budget: a run stores about 200 events on a local database. */
const testTimeoutMs = 180_000;
/** Each watch's own deadline, below the test's: a watch that never ends fails with what it saw. */
const watchTimeoutMs = 150_000;
/** Backoff of the watcher's reconnections: short, so that cuts land on live streams. */
const backoff = { retryDelayMs: 20, maxRetryDelayMs: 200 } as const;

type Transport = Pick<ClientOptions, "transport" | "httpVersion">;
type CutTarget = "a" | "b" | "both";

/** What a watch delivered, how it ended, and the reconnections it reported. */
interface WatchRecord {
  readonly seen: string[];
  readonly reconnects: WatchReconnectEvent[];
  /** Resolves when the watch ends: "finished", or the error it failed with. */
  readonly outcome: Promise<"finished" | ConnectError>;
  /** Resolves once the watch has delivered `count` events; rejects if it ends before. */
  seenAtLeast(count: number): Promise<void>;
}

/** Reads `client.watchEvents(sessionId)` to its end in the background, recording everything. */
function recordWatch(client: SessionsServiceClient, sessionId: string): WatchRecord {
  const seen: string[] = [];
  const reconnects: WatchReconnectEvent[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const wake = () => {
    for (const waiter of waiters.filter((w) => seen.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const outcome = (async () => {
    const watch = client.watchEvents(sessionId, {
      timeoutMs: watchTimeoutMs,
      onReconnect: (event) => reconnects.push(event),
    });
    for await (const event of watch) {
      seen.push(event.id);
      wake();
    }
    return "finished" as const;
  })().catch((e: unknown) => ConnectError.from(e));
  const ended = outcome.then((how) => {
    throw new Error(`the watch ended (${String(how)}) after ${seen.length} events`);
  });
  // A waiter left when the test is over must not surface as an unhandled rejection.
  ended.catch(() => {});
  return {
    seen,
    reconnects,
    outcome,
    seenAtLeast: (count) => {
      const reached = new Promise<void>((resolve) => waiters.push({ count, resolve }));
      wake();
      return Promise.race([reached, ended]);
    },
  };
}

/**
 * Creates an event with a request id of its own; if the facade gives up (a replica going away
 * under it), creates it again with the same id, which stores it at most once.
 */
async function createOnce(
  client: SessionsServiceClient,
  fields: { sessionId: string; eventType: string; data: Record<string, number> },
): Promise<string> {
  const requestId = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      return (await client.createEvent({ ...fields, requestId })).id;
    } catch (error) {
      if (attempt >= 20) throw error;
      // A pause, so that the tries span a replica's restart rather than a burst.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Counts `items` by `key`, as "k=n k=n". */
function countBy<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k}=${n}`).join(" ") || "none";
}

/** Reconnections by the error that caused them, e.g. "Unavailable: read ECONNRESET=3". */
const reconnectCauses = (reconnects: readonly WatchReconnectEvent[]) =>
  countBy(reconnects, (r) => `${Code[r.error.code]}: ${r.error.rawMessage.replace(/\d+/g, "#")}`);

/** Where cuts go: after the k-th stored event, `plan[k]` (or no cut). Drawn in order from `random`. */
function drawCuts(random: () => number, events: number): (CutTarget | undefined)[] {
  return Array.from({ length: events }, () => {
    if (random() >= cutChance) return undefined;
    const r = random();
    return r < 1 / 3 ? "a" : r < 2 / 3 ? "b" : "both";
  });
}

describeOnPostgres("watchEvents under chaos, two replicas on PostgreSQL", (url) => {
  const schema = uniqueSchema();
  const clients: SessionsServiceClient[] = [];
  const newClient = (transport: Transport, baseUrl: string, extra: ClientOptions = {}) => {
    const client = new SessionsServiceClient({ ...transport, baseUrl, env: {}, ...extra });
    clients.push(client);
    return client;
  };

  /**
   * Two replicas on the file's schema, started one after the other (the second finds the tables
   * the first made), each behind a relay; `body` runs with them, and everything is closed after.
   */
  async function withReplicas(
    body: (
      replicas: [RunningServices, RunningServices],
      relays: [CuttingRelay, CuttingRelay],
    ) => Promise<void>,
  ): Promise<void> {
    const replicas: RunningServices[] = [];
    const relays: CuttingRelay[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const services = await startServices({ database: { url, schema } });
        replicas.push(services);
        relays.push(await startCuttingRelay(services.sessionsUrl));
      }
      await body(
        replicas as [RunningServices, RunningServices],
        relays as [CuttingRelay, CuttingRelay],
      );
    } finally {
      await Promise.allSettled(clients.splice(0).map((c) => c.close()));
      await Promise.allSettled(relays.map((r) => r.close()));
      await Promise.allSettled(replicas.map((r) => r.close()));
    }
  }

  afterAll(() => dropSchema(url, schema));

  describe.each(clientTransports.map(([name, transport], index) => ({ name, transport, index })))(
    "over $name",
    ({ name, transport, index }) => {
      it("delivers every event of concurrent writers once and in order while relays are cut", {
        timeout: testTimeoutMs,
      }, async () => {
        await withReplicas(async ([a, b], relays) => {
          const random = mulberry32(seed + index);
          const writerClients = Array.from({ length: writers }, (_, w) =>
            newClient(transport, (w % 2 === 0 ? a : b).sessionsUrl),
          );
          const [writer] = writerClients as [SessionsServiceClient];
          const watcher = newClient(transport, relays.map((r) => r.url).join(","), backoff);
          const sessionId = (await writer.createSession({ title: `watch chaos ${name}` })).id;
          const created = [
            await createOnce(writer, { sessionId, eventType: "first", data: { n: 0 } }),
          ];
          const watch = recordWatch(watcher, sessionId);

          const cuts: CutTarget[] = [];
          const cut = (target: CutTarget) => {
            cuts.push(target);
            if (target !== "b") relays[0].cut();
            if (target !== "a") relays[1].cut();
          };
          // One cut of both once the watch is live, so that every run reconnects at least once.
          await watch.seenAtLeast(1);
          cut("both");

          const plan = drawCuts(random, writers * eventsPerWriter);
          let stored = 0;
          await Promise.all(
            writerClients.map(async (client, w) => {
              for (let n = 0; n < eventsPerWriter; n++) {
                created.push(
                  await createOnce(client, { sessionId, eventType: `writer-${w}`, data: { n } }),
                );
                const target = plan[stored++];
                if (target !== undefined) cut(target);
              }
            }),
          );
          await writer.endSession(sessionId);
          const outcome = await watch.outcome;
          const listed = (await writer.listEvents(sessionId)).map((e) => e.id);

          console.log(
            `watch chaos over ${name}: seed ${seed} (CHAOS_SEED=${seed} repeats the cuts), ` +
              `events created ${created.length}, listed ${listed.length}, seen ${watch.seen.length}, ` +
              `cuts ${cuts.length} (${countBy(cuts, (c) => c)}), ` +
              `reconnects ${watch.reconnects.length} (${reconnectCauses(watch.reconnects)}), ` +
              `connections through the relays ${relays.map((r) => r.opened()).join("+")}`,
          );
          expect(outcome).toBe("finished");
          expect(watch.seen).toEqual(listed);
          expect(listed).toHaveLength(created.length);
          expect(new Set(listed)).toEqual(new Set(created));
          expect(watch.reconnects.length).toBeGreaterThan(0);
        });
      });

      it("loses no event when the replica under the watch shuts down: it goes on from the other", {
        timeout: testTimeoutMs,
      }, async () => {
        await withReplicas(async (replicas) => {
          const urls = replicas.map((r) => r.sessionsUrl);
          // Closed replicas are started again on their ports: the clients' URLs stay valid.
          const ports = urls.map((u) => Number(new URL(u).port));
          const both = urls.join(",");
          // The writer's own retries off: createOnce repeats a create with its request id.
          const writer = newClient(transport, both, {
            circuitBreaker: false,
            retryBudget: false,
            retryDelayMs: 20,
          });
          const watcher = newClient(transport, both, backoff);
          const sessionId = (await writer.createSession({ title: `watch drain ${name}` })).id;
          const watch = recordWatch(watcher, sessionId);

          const created: string[] = [];
          let writing = true;
          const writing$ = (async () => {
            for (let n = 0; writing; n++) {
              created.push(await createOnce(writer, { sessionId, eventType: "m", data: { n } }));
            }
          })();
          // Its failure is awaited below; meanwhile it must not surface as an unhandled rejection.
          writing$.catch(() => {});
          // Replica 0 and then replica 1 shut down, each under a live watch: the watch is on one
          // of them at the first shutdown, so at least one of them ends it.
          const shutdowns: string[] = [];
          for (const i of [0, 1]) {
            await watch.seenAtLeast(watch.seen.length + 5);
            shutdowns.push(`replica ${i} after ${watch.seen.length} events`);
            await replicas[i]?.close();
            // The watch reads again, from whichever replica is up.
            await watch.seenAtLeast(watch.seen.length + 5);
            replicas[i] = await startServices({
              database: { url, schema },
              sessionsPort: ports[i] as number,
            });
          }
          writing = false;
          await writing$;
          await writer.endSession(sessionId);
          const outcome = await watch.outcome;
          const listed = (await writer.listEvents(sessionId)).map((e) => e.id);

          const drained = watch.reconnects.filter(
            (r) => r.error.code === Code.Unavailable && /shutting down/.test(r.error.rawMessage),
          );
          console.log(
            `watch drain over ${name}: events created ${created.length}, listed ${listed.length}, ` +
              `seen ${watch.seen.length}, shutdowns: ${shutdowns.join(", ")}, ` +
              `reconnects ${watch.reconnects.length} (${reconnectCauses(watch.reconnects)}), ` +
              `of them after a drain ${drained.length}`,
          );
          expect(outcome).toBe("finished");
          expect(watch.seen).toEqual(listed);
          expect(listed).toHaveLength(created.length);
          expect(new Set(listed)).toEqual(new Set(created));
          expect(drained.length).toBeGreaterThan(0);
        });
      });
    },
  );
});

// The shutdown case's failure, made certain: a reconnection after a replica shut down may be
// refused by it, and the balancer sends that attempt again to another endpoint at once. A stream's
// request message must go with it.
describe.each(clientTransports)(
  "watchEvents over %s, first endpoint refusing",
  (name, transport) => {
    it("opens on the other endpoint when the first it tries refuses the connection", async () => {
      await using services = await startServices();
      const refusing = `http://127.0.0.1:${await closedPort()}`;
      const writer = new SessionsServiceClient({
        ...transport,
        baseUrl: services.sessionsUrl,
        env: {},
      });
      // Round robin: of two watches in a row, one tries the refusing endpoint first.
      const watcher = new SessionsServiceClient({
        ...transport,
        baseUrl: `${services.sessionsUrl},${refusing}`,
        loadBalancing: "round-robin",
        env: {},
      });
      try {
        const sessionId = (await writer.createSession({ title: `refused ${name}` })).id;
        const made = (await writer.createEvent({ sessionId, eventType: "m" })).id;
        await writer.endSession(sessionId);
        for (const _ of ["first watch", "second watch"]) {
          const seen: string[] = [];
          for await (const event of watcher.watchEvents(sessionId)) seen.push(event.id);
          expect(seen).toEqual([made]);
        }
      } finally {
        await Promise.all([writer.close(), watcher.close()]);
      }
    });
  },
);
