// The connection pool, seen from the server: how many connections calls open and how streams
// spread over them, how a connection leaves (GOAWAY, idle), and closing the pool.
import { constants } from "node:http2";
import { Code, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { Http2ConnectionPool } from "../../src/transport/index.js";
import { rejection } from "../support/errors.js";
import { getSessionBody, settle, unknownId, useTransportFixtures } from "./fixtures.js";
import { type GrpcPeer, respondGrpc } from "./grpc-peer.js";

const open = useTransportFixtures();
const answer = () => open.startPeer((stream) => respondGrpc(stream, { body: getSessionBody() }));
const stall = () => open.startPeer(() => {});

/** Streams per connection, in the order the connections opened. */
function streamsPerConnection(peer: GrpcPeer): number[] {
  const counts = new Array<number>(peer.sessionsOpened).fill(0);
  for (const s of peer.streams) counts[s.connection] = (counts[s.connection] ?? 0) + 1;
  return counts;
}

/** Starts `count` GetSession calls that the test cancels with the returned function. */
function startCalls(sessions: ReturnType<typeof open.sessionsClient>, count: number) {
  const controller = new AbortController();
  const calls = Array.from({ length: count }, () =>
    settle(sessions.getSession({ id: unknownId }, { signal: controller.signal })),
  );
  return async () => {
    controller.abort();
    await Promise.all(calls);
  };
}

describe("connections opened", () => {
  it("opens a new connection once each carries maxStreamsPerConnection streams", async () => {
    const peer = await stall();
    const sessions = open.sessionsClient({
      baseUrl: peer.url,
      poolOptions: { maxStreamsPerConnection: 2, maxConnections: 3 },
    });
    const cancel = startCalls(sessions, 6);
    await expect.poll(() => peer.streams.length).toBe(6);
    expect(peer.sessionsOpened).toBe(3);
    expect(streamsPerConnection(peer)).toEqual([2, 2, 2]);
    await cancel();
  });

  it("opens no more than maxConnections, sharing them out beyond", async () => {
    const peer = await stall();
    const sessions = open.sessionsClient({
      baseUrl: peer.url,
      poolOptions: { maxStreamsPerConnection: 1, maxConnections: 2 },
    });
    const cancel = startCalls(sessions, 5);
    await expect.poll(() => peer.streams.length).toBe(5);
    expect(peer.sessionsOpened).toBe(2);
    expect(streamsPerConnection(peer).sort()).toEqual([2, 3]);
    await cancel();
  });

  it("opens more connections when the server allows fewer streams than the pool would", async () => {
    const peer = await open.startPeer(
      (stream, headers) => {
        // The first call only lets the pool learn the server's SETTINGS; the rest stall.
        if (headers["x-warm-up"]) respondGrpc(stream, { body: getSessionBody() });
      },
      { settings: { maxConcurrentStreams: 1 } },
    );
    const sessions = open.sessionsClient({ baseUrl: peer.url });
    await sessions.getSession({ id: unknownId }, { headers: { "x-warm-up": "1" } });
    const cancel = startCalls(sessions, 3);
    await expect.poll(() => peer.streams.length).toBe(4);
    expect(peer.sessionsOpened).toBe(3);
    expect(streamsPerConnection(peer)).toEqual([2, 1, 1]);
    await cancel();
  });

  // A new connection takes streams before the server's SETTINGS arrive, so in a burst on a cold
  // pool the server refuses the streams over its limit. They fail as UNAVAILABLE and read as
  // refused (never processed), which the facade's retries take care of.
  it("waits for a new connection's SETTINGS, so a cold burst over the server's limit is not refused", async () => {
    const peer = await open.startPeer(
      (stream) => setTimeout(() => respondGrpc(stream, { body: getSessionBody() }), 50),
      { settings: { maxConcurrentStreams: 1 } },
    );
    const sessions = open.sessionsClient({ baseUrl: peer.url });
    // Before this pool waited, 2 of these 3 were refused (REFUSED_STREAM): they went out before
    // the server's SETTINGS said 1.
    const results = await Promise.allSettled(
      Array.from({ length: 3 }, () => sessions.getSession({ id: unknownId })),
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    expect(peer.streams.length).toBe(3);
  });

  it("shares one connection between the transports of one pool", async () => {
    const peer = await answer();
    const pool = open.createPool(peer.url);
    const a = open.sessionsClient({ baseUrl: peer.url, pool });
    const b = open.sessionsClient({ baseUrl: peer.url, pool });
    await a.getSession({ id: unknownId });
    await b.getSession({ id: unknownId });
    expect(peer.sessionsOpened).toBe(1);
    expect(pool.size).toBe(1);
  });
});

describe("connections that leave", () => {
  it("retires a connection on GOAWAY: its call completes, the next opens a new one", async () => {
    const peer = await open.startPeer((stream) => {
      // A graceful GOAWAY goes out before this stream's answer, which still completes.
      if (peer.streams.length === 1) stream.session?.close();
      respondGrpc(stream, { body: getSessionBody() });
    });
    const sessions = open.sessionsClient({ baseUrl: peer.url });
    await sessions.getSession({ id: unknownId });
    await sessions.getSession({ id: unknownId });
    expect(peer.streams.map((s) => s.connection)).toEqual([0, 1]);
  });

  it("closes a connection idle for idleTimeoutMs, and opens a new one for the next call", async () => {
    const peer = await answer();
    const pool = open.createPool(peer.url, { idleTimeoutMs: 50 });
    const sessions = open.sessionsClient({ baseUrl: peer.url, pool });
    await sessions.getSession({ id: unknownId });
    expect(pool.size).toBe(1);
    await expect.poll(() => pool.size, { timeout: 3_000 }).toBe(0);
    await sessions.getSession({ id: unknownId });
    expect(peer.sessionsOpened).toBe(2);
  });

  it("keeps a connection with a call in flight open past idleTimeoutMs", async () => {
    const peer = await open.startPeer((stream) => {
      setTimeout(() => respondGrpc(stream, { body: getSessionBody() }), 300);
    });
    const pool = open.createPool(peer.url, { idleTimeoutMs: 50 });
    const call = open.sessionsClient({ baseUrl: peer.url, pool }).getSession({ id: unknownId });
    await expect.poll(() => peer.streams.length).toBe(1);
    // An idle close is graceful, so the call would complete anyway: the pool must not shrink.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(pool.size).toBe(1);
    await call;
    expect(peer.sessionsOpened).toBe(1);
  });
});

describe("closing", () => {
  it("waits for calls in flight, then closes the connections", async () => {
    const peer = await open.startPeer((stream) => {
      setTimeout(() => respondGrpc(stream, { body: getSessionBody() }), 150);
    });
    const pool = open.createPool(peer.url);
    const sessions = open.sessionsClient({ baseUrl: peer.url, pool });
    const done: string[] = [];
    const call = sessions.getSession({ id: unknownId }).then(() => done.push("call"));
    await expect.poll(() => peer.streams.length).toBe(1);
    await pool.close().then(() => done.push("close"));
    await call;
    expect(done).toEqual(["call", "close"]);
    expect(pool.size).toBe(0);
  });

  it("makes a transport's own pool wait for its calls in flight", async () => {
    const peer = await open.startPeer((stream) => {
      setTimeout(() => respondGrpc(stream, { body: getSessionBody() }), 150);
    });
    const transport = open.createTransport({ baseUrl: peer.url });
    const call = createClient(SessionsService, transport).getSession({ id: unknownId });
    await expect.poll(() => peer.streams.length).toBe(1);
    await transport.close();
    expect(await settle(call)).toMatchObject({ session: { id: unknownId } });
  });

  it("fails calls after close with an error that says so, opening no connection", async () => {
    const peer = await answer();
    const pool = open.createPool(peer.url);
    const sessions = open.sessionsClient({ baseUrl: peer.url, pool });
    await pool.close();
    // Not UNAVAILABLE: a retry would not help a closed transport.
    const error = await rejection(sessions.getSession({ id: unknownId }), Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(
      /the HTTP\/2 connections to http:\/\/127\.0\.0\.1:\d+ are closed/,
    );
    expect(peer.sessionsOpened).toBe(0);
  });

  it("destroy() fails the calls in flight at once, resetting their streams, and later calls", async () => {
    const peer = await stall();
    const pool = open.createPool(peer.url);
    const sessions = open.sessionsClient({ baseUrl: peer.url, pool });
    const call = settle(sessions.getSession({ id: unknownId }));
    await expect.poll(() => peer.streams.length).toBe(1);
    pool.destroy();
    expect(await call).toMatchObject({ code: Code.Unavailable });
    expect(await peer.streams[0]?.closed).toBe(constants.NGHTTP2_CANCEL);
    const error = await rejection(sessions.getSession({ id: unknownId }), Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(/are closed/);
  });

  it("leaves a shared pool open when a transport on it closes", async () => {
    const peer = await answer();
    const pool = open.createPool(peer.url);
    const closing = open.createTransport({ baseUrl: peer.url, pool });
    const staying = open.sessionsClient({ baseUrl: peer.url, pool });
    await staying.getSession({ id: unknownId });
    await closing.close();
    expect(pool.size).toBe(1);
    await staying.getSession({ id: unknownId });
    expect(peer.sessionsOpened).toBe(1);
  });
});

describe("pool options", () => {
  const invalid: [string, number][] = [
    ["maxStreamsPerConnection", 0],
    ["maxConnections", -1],
    ["pingIntervalMs", Number.NaN],
    ["pingTimeoutMs", Number.POSITIVE_INFINITY],
    ["idleTimeoutMs", 0.5],
  ];

  it.each(invalid)("refuses %s = %s with a TypeError naming it", (name, value) => {
    const make = () => new Http2ConnectionPool("http://127.0.0.1:1", { [name]: value });
    expect(make).toThrow(TypeError);
    expect(make).toThrow(`\`${name}\``);
  });

  it("checks poolOptions given to the transport", () => {
    expect(() =>
      open.createTransport({ baseUrl: "http://127.0.0.1:1", poolOptions: { maxConnections: 0 } }),
    ).toThrow(/`maxConnections` must be a number of at least 1, got 0/);
  });
});
