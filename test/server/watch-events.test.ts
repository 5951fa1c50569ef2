// WatchEvents on the reference services, read by connect-node's own transports (gRPC over HTTP/2
// and Connect JSON over HTTP/1.1), peers this package did not write: the backlog after a cursor,
// then the live tail, each event once and in ListEvents' order, the stream's end, its errors, and
// its bounds (watchers at once, a watcher that stops reading, a server that shuts down).
import { randomUUID } from "node:crypto";
import * as http2 from "node:http2";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Event,
  SessionsService,
  type WatchEventsResponse,
} from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { sessionChannel } from "../../src/server/store/postgres/session-notifications.js";
import { invalid, rejection } from "../support/errors.js";
import {
  describeEachStore,
  describeOnPostgres,
  dropSchema,
  type ProvisionedStore,
  type TestStore,
  uniqueSchema,
} from "../support/stores.js";

type Sessions = Client<typeof SessionsService>;

const peers = {
  "gRPC (connect-node)": (url: string) => createGrpcTransport({ baseUrl: url }),
  "Connect JSON over HTTP/1.1 (connect-node)": (url: string) =>
    createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: false }),
};

/** Reads a watch until it ends, `onEvent` told of each event; heartbeats are left out. */
async function collect(
  watch: AsyncIterable<WatchEventsResponse>,
  onEvent: (event: Event, count: number) => unknown = () => {},
): Promise<Event[]> {
  const events: Event[] = [];
  for await (const response of watch) {
    if (response.event === undefined) continue;
    events.push(response.event);
    await onEvent(response.event, events.length);
  }
  return events;
}

/** The outcome of `promise`: its value, or the ConnectError it failed with. */
function settled<T>(promise: Promise<T>): Promise<T | ConnectError> {
  return promise.catch((e: unknown) => ConnectError.from(e));
}

describeEachStore("WatchEvents", (store) => {
  let services: RunningServices;
  let provisioned: ProvisionedStore | undefined;
  beforeAll(async () => {
    provisioned = await store.provision();
    services = await startServices({ ...provisioned.options, drainTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    await services?.close();
    await provisioned?.drop();
  });

  for (const [peer, transportOf] of Object.entries(peers)) {
    describe(`read by ${peer}`, () => {
      let client: Sessions;
      beforeAll(() => {
        client = createClient(SessionsService, transportOf(services.sessionsUrl));
      });
      const newSession = async () =>
        (await client.createSession({ title: "watched" })).session?.id as string;
      const addEvents = async (sessionId: string, types: string[]) => {
        const made: Event[] = [];
        for (const eventType of types) {
          made.push((await client.createEvent({ sessionId, eventType })).event as Event);
        }
        return made;
      };

      it("sends the backlog, then each new event once it is stored, and ends with the session", async () => {
        const sessionId = await newSession();
        const backlog = await addEvents(sessionId, ["message", "tool_call"]);
        const live: Event[] = [];
        const watched = collect(client.watchEvents({ sessionId }), async (_event, count) => {
          // Each new event is made only once the one before it arrived: it came live.
          if (count >= 2 && count < 5) live.push(...(await addEvents(sessionId, ["message"])));
          if (count === 5) await client.endSession({ id: sessionId });
        });
        const ids = (await watched).map((e) => e.id);
        expect(ids).toEqual([...backlog, ...live].map((e) => e.id));
        const listed = await client.listEvents({ sessionId });
        expect(ids).toEqual(listed.events.map((e) => e.id));
      });

      it("starts after the cursor and filters by type; the cursor may be of any type", async () => {
        const sessionId = await newSession();
        const made = await addEvents(sessionId, ["message", "tool_call", "message", "message"]);
        await client.endSession({ id: sessionId });
        const after = made[1]?.id as string;
        const all = await collect(client.watchEvents({ sessionId, afterEventId: after }));
        expect(all.map((e) => e.id)).toEqual(made.slice(2).map((e) => e.id));
        const messages = await collect(
          client.watchEvents({ sessionId, afterEventId: after, eventType: "tool_call" }),
        );
        expect(messages).toEqual([]);
        const typed = await collect(client.watchEvents({ sessionId, eventType: "message" }));
        expect(typed.map((e) => e.id)).toEqual([made[0], made[2], made[3]].map((e) => e?.id));
      });

      it("ends at once after the backlog of a session that has ended", async () => {
        const sessionId = await newSession();
        const made = await addEvents(sessionId, ["message"]);
        await client.endSession({ id: sessionId });
        expect((await collect(client.watchEvents({ sessionId }))).map((e) => e.id)).toEqual(
          made.map((e) => e.id),
        );
      });

      it("sends heartbeats while no event comes", async () => {
        const sessionId = await newSession();
        const watch = client.watchEvents({ sessionId, heartbeatSeconds: 1 });
        for await (const response of watch) {
          expect(response.event).toBeUndefined();
          break;
        }
        await client.endSession({ id: sessionId });
      });

      it("fails NOT_FOUND when the session is deleted while watched", async () => {
        const sessionId = await newSession();
        const watched = settled(
          collect(client.watchEvents({ sessionId }), async () => {
            await client.deleteSession({ id: sessionId });
          }),
        );
        await addEvents(sessionId, ["message"]);
        const outcome = await watched;
        expect(outcome).toBeInstanceOf(ConnectError);
        expect(Code[(outcome as ConnectError).code]).toBe("NotFound");
      });

      it("refuses a bad request before it watches", async () => {
        const sessionId = await newSession();
        await invalid(collect(client.watchEvents({ sessionId: "nope" })), "session_id");
        await invalid(
          collect(client.watchEvents({ sessionId, afterEventId: "x" })),
          "after_event_id",
        );
        await invalid(
          collect(client.watchEvents({ sessionId, heartbeatSeconds: 301 })),
          "heartbeat_seconds",
        );
        await rejection(collect(client.watchEvents({ sessionId: randomUUID() })), Code.NotFound);
        await rejection(
          collect(client.watchEvents({ sessionId, afterEventId: randomUUID() })),
          Code.NotFound,
        );
        await client.endSession({ id: sessionId });
      });

      it("delivers every event of concurrent writers exactly once, in ListEvents' order", async () => {
        const sessionId = await newSession();
        const writers = 4;
        const perWriter = 15;
        const received: Event[] = [];
        const watched = collect(client.watchEvents({ sessionId }), (event) => {
          received.push(event);
        });
        await Promise.all(
          Array.from({ length: writers }, (_, w) =>
            addEvents(
              sessionId,
              Array.from({ length: perWriter }, () => `writer-${w}`),
            ),
          ),
        );
        await client.endSession({ id: sessionId });
        await watched;
        const listed = await client.listEvents({ sessionId, pageSize: 1000 });
        expect(received.map((e) => e.id)).toEqual(listed.events.map((e) => e.id));
        expect(received).toHaveLength(writers * perWriter);
      });
    });
  }
});

describeEachStore("WatchEvents' bounds", (store) => {
  it("refuses a watch past maxWatchers with RESOURCE_EXHAUSTED, and takes one again once a watch ended", async () => {
    await withServices(store, { maxWatchers: 1 }, async (client) => {
      const sessionId = (await client.createSession({})).session?.id as string;
      const first = new AbortController();
      const watch = await openWatch(client, sessionId, first.signal);
      await rejection(collect(client.watchEvents({ sessionId })), Code.ResourceExhausted);
      first.abort();
      await settled(watch.next());
      await client.endSession({ id: sessionId });
      // The first watch's slot is free again once the server has seen it cancelled.
      await eventually(() => collect(client.watchEvents({ sessionId })));
    });
  });

  it("ends watches with UNAVAILABLE when the server shuts down", async () => {
    await withServices(store, { drainTimeoutMs: 60_000 }, async (client, services) => {
      const sessionId = (await client.createSession({})).session?.id as string;
      const watch = await openWatch(client, sessionId);
      const closed = services.close();
      const outcome = await settled(
        (async () => {
          for (;;) if ((await watch.next()).done) return;
        })(),
      );
      expect(outcome).toBeInstanceOf(ConnectError);
      expect(Code[(outcome as ConnectError).code]).toBe("Unavailable");
      await closed;
    });
  });

  it("cuts a watcher that stops reading with ENHANCE_YOUR_CALM, and gives its slot back", async () => {
    await withServices(
      store,
      { watchStallTimeoutMs: 300, maxWatchers: 1 },
      async (client, services) => {
        const sessionId = (await client.createSession({})).session?.id as string;
        // A raw HTTP/2 stream that never reads: its window (64 KiB) fills, then the server's.
        const session = http2.connect(services.sessionsUrl);
        const stream = session.request({
          ":method": "POST",
          ":path": "/contextiq.sessions.v1.SessionsService/WatchEvents",
          "content-type": "application/grpc+proto",
          te: "trailers",
        });
        stream.end(grpcFrame(watchRequest(sessionId)));
        stream.pause();
        stream.on("error", () => {});
        const closed = new Promise<number>((resolve) =>
          stream.on("close", () => resolve(stream.rstCode ?? -1)),
        );
        let open = true;
        void closed.then(() => {
          open = false;
        });
        const big = { text: "x".repeat(200_000) };
        // Events until the server gives up on the reader; bounded, so that a bug cannot loop for good.
        for (let made = 0; open && made < 200; made++) {
          await client.createEvent({ sessionId, eventType: "big", data: big });
        }
        const rst = await closed;
        session.destroy();
        expect(rst).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
        // The handler was left waiting to write to a stream that is gone: the slot comes back all
        // the same (maxWatchers is 1).
        await client.endSession({ id: sessionId });
        await eventually(() => collect(client.watchEvents({ sessionId, eventType: "none" })));
      },
    );
  });

  it("gives the slot back of a watcher that cancels while the server waits to write to it", async () => {
    await withServices(store, { maxWatchers: 1 }, async (client, services) => {
      const sessionId = (await client.createSession({})).session?.id as string;
      const big = { text: "x".repeat(200_000) };
      for (let made = 0; made < 5; made++) {
        await client.createEvent({ sessionId, eventType: "big", data: big });
      }
      // A stream that reads nothing, so the server's write of the backlog waits for window;
      // then it cancels (RST_STREAM CANCEL) once the server has filled what it can.
      const session = http2.connect(services.sessionsUrl);
      const stream = session.request({
        ":method": "POST",
        ":path": "/contextiq.sessions.v1.SessionsService/WatchEvents",
        "content-type": "application/grpc+proto",
        te: "trailers",
      });
      stream.end(grpcFrame(watchRequest(sessionId)));
      stream.pause();
      stream.on("error", () => {});
      await new Promise((resolve) => stream.once("response", resolve));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await new Promise((resolve) => stream.once("close", resolve));
      session.destroy();
      await client.endSession({ id: sessionId });
      await eventually(() => collect(client.watchEvents({ sessionId, eventType: "none" })));
    });
  });

  it("ends a watch that is still sending its backlog with UNAVAILABLE when the server drains", async () => {
    await withServices(store, { drainTimeoutMs: 60_000 }, async (client, services) => {
      const sessionId = (await client.createSession({})).session?.id as string;
      for (let made = 0; made < 100; made++) {
        await client.createEvent({ sessionId, eventType: "m" });
      }
      let closing: Promise<void> | undefined;
      const outcome = await settled(
        collect(client.watchEvents({ sessionId }), (_, count) => {
          // Closed after the first event, with the backlog's next pages still to send.
          if (count === 1) closing = services.close();
        }),
      );
      expect(outcome).toBeInstanceOf(ConnectError);
      expect(Code[(outcome as ConnectError).code]).toBe("Unavailable");
      await closing;
    });
  });
});

describeOnPostgres("WatchEvents and a session's expiry on PostgreSQL", (url) => {
  it("misses no event of a write that waited for the session's lock across the expiry", async () => {
    const schema = uniqueSchema();
    const services = await startServices({ database: { url, schema } });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const client = createClient(
        SessionsService,
        createGrpcTransport({ baseUrl: services.sessionsUrl }),
      );
      const sessionId = (await client.createSession({ ttlSeconds: 1 })).session?.id as string;
      const watched = collect(client.watchEvents({ sessionId }));
      // Another transaction holds the session's lock: the CreateEvent below, sent before the
      // expiry, waits for it until well after the expiry and the watch's grace.
      await admin.query("BEGIN");
      await admin.query(`SELECT 1 FROM ${schema}.sessions WHERE id = $1 FOR UPDATE`, [sessionId]);
      const write = settled(client.createEvent({ sessionId, eventType: "late" }));
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      await admin.query("COMMIT");
      const written = await write;
      const seen = await watched;
      const listed = await client.listEvents({ sessionId });
      // Either the write was refused (the session had expired once it held the lock), or the
      // watch saw its event: never stored and missed.
      expect(seen.map((e) => e.id)).toEqual(listed.events.map((e) => e.id));
      if (written instanceof ConnectError) expect(Code[written.code]).toBe("FailedPrecondition");
    } finally {
      await admin.end();
      await services.close();
      await dropSchema(url, schema);
    }
  }, 20_000);
});

describeOnPostgres("WatchEvents across replicas on PostgreSQL", (url) => {
  const schema = uniqueSchema();
  let replicas: RunningServices[] = [];
  let clients: Sessions[] = [];
  beforeAll(async () => {
    // Started one after the other: the second finds the schema the first created.
    for (let i = 0; i < 2; i++) {
      replicas.push(await startServices({ database: { url, schema } }));
    }
    clients = replicas.map((r) =>
      createClient(SessionsService, createGrpcTransport({ baseUrl: r.sessionsUrl })),
    );
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    replicas = [];
    await dropSchema(url, schema);
  });

  it("hears events created through another replica (LISTEN/NOTIFY), each once and in order", async () => {
    const [a, b] = clients as [Sessions, Sessions];
    const sessionId = (await b.createSession({})).session?.id as string;
    const watch = await openWatch(a, sessionId);
    const made: string[] = [];
    for (let i = 0; i < 20; i++) {
      made.push((await b.createEvent({ sessionId, eventType: "m" })).event?.id as string);
    }
    await b.endSession({ id: sessionId });
    const seen: string[] = [];
    for (let next = await watch.next(); !next.done; next = await watch.next()) {
      if (next.value.event) seen.push(next.value.event.id);
    }
    expect(seen).toEqual(made);
  });

  it("misses nothing when the listening connection is cut: it listens again and everyone reads again", async () => {
    const [a, b] = clients as [Sessions, Sessions];
    const sessionId = (await b.createSession({})).session?.id as string;
    const watch = await openWatch(a, sessionId);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const listening = `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
        AND application_name = 'contextiq-sessions-watch' AND query = $1`;
    const channel = `LISTEN "${sessionChannel(schema)}"`;
    try {
      for (let round = 0; round < 3; round++) {
        // The listening connection, made again after the last round's cut, is terminated, and
        // events are made at once, most likely before it listens again: only the read that
        // follows listening again can find them.
        await eventually(async () => {
          expect((await admin.query(listening, [channel])).rowCount).toBe(1);
        });
        const cut = await admin.query(`SELECT pg_terminate_backend(pid) FROM (${listening}) AS l`, [
          channel,
        ]);
        expect(cut.rowCount).toBe(1);
        const made: string[] = [];
        for (let i = 0; i < 5; i++) {
          made.push((await b.createEvent({ sessionId, eventType: "m" })).event?.id as string);
        }
        const seen: string[] = [];
        while (seen.length < made.length) {
          const next = await watch.next();
          if (next.done) break;
          if (next.value.event) seen.push(next.value.event.id);
        }
        expect(seen).toEqual(made);
      }
    } finally {
      await admin.end();
      await b.endSession({ id: sessionId });
    }
  });
});

/**
 * A watch of `sessionId`, open: its first message, a heartbeat sent at once, has arrived. Later
 * heartbeats come only every 300 s, so that nothing but a change notice wakes the watch.
 */
async function openWatch(
  client: Sessions,
  sessionId: string,
  signal?: AbortSignal,
): Promise<AsyncIterator<WatchEventsResponse>> {
  const watch = client
    .watchEvents({ sessionId, heartbeatSeconds: 300 }, signal ? { signal } : {})
    [Symbol.asyncIterator]();
  const first = await watch.next();
  expect(first.value?.event).toBeUndefined();
  return watch;
}

/** The services on fresh storage of `store` with `options`, and a gRPC client of Sessions. */
async function withServices(
  store: TestStore,
  options: Parameters<typeof startServices>[0],
  body: (client: Sessions, services: RunningServices) => Promise<void>,
): Promise<void> {
  const provisioned = await store.provision();
  const services = await startServices({ ...provisioned.options, ...options });
  try {
    await body(
      createClient(SessionsService, createGrpcTransport({ baseUrl: services.sessionsUrl })),
      services,
    );
  } finally {
    await services.close();
    await provisioned.drop();
  }
}

async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function watchRequest(sessionId: string): Uint8Array {
  // field 1 (session_id), length-delimited
  const id = Buffer.from(sessionId);
  return Buffer.concat([Buffer.from([0x0a, id.length]), id]);
}

function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}
