// A maximum connection age (gRFC A9): each connection is asked to go once it is old enough, so
// that clients behind an L4 balancer reconnect and spread over replicas added since. Observed with
// plain node:http and node:http2 clients; the timings are bounds the server must keep, and the test
// only waits for the events they cause.
import { once } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionsServiceClient, type TransportKind } from "../../src/index.js";
import { type RunningServices, startServices } from "../../src/server/index.js";

const maxConnectionAgeMs = 300;
const maxConnectionAgeGraceMs = 500;

let services: RunningServices;
beforeAll(async () => {
  services = await startServices({
    maxConnectionAgeMs,
    maxConnectionAgeGraceMs,
    // Only the age and its grace may end the connections of these tests.
    requestTimeoutMs: 600_000,
    idleTimeoutMs: 600_000,
  });
});
afterAll(async () => {
  await services.close();
});

describe("a maximum connection age", () => {
  it("sends an HTTP/2 connection a GOAWAY (NO_ERROR), after which it closes", async () => {
    const session = http2.connect(services.sessionsUrl);
    const goaway = once(session, "goaway");
    const closed = once(session, "close");
    const stream = session.request({ ":path": "/health" });
    stream.resume();
    await once(stream, "close");
    const [errorCode] = await goaway;
    expect(errorCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    await closed;
  });

  it("cuts a connection whose call outlives the grace period", async () => {
    const session = http2.connect(services.sessionsUrl);
    session.on("error", () => {});
    // A request whose body never ends: only the grace period can end it.
    const stream = session.request({
      ":method": "POST",
      ":path": "/contextiq.sessions.v1.SessionsService/CreateSession",
      "content-type": "application/json",
    });
    stream.on("error", () => {});
    stream.write("{");
    const [errorCode] = await once(session, "goaway");
    expect(errorCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    expect(stream.closed).toBe(false);
    await once(session, "close");
    expect(stream.closed).toBe(true);
    expect(stream.rstCode).not.toBe(http2.constants.NGHTTP2_NO_ERROR);
  });

  it("closes an idle HTTP/1.1 keep-alive connection", async () => {
    const agent = new http.Agent({ keepAlive: true });
    try {
      const request = http.get(`${services.sessionsUrl}/health`, { agent });
      const [socket] = (await once(request, "socket")) as [Socket];
      const closed = once(socket, "close");
      const [response] = (await once(request, "response")) as [http.IncomingMessage];
      response.resume();
      await once(response, "end");
      expect(response.headers.connection).toBe("keep-alive");
      // Back in the agent's pool, idle: the server closes it once it is old enough.
      await closed;
    } finally {
      agent.destroy();
    }
  });

  it.each<TransportKind>(["grpc", "json"])(
    "leaves %s calls unharmed while their connections are replaced",
    async (transport) => {
      await using sessions = new SessionsServiceClient({
        baseUrl: services.sessionsUrl,
        transport,
        // The clients' defaults: what a worker runs with.
        env: {},
      });
      const created: string[] = [];
      // Across several ages of a connection, with the client idle in between.
      for (let i = 0; i < 12; i++) {
        created.push((await sessions.createSession({ title: `call ${i}` })).id);
        await sleep(maxConnectionAgeMs / 4);
      }
      const titles = await Promise.all(
        created.map(async (id) => (await sessions.getSession(id)).title),
      );
      expect(titles).toEqual(created.map((_, i) => `call ${i}`));
    },
  );

  // Calls sent as their connection is told to go are refused unprocessed (past the GOAWAY's last
  // stream id); the gRPC transport sends them again on a new connection by itself, so not even a
  // client without retries loses one.
  it("loses no gRPC call of bursts sent across the ages, without retries", async () => {
    await using sessions = new SessionsServiceClient({
      baseUrl: services.sessionsUrl,
      transport: "grpc",
      maxRetries: 0,
      circuitBreaker: false,
      env: {},
    });
    const { id } = await sessions.createSession({ title: "burst" });
    const failures: string[] = [];
    for (let burst = 0; burst < 15; burst++) {
      const calls = Array.from({ length: 20 }, () => sessions.getSession(id));
      for (const outcome of await Promise.allSettled(calls)) {
        if (outcome.status === "rejected") failures.push(String(outcome.reason));
      }
      await sleep(maxConnectionAgeMs / 5);
    }
    expect(failures).toEqual([]);
  });
});
