// A server may answer before it has read the whole request: the services refuse a message past
// their read limit as soon as its length is known. The answer must reach the caller at once, and
// the bytes never sent must not poison the connection: Node counts them against the HTTP/2
// session's memory for good, and past its limit resets every stream with ENHANCE_YOUR_CALM.
import { once } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ConnectError, SessionsServiceClient, type TransportKind } from "../../src/index.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { createHttp2GrpcTransport, Http2ConnectionPool } from "../../src/transport/index.js";

const readMaxBytes = 1024 * 1024;
// Three times the limit: most of it is never read, far more than a flow-control window.
const oversized = { blob: "x".repeat(3 * readMaxBytes) };
// Enough refused requests to pass Node's default 10 MB several times over.
const rounds = 12;

let services: RunningServices;
beforeAll(async () => {
  services = await startServices({ readMaxBytes });
});
afterAll(async () => {
  await services.close();
});

async function codeOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "ok",
    (error: unknown) => Code[ConnectError.from(error).code],
  );
}

const transports: { name: string; transport: TransportKind; httpVersion: "1.1" | "2" }[] = [
  { name: "grpc", transport: "grpc", httpVersion: "2" },
  { name: "json over HTTP/1.1", transport: "json", httpVersion: "1.1" },
  { name: "json over HTTP/2", transport: "json", httpVersion: "2" },
];

describe.each(transports)("a request the server refuses unread, over $name", (kind) => {
  const client = () =>
    new SessionsServiceClient({
      baseUrl: services.sessionsUrl,
      transport: kind.transport,
      httpVersion: kind.httpVersion,
      maxRetries: 0,
      circuitBreaker: false,
      // Sent as it is: gzipped, the 3 MiB would be 3 KB, read whole, and nothing left unsent.
      compressMinBytes: false,
      env: {},
    });

  it("gets the server's RESOURCE_EXHAUSTED, not its own deadline", async () => {
    await using sessions = client();
    const session = await sessions.createSession({});
    const event = { sessionId: session.id, eventType: "message", data: oversized };
    expect(await codeOf(sessions.createEvent(event))).toBe("ResourceExhausted");
  });

  it("leaves the client's later calls unharmed", async () => {
    await using sessions = client();
    const session = await sessions.createSession({});
    const codes: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const event = { sessionId: session.id, eventType: "message", data: oversized };
      codes.push(await codeOf(sessions.createEvent(event)));
      codes.push(await codeOf(sessions.getSession(session.id)));
    }
    expect(codes).toEqual(Array.from({ length: rounds }, () => ["ResourceExhausted", "ok"]).flat());
  });
});

describe("the HTTP/2 connection pool", () => {
  it("retires a connection whose unsent request bytes near Node's session memory limit", async () => {
    // A plain node:http2 peer that answers every call with a status at once, reading nothing.
    const sessionsSeen = new Set<http2.ServerHttp2Session>();
    const server = http2.createServer();
    server.on("session", (session) => sessionsSeen.add(session));
    server.on("stream", (stream) => {
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": "8" },
        { endStream: true },
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const pool = new Http2ConnectionPool(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
    const transport = createHttp2GrpcTransport({
      baseUrl: pool.origin,
      pool,
      compressMinBytes: false,
    });
    const health = createClient(Health, transport);
    try {
      const codes: string[] = [];
      for (let i = 0; i < rounds; i++) {
        // A 3 MiB service name: a request message of that size, refused before it is read.
        codes.push(await codeOf(health.check({ service: "x".repeat(3 * readMaxBytes) })));
      }
      expect(codes).toEqual(Array.from({ length: rounds }, () => "ResourceExhausted"));
      // About 3 MB left unsent per call and 5 MB allowed per connection: a new one every other call.
      expect(sessionsSeen.size).toBeGreaterThan(1);
    } finally {
      await pool.close();
      for (const session of sessionsSeen) session.destroy();
      server.close();
    }
  });
});
