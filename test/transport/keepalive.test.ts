// Keepalive: a busy connection that has been quiet is pinged, and one whose ping goes unanswered
// (a peer gone silent, as behind a dead NAT) is dropped, failing its calls so they can be retried.
import { createServer as createTcpServer, type Socket, connect as tcpConnect } from "node:net";
import { Code } from "@connectrpc/connect";
import { describe, expect, it, onTestFinished } from "vitest";
import { failureKind } from "../../src/policy/transient.js";
import { rejection } from "../support/errors.js";
import { getSessionBody, unknownId, useTransportFixtures } from "./fixtures.js";
import { respondGrpc } from "./grpc-peer.js";

const open = useTransportFixtures();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP relay to `upstream` whose connections can go silent: they then forward nothing. */
async function startRelay(upstream: string) {
  const { hostname, port } = new URL(upstream);
  const sockets = new Set<Socket>();
  const silenced = new WeakSet<Socket>();
  const server = createTcpServer((client) => {
    const upstreamSocket = tcpConnect(Number(port), hostname);
    for (const [from, to] of [
      [client, upstreamSocket],
      [upstreamSocket, client],
    ] as const) {
      sockets.add(from);
      from.on("data", (chunk) => silenced.has(from) || to.write(chunk));
      from.on("error", () => to.destroy());
      from.on("close", () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: relayPort } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${relayPort}`,
    /** Silences the connections open now; later ones relay as usual. */
    silenceConnections() {
      for (const socket of sockets) silenced.add(socket);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A relay in front of a peer that stalls the first call and answers the others. */
async function silentAfterFirstCall() {
  const peer = await open.startPeer((stream) => {
    if (peer.streams.length > 1) respondGrpc(stream, { body: getSessionBody() });
  });
  const relay = await startRelay(peer.url);
  onTestFinished(() => relay.close());
  const pool = open.createPool(relay.url, { pingIntervalMs: 50, pingTimeoutMs: 100 });
  const sessions = open.sessionsClient({ baseUrl: relay.url, pool });
  const firstCall = sessions.getSession({ id: unknownId });
  await expect.poll(() => peer.streams.length).toBe(1);
  relay.silenceConnections();
  return { pool, sessions, firstCall };
}

describe("keepalive pings", () => {
  it("pings a busy connection that has been quiet for pingIntervalMs", async () => {
    const peer = await open.startPeer((stream) => {
      setTimeout(() => respondGrpc(stream, { body: getSessionBody() }), 300);
    });
    const sessions = open.sessionsClient({
      baseUrl: peer.url,
      poolOptions: { pingIntervalMs: 50 },
    });
    await sessions.getSession({ id: unknownId });
    expect(peer.pingsReceived).toBeGreaterThan(0);
  });

  it("sends no ping on a connection without calls", async () => {
    const peer = await open.startPeer((stream) => respondGrpc(stream, { body: getSessionBody() }));
    const sessions = open.sessionsClient({
      baseUrl: peer.url,
      poolOptions: { pingIntervalMs: 50 },
    });
    await sessions.getSession({ id: unknownId });
    // A slow call on a loaded machine may earn a ping while in flight; count from after it.
    await sleep(50);
    const pingsAfterCall = peer.pingsReceived;
    await sleep(250);
    expect(peer.pingsReceived).toBe(pingsAfterCall);
  });

  it("drops a connection whose ping goes unanswered, failing its call with UNAVAILABLE", async () => {
    const { pool, firstCall } = await silentAfterFirstCall();
    const error = await rejection(firstCall, Code.Unavailable);
    expect(error.rawMessage).toMatch(/no answer to an HTTP\/2 ping within 100 ms/);
    expect(failureKind(error)).toBe("reset");
    await expect.poll(() => pool.size, { timeout: 3_000 }).toBe(0);
  });

  // Node emits the session's 'error' and 'close' only after failing its streams: a call made at
  // once (an immediate retry) must not be handed the dead session.
  it("opens a new connection for a call made as soon as a ping timeout failed the last", async () => {
    const { sessions, firstCall } = await silentAfterFirstCall();
    await rejection(firstCall, Code.Unavailable);
    await sessions.getSession({ id: unknownId });
  });
});
