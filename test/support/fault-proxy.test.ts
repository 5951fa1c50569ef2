// The fault proxy itself, against the real Sessions service: it forwards for real (statuses and
// gRPC trailers included), injects each kind of fault, counts attempts, and closes quickly. The
// codes asserted here are what connect-node 2.1.2 reports for each fault, which retry classifiers
// rely on.
import { randomUUID } from "node:crypto";
import { Agent } from "node:http";
import * as http2 from "node:http2";
import { performance } from "node:perf_hooks";
import { type Client, Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.js";

const createSessionPath = "/contextiq.sessions.v1.SessionsService/CreateSession";
const unknownId = "00000000-0000-4000-8000-000000000000";

interface ProxiedTransport {
  readonly name: string;
  readonly httpVersion: "1.1" | "2";
  readonly grpc: boolean;
  /** The request header carrying the deadline. */
  readonly timeoutHeader: string;
  create(baseUrl: string): { transport: Transport; close(): void };
}

const transports: ProxiedTransport[] = [
  {
    name: "Connect JSON over HTTP/1.1",
    httpVersion: "1.1",
    grpc: false,
    timeoutHeader: "connect-timeout-ms",
    create: (baseUrl) => {
      const agent = new Agent({ keepAlive: true });
      const transport = createConnectTransport({
        baseUrl,
        httpVersion: "1.1",
        nodeOptions: { agent },
      });
      return { transport, close: () => agent.destroy() };
    },
  },
  {
    name: "Connect JSON over HTTP/2",
    httpVersion: "2",
    grpc: false,
    timeoutHeader: "connect-timeout-ms",
    create: (baseUrl) => {
      const sessionManager = new Http2SessionManager(baseUrl);
      const transport = createConnectTransport({ baseUrl, httpVersion: "2", sessionManager });
      return { transport, close: () => sessionManager.abort() };
    },
  },
  {
    name: "gRPC over HTTP/2",
    httpVersion: "2",
    grpc: true,
    timeoutHeader: "grpc-timeout",
    create: (baseUrl) => {
      const sessionManager = new Http2SessionManager(baseUrl);
      const transport = createGrpcTransport({ baseUrl, sessionManager });
      return { transport, close: () => sessionManager.abort() };
    },
  },
];

/** Awaits `call`, which must fail with a ConnectError, and returns the error. */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, "the call should have failed").toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

/** The code of `error` by name, so a mismatch reads "Aborted" rather than 10. */
function codeOf(error: ConnectError): string {
  return Code[error.code];
}

let services: RunningServices;
let proxy: FaultProxy;
/** A client straight to the service, to see what it stored. */
let direct: Client<typeof SessionsService>;
const directAgent = new Agent({ keepAlive: true });

beforeAll(async () => {
  services = await startServices();
  proxy = await startFaultProxy(services.sessionsUrl);
  direct = createClient(
    SessionsService,
    createConnectTransport({
      baseUrl: services.sessionsUrl,
      httpVersion: "1.1",
      nodeOptions: { agent: directAgent },
    }),
  );
});

afterAll(async () => {
  await proxy?.close();
  directAgent.destroy();
  await services?.close();
});

beforeEach(() => proxy.reset());

/** How many sessions the service holds with `scope`. */
async function storedWith(scope: Record<string, string>): Promise<number> {
  return (await direct.listSessions({ scope })).totalSize;
}

describe.each(transports)("through the proxy, $name", (t) => {
  let client: Client<typeof SessionsService>;
  let close: () => void = () => {};
  beforeAll(() => {
    const made = t.create(proxy.url);
    client = createClient(SessionsService, made.transport);
    close = made.close;
  });
  afterAll(() => close());

  /** One successful call, so the next one goes over an established connection. */
  const warmUp = () => client.listSessions({}, { timeoutMs: 5000 });

  test("forwards a call and records the attempt with its path and deadline", async () => {
    const scope = { test: randomUUID() };
    const { session } = await client.createSession({ scope, title: "t" }, { timeoutMs: 5000 });
    expect(session?.scope).toEqual(scope);
    expect(await storedWith(scope)).toBe(1);

    expect(proxy.attempts).toHaveLength(1);
    const [attempt] = proxy.attempts;
    expect(attempt).toMatchObject({
      index: 0,
      method: "POST",
      path: createSessionPath,
      httpVersion: t.httpVersion,
      fault: "forward",
    });
    expect(attempt?.headers[t.timeoutHeader]).toMatch(t.grpc ? /^\d+m$/ : /^\d+$/);
    expect(proxy.attemptsFor("CreateSession")).toEqual(proxy.attempts);
    expect(proxy.attemptsFor("GetSession")).toEqual([]);
  });

  test("forwards error answers: status, message and gRPC trailers", async () => {
    const error = await failure(client.getSession({ id: unknownId }, { timeoutMs: 5000 }));
    expect(codeOf(error)).toBe("NotFound");
    expect(error.rawMessage).toBe(`session ${unknownId} not found`);
    expect(proxy.attemptsFor("GetSession")).toHaveLength(1);
  });

  test("HTTP 503 is UNAVAILABLE, with Retry-After in the error's metadata", async () => {
    proxy.plan(() => ({ kind: "status", status: 503, headers: { "retry-after": "0" } }));
    const error = await failure(client.createSession({}, { timeoutMs: 5000 }));
    expect(codeOf(error)).toBe("Unavailable");
    expect(error.rawMessage).toBe("HTTP 503");
    expect(error.metadata.get("retry-after")).toBe("0");
    expect(proxy.attempts.map((a) => a.fault)).toEqual(["status"]);
  });

  test("HTTP 429 is UNAVAILABLE too, with Retry-After in the error's metadata", async () => {
    proxy.plan(() => ({ kind: "status", status: 429, headers: { "retry-after": "1" } }));
    const error = await failure(client.createSession({}, { timeoutMs: 5000 }));
    expect(codeOf(error)).toBe("Unavailable");
    expect(error.rawMessage).toBe("HTTP 429");
    expect(error.metadata.get("retry-after")).toBe("1");
  });

  test.runIf(t.grpc)(
    "a gRPC UNAVAILABLE with pushback shows the pushback in metadata (gRPC only, skipped on Connect)",
    async () => {
      proxy.plan(() => ({
        kind: "grpc-status",
        code: Code.Unavailable,
        message: "try later",
        trailers: { "grpc-retry-pushback-ms": "150" },
      }));
      const error = await failure(client.createSession({}, { timeoutMs: 5000 }));
      expect(codeOf(error)).toBe("Unavailable");
      expect(error.rawMessage).toBe("try later");
      expect(error.metadata.get("grpc-retry-pushback-ms")).toBe("150");
    },
  );

  test("reset-request on an established connection: ABORTED, and the service never saw it", async () => {
    await warmUp();
    proxy.reset();
    proxy.plan(() => ({ kind: "reset-request" }));
    const scope = { test: randomUUID() };
    const error = await failure(client.createSession({ scope }, { timeoutMs: 5000 }));
    expect(codeOf(error)).toBe("Aborted");
    expect(error.rawMessage).toBe("read ECONNRESET");
    expect(proxy.attempts).toHaveLength(1);
    expect(await storedWith(scope)).toBe(0);
  });

  test("reset-request as the first call of a connection", async () => {
    const fresh = t.create(proxy.url);
    try {
      proxy.plan(() => ({ kind: "reset-request" }));
      const scope = { test: randomUUID() };
      const freshClient = createClient(SessionsService, fresh.transport);
      const error = await failure(freshClient.createSession({ scope }, { timeoutMs: 5000 }));
      // Over HTTP/2, Node closes the stream with CANCEL when a brand-new connection drops, and
      // connect-node reports that as CANCELED although nobody cancelled.
      if (t.httpVersion === "2") {
        expect(codeOf(error)).toBe("Canceled");
        expect(error.rawMessage).toBe("http/2 stream closed with error code CANCEL (0x8)");
      } else {
        expect(codeOf(error)).toBe("Aborted");
        expect(error.rawMessage).toBe("read ECONNRESET");
      }
      expect(await storedWith(scope)).toBe(0);
    } finally {
      fresh.close();
    }
  });

  test.runIf(t.httpVersion === "2")(
    "reset-request with RST_STREAM REFUSED_STREAM is INTERNAL (HTTP/2 only, skipped on HTTP/1.1)",
    async () => {
      proxy.plan(() => ({
        kind: "reset-request",
        rstStream: http2.constants.NGHTTP2_REFUSED_STREAM,
      }));
      const scope = { test: randomUUID() };
      const error = await failure(client.createSession({ scope }, { timeoutMs: 5000 }));
      expect(codeOf(error)).toBe("Internal");
      expect(error.rawMessage).toBe("Stream closed with error code NGHTTP2_REFUSED_STREAM");
      expect(await storedWith(scope)).toBe(0);
    },
  );

  test("reset-response: ABORTED, although the service did process the call", async () => {
    proxy.plan(() => ({ kind: "reset-response" }));
    const scope = { test: randomUUID() };
    const error = await failure(client.createSession({ scope }, { timeoutMs: 5000 }));
    expect(codeOf(error)).toBe("Aborted");
    expect(error.rawMessage).toBe("read ECONNRESET");
    expect(await storedWith(scope)).toBe(1);
  });

  test("stall: the call's own deadline ends it with DEADLINE_EXCEEDED", async () => {
    proxy.plan(() => ({ kind: "stall" }));
    const started = performance.now();
    const error = await failure(client.createSession({}, { timeoutMs: 300 }));
    const elapsed = performance.now() - started;
    expect(codeOf(error)).toBe("DeadlineExceeded");
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1500);
  });

  test("delay, then forward", async () => {
    proxy.plan(() => ({ kind: "delay", ms: 100, fault: { kind: "forward" } }));
    const started = performance.now();
    const scope = { test: randomUUID() };
    await client.createSession({ scope }, { timeoutMs: 5000 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(await storedWith(scope)).toBe(1);
    expect(proxy.attempts.map((a) => a.fault)).toEqual(["delay"]);
  });

  test("failFirst fails the first attempts to that method only, then forwards", async () => {
    proxy.failFirst(
      [
        { kind: "status", status: 503, headers: { "retry-after": "0" } },
        { kind: "status", status: 503, headers: { "retry-after": "0" } },
      ],
      "CreateSession",
    );
    const scope = { test: randomUUID() };
    const first = await failure(client.createSession({ scope }, { timeoutMs: 5000 }));
    // Other methods are forwarded and do not use up the faults.
    await client.listSessions({ scope }, { timeoutMs: 5000 });
    const second = await failure(client.createSession({ scope }, { timeoutMs: 5000 }));
    await client.createSession({ scope }, { timeoutMs: 5000 });
    expect([codeOf(first), codeOf(second)]).toEqual(["Unavailable", "Unavailable"]);
    expect(proxy.attemptsFor("CreateSession").map((a) => a.fault)).toEqual([
      "status",
      "status",
      "forward",
    ]);
    expect(proxy.attempts.map((a) => a.index)).toEqual([0, 1, 2, 3]);
    expect(await storedWith(scope)).toBe(1);
  });
});

describe("the proxy's own lifecycle", () => {
  test("answers 502 when the upstream is down", async () => {
    const gone = await startFaultProxy("http://127.0.0.1:1");
    const made = [transports[0], transports[2]].map((t) => t?.create(gone.url));
    try {
      for (const m of made) {
        if (!m) continue;
        const error = await failure(
          createClient(SessionsService, m.transport).listSessions({}, { timeoutMs: 5000 }),
        );
        expect(codeOf(error)).toBe("Unavailable");
        expect(error.rawMessage).toBe("HTTP 502");
      }
      expect(gone.attempts.map((a) => a.httpVersion)).toEqual(["1.1", "2"]);
    } finally {
      for (const m of made) m?.close();
      await gone.close();
    }
  });

  test("close() resolves quickly with stalled calls and open HTTP/2 sessions", async () => {
    const own = await startFaultProxy(services.sessionsUrl);
    const made = transports.map((t) => t.create(own.url));
    try {
      const clients = made.map((m) => createClient(SessionsService, m.transport));
      // Every transport has a connection open; then each sends a call that the proxy never answers.
      await Promise.all(clients.map((c) => c.listSessions({}, { timeoutMs: 5000 })));
      own.plan(() => ({ kind: "stall" }));
      const stalled = clients.map((c) =>
        c.createSession({}, { timeoutMs: 10_000 }).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      await vi.waitFor(() => expect(own.attemptsFor("CreateSession")).toHaveLength(3));

      const started = performance.now();
      await own.close();
      expect(performance.now() - started).toBeLessThan(500);
      for (const outcome of await Promise.all(stalled)) {
        expect(outcome).toBeInstanceOf(ConnectError);
      }
      await own.close(); // Twice is fine.
    } finally {
      for (const m of made) m.close();
    }
  });
});
