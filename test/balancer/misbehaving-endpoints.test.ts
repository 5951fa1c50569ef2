// Endpoints that misbehave, played by plain node:http2 servers that count what reaches them, next
// to real replicas: one that fails at once, one that never answers, one whose error message
// mentions a refused stream, and resolvers that hang or throw. Over gRPC; the balancer is the
// same for every transport.
import { createServer, type Http2Server, type ServerHttp2Stream } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, SessionsServiceClient } from "../../src/index.js";
import { type LocalReplicas, startLocalReplicas } from "./local-replicas.js";

interface RawEndpoint {
  readonly url: string;
  /** Requests that reached it, health checks aside. */
  requests: number;
  close(): Promise<void>;
}

/** A gRPC endpoint that answers every stream with `answer`, or never when it is undefined. */
async function rawEndpoint(answer?: { status: number; message: string }): Promise<RawEndpoint> {
  const streams = new Set<ServerHttp2Stream>();
  const server: Http2Server = createServer();
  const endpoint = {
    url: "",
    requests: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.close();
        server.close(() => resolve());
      }),
  };
  server.on("stream", (stream) => {
    endpoint.requests++;
    streams.add(stream);
    stream.on("close", () => streams.delete(stream));
    stream.on("error", () => {});
    if (answer === undefined) return;
    stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": String(answer.status),
        "grpc-message": encodeURIComponent(answer.message),
      },
      { endStream: true },
    );
  });
  server.on("session", (session) => session.on("error", () => {}));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return endpoint;
}

let replicas: LocalReplicas;
beforeAll(async () => {
  replicas = await startLocalReplicas(2);
});
afterAll(() => replicas.close());

const replicaUrls = () =>
  ["127.0.0.1", "127.0.0.2"].map((host) => `http://${host}:${replicas.sessionsPort}`);

describe("a misbehaving endpoint among replicas", () => {
  it("that fails at once does not draw the calls its speed would", async () => {
    const failing = await rawEndpoint({ status: Code.Unavailable, message: "overloaded" });
    try {
      await using sessions = new SessionsServiceClient({
        transport: "grpc",
        baseUrl: [...replicaUrls(), failing.url].join(","),
        // Left in rotation and unretried: only the picking keeps calls away from it.
        outlierDetection: false,
        maxRetries: 0,
        circuitBreaker: false,
        env: {},
      });
      let failed = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 75; i++) await sessions.createSession().catch(() => failed++);
        }),
      );
      expect(failed).toBe(failing.requests);
      // Round robin would send it a third (100); counted at the endpoint.
      expect(failing.requests).toBeLessThan(30);
    } finally {
      await failing.close();
    }
  });

  it("that never answers holds its share of a first burst at most, and nothing once it timed out", async () => {
    const silent = await rawEndpoint();
    try {
      await using sessions = new SessionsServiceClient({
        transport: "grpc",
        baseUrl: [silent.url, ...replicaUrls()].join(","),
        timeoutMs: 2_000,
        maxRetries: 0,
        env: {},
      });
      // Made before any endpoint answered: nothing tells the endpoints apart yet, and each call
      // goes to the less busy of two, which keeps the three within one call of each other around
      // an even share: at most 8 of 21.
      const burst = async () =>
        (
          await Promise.allSettled(Array.from({ length: 21 }, () => sessions.createSession()))
        ).filter((o) => o.status === "rejected").length;
      const firstFailures = await burst();
      expect(silent.requests).toBeLessThanOrEqual(8);
      expect(firstFailures).toBe(silent.requests);
      const held = silent.requests;
      expect(await burst()).toBe(0);
      expect(silent.requests).toBe(held);
    } finally {
      await silent.close();
    }
  });

  it("whose error message mentions REFUSED_STREAM is not sent the call again", async () => {
    const answering = await Promise.all(
      [0, 1, 2].map(() =>
        rawEndpoint({ status: Code.Unavailable, message: "upstream: NGHTTP2_REFUSED_STREAM" }),
      ),
    );
    try {
      await using sessions = new SessionsServiceClient({
        transport: "grpc",
        baseUrl: answering.map((e) => e.url).join(","),
        maxRetries: 0,
        env: {},
      });
      await expect(sessions.createSession()).rejects.toMatchObject({ code: Code.Unavailable });
      expect(answering.reduce((sum, e) => sum + e.requests, 0)).toBe(1);
    } finally {
      await Promise.all(answering.map((e) => e.close()));
    }
  });
});

describe("a resolver that misbehaves", () => {
  it("and never answers fails the call at its deadline, not later", async () => {
    await using sessions = new SessionsServiceClient({
      baseUrl: "http://sessions.test:8001",
      resolver: () => new Promise(() => {}),
      timeoutMs: 200,
      env: {},
    });
    await expect(sessions.createSession()).rejects.toMatchObject({
      code: Code.DeadlineExceeded,
    });
  });

  it("and throws fails the call with UNAVAILABLE naming the host, and the process lives on", async () => {
    await using sessions = new SessionsServiceClient({
      baseUrl: "http://sessions.test:8001",
      resolver: () => {
        throw new Error("registry down");
      },
      maxRetries: 0,
      env: {},
    });
    await expect(sessions.createSession()).rejects.toMatchObject({
      code: Code.Unavailable,
      rawMessage: expect.stringMatching(/could not resolve sessions\.test: registry down/),
    });
  });
});
