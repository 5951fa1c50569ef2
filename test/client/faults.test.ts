// The clients' retries, deadlines and errors under injected faults, with the attempts counted at
// a proxy between the client and the real services, over every transport.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ClientOptions,
  Code,
  type GiveUpEvent,
  type RetryEvent,
  requestIdOf,
  ServiceUnavailableError,
  SessionsServiceClient,
} from "../../src/index.js";
import { readTimeoutMs } from "../../src/policy/deadline-header.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { clientTransports } from "../support/client-transports.js";
import { closedPort } from "../support/closed-port.js";
import { rejection } from "../support/errors.js";
import { type Fault, type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";

// A transient failure as each protocol carries it: an HTTP 503, or a gRPC UNAVAILABLE status.
const transports = clientTransports.map(
  ([name, options]) =>
    [
      name,
      options,
      options.transport === "grpc"
        ? { kind: "grpc-status", code: 14, message: "overloaded" }
        : { kind: "status", status: 503 },
    ] as [string, typeof options, Fault],
);
const unknownId = "00000000-0000-4000-8000-000000000000";

let services: RunningServices;
let proxy: FaultProxy;
let direct: SessionsServiceClient;
beforeAll(async () => {
  services = await startServices();
  proxy = await startFaultProxy(services.sessionsUrl);
  direct = new SessionsServiceClient({ baseUrl: services.sessionsUrl, env: {} });
});
afterAll(async () => {
  await direct.close();
  await proxy.close();
  await services.close();
});

describe.each(transports)("retries over %s", (_, transport, unavailable) => {
  const retries: RetryEvent[] = [];
  const giveUps: GiveUpEvent[] = [];
  const client = (options: ClientOptions = {}) =>
    new SessionsServiceClient({
      ...transport,
      baseUrl: proxy.url,
      retryDelayMs: 20,
      onRetry: (e) => retries.push(e),
      onGiveUp: (e) => giveUps.push(e),
      env: {},
      ...options,
    });
  beforeEach(() => {
    proxy.reset();
    retries.length = 0;
    giveUps.length = 0;
  });

  it("retries UNAVAILABLE and succeeds on the third attempt", async () => {
    await using sessions = client();
    proxy.failFirst([unavailable, unavailable], "CreateSession");
    const session = await sessions.createSession({ title: "third time" });
    expect(session.title).toBe("third time");
    expect(proxy.attemptsFor("CreateSession")).toHaveLength(3);
    expect(retries.map((r) => [r.method, r.attempt, r.error.code])).toEqual([
      ["CreateSession", 1, Code.Unavailable],
      ["CreateSession", 2, Code.Unavailable],
    ]);
  });

  it("does not retry NOT_FOUND or INVALID_ARGUMENT", async () => {
    await using sessions = client();
    await rejection(sessions.getSession(unknownId), Code.NotFound);
    await rejection(sessions.createSession({ title: "x".repeat(501) }), Code.InvalidArgument);
    expect(proxy.attempts.map((a) => a.path.split("/").at(-1))).toEqual([
      "GetSession",
      "CreateSession",
    ]);
    expect(retries).toEqual([]);
  });

  it("raises ServiceUnavailableError after maxRetries + 1 attempts", async () => {
    await using sessions = client({ maxRetries: 2 });
    proxy.plan(() => unavailable);
    const error = await rejection(sessions.getSession(unknownId), Code.Unavailable);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ attempts: 3, service: "contextiq.sessions.v1.SessionsService" });
    expect(error.rawMessage).toMatch(
      /^Service at http:\/\/127\.0\.0\.1:\d+\/\S+ is unavailable after 3 attempts/,
    );
    expect(proxy.attemptsFor("GetSession")).toHaveLength(3);
    expect(giveUps.map((g) => g.attempts)).toEqual([3]);
  });

  it("backs off exponentially with jitter, each wait between d/2 and d", async () => {
    await using sessions = client({ maxRetries: 4, retryDelayMs: 40 });
    proxy.failFirst([unavailable, unavailable, unavailable, unavailable], "GetSession");
    await rejection(sessions.getSession(unknownId), Code.NotFound);
    const delays = retries.map((r) => r.delayMs);
    expect(delays).toHaveLength(4);
    delays.forEach((delay, i) => {
      const d = 40 * 2 ** i;
      expect(delay).toBeGreaterThanOrEqual(d / 2);
      expect(delay).toBeLessThan(d);
    });
    const arrivals = proxy.attemptsFor("GetSession").map((a) => a.receivedAtMs);
    arrivals.slice(1).forEach((at, i) => {
      expect(at - (arrivals[i] ?? 0)).toBeGreaterThanOrEqual((delays[i] ?? 0) - 1);
    });
  });

  it("sends each attempt the time that remains of one deadline", async () => {
    await using sessions = client({ timeoutMs: 3000 });
    proxy.failFirst([{ kind: "delay", ms: 400, fault: unavailable }], "GetSession");
    await rejection(sessions.getSession(unknownId), Code.NotFound);
    const [first, second] = proxy
      .attemptsFor("GetSession")
      .map((a) => readTimeoutMs(new Headers(a.headers)));
    expect(first).toBeGreaterThan(2900);
    expect(first).toBeLessThanOrEqual(3000);
    expect(second).toBeLessThan((first ?? 0) - 400);
    expect(second).toBeGreaterThan(2000);
  });

  it("spans every page of a list with one deadline, each page sent the time that remains", async () => {
    await using sessions = client({ timeoutMs: 3000 });
    const session = await direct.createSession({ title: "paged" });
    for (const eventType of ["a", "b", "c"]) {
      await direct.createEvent({ sessionId: session.id, eventType });
    }
    proxy.failFirst([{ kind: "delay", ms: 400, fault: { kind: "forward" } }], "ListEvents");
    const events = await sessions.listEvents(session.id, { pageSize: 1 });
    expect(events.map((e) => e.eventType)).toEqual(["a", "b", "c"]);
    const [first = 0, second = 0, third = 0] = proxy
      .attemptsFor("ListEvents")
      .map((a) => readTimeoutMs(new Headers(a.headers)) ?? 0);
    expect(first).toBeGreaterThan(2900);
    expect(first).toBeLessThanOrEqual(3000);
    expect(second).toBeLessThan(first - 400);
    expect(third).toBeGreaterThan(0);
    expect(third).toBeLessThanOrEqual(second);
  });

  it("fails with DEADLINE_EXCEEDED within its deadline when the service stalls", async () => {
    await using sessions = client({ timeoutMs: 400 });
    proxy.plan(() => ({ kind: "stall" }));
    const started = performance.now();
    await rejection(sessions.getSession(unknownId), Code.DeadlineExceeded);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(390);
    // Slack for a loaded machine (the chaos suite may run beside this file).
    expect(elapsed).toBeLessThan(400 + 500);
    expect(retries).toEqual([]);
  });

  it("never waits past the deadline: a pushback longer than what remains ends the call at once", async () => {
    await using sessions = client({ timeoutMs: 1000 });
    const pushedBack: Fault =
      unavailable.kind === "grpc-status"
        ? { ...unavailable, trailers: { "grpc-retry-pushback-ms": "5000" } }
        : { kind: "status", status: 503, headers: { "retry-after": "5" } };
    proxy.plan(() => pushedBack);
    const started = performance.now();
    const error = await rejection(sessions.getSession(unknownId), Code.DeadlineExceeded);
    expect(performance.now() - started).toBeLessThan(500);
    expect(error.rawMessage).toContain("gave up after 1 attempt");
    expect(proxy.attemptsFor("GetSession")).toHaveLength(1);
  });

  it("waits at least as long as the server's pushback", async () => {
    await using sessions = client();
    const pushedBack: Fault =
      unavailable.kind === "grpc-status"
        ? { ...unavailable, trailers: { "grpc-retry-pushback-ms": "300" } }
        : { kind: "status", status: 503, headers: { "retry-after": "1" } };
    const wait = unavailable.kind === "grpc-status" ? 300 : 1000;
    proxy.failFirst([pushedBack], "GetSession");
    await rejection(sessions.getSession(unknownId), Code.NotFound);
    const [first, second] = proxy.attemptsFor("GetSession").map((a) => a.receivedAtMs);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(wait - 5);
    expect(retries[0]?.delayMs).toBe(wait);
  });

  it("retries RESOURCE_EXHAUSTED only when the server pushed back", async () => {
    await using sessions = client();
    const exhausted = (pushback?: string): Fault =>
      unavailable.kind === "grpc-status"
        ? {
            kind: "grpc-status",
            code: 8,
            trailers: pushback ? { "grpc-retry-pushback-ms": pushback } : {},
          }
        : {
            kind: "status",
            status: 429,
            headers: {
              "content-type": "application/json",
              ...(pushback ? { "retry-after": "0" } : {}),
            },
            body: '{"code":"resource_exhausted","message":"slow down"}',
          };
    proxy.failFirst([exhausted()], "GetSession");
    await rejection(sessions.getSession(unknownId), Code.ResourceExhausted);
    expect(proxy.attemptsFor("GetSession")).toHaveLength(1);
    proxy.reset();
    proxy.failFirst([exhausted("0")], "GetSession");
    await rejection(sessions.getSession(unknownId), Code.NotFound);
    expect(proxy.attemptsFor("GetSession")).toHaveLength(2);
  });

  it("retries a read whose connection was reset before the server saw it", async () => {
    await using sessions = client();
    proxy.failFirst([{ kind: "reset-request" }], "GetSession");
    await rejection(sessions.getSession(unknownId), Code.NotFound);
    expect(proxy.attemptsFor("GetSession")).toHaveLength(2);
    expect(retries[0]?.error.code).not.toBe(Code.NotFound);
  });

  it("stores a create once when its response was lost to a reset and it was retried", async () => {
    await using sessions = client();
    const session = await direct.createSession({ scope: { test: "reset-response" } });
    proxy.failFirst([{ kind: "reset-response" }], "CreateEvent");
    const event = await sessions.createEvent({
      sessionId: session.id,
      eventType: "message",
      inputTokens: 5,
    });
    expect(proxy.attemptsFor("CreateEvent")).toHaveLength(2);
    const events = await direct.listEvents(session.id);
    expect(events.map((e) => e.id)).toEqual([event.id]);
    expect(await direct.getSession(session.id)).toMatchObject({
      eventCount: 1,
      totalInputTokens: 5n,
    });
  });

  it("names the request_id of a failed create, so that calling it again stores it once", async () => {
    await using sessions = client({ maxRetries: 0 });
    const session = await direct.createSession({ scope: { test: "request-id-of" } });
    proxy.failFirst([{ kind: "reset-response" }], "CreateEvent");
    const fields = { sessionId: session.id, eventType: "message" };
    const error = await rejection(sessions.createEvent(fields), Code.Unavailable);
    const requestId = requestIdOf(error);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await sessions.createEvent({ ...fields, requestId });
    expect(await direct.listEvents(session.id)).toHaveLength(1);
    expect(requestIdOf(new Error("other"))).toBeUndefined();
  });

  it("sends nothing for a call whose signal is already aborted", async () => {
    await using sessions = client();
    const controller = new AbortController();
    controller.abort();
    await rejection(sessions.createSession({}, { signal: controller.signal }), Code.Canceled);
    expect(proxy.attempts).toHaveLength(0);
  });

  it("lets go of each failed attempt's connection: 100 failures in a row do not exhaust the pool", async () => {
    await using sessions = client({ maxRetries: 0, circuitBreaker: false, timeoutMs: 2_000 });
    // A proxy's error page: a body that connect never reads.
    proxy.plan(() => ({
      kind: "status",
      status: 503,
      headers: { "content-type": "text/plain" },
      body: "service overloaded, try later",
    }));
    for (let i = 0; i < 100; i++) {
      const error = await rejection(sessions.getSession(unknownId), Code.Unavailable);
      expect(error.rawMessage, `call ${i}`).toContain("HTTP 503");
    }
  });

  it("does not retry a caller's cancel", async () => {
    await using sessions = client();
    proxy.plan(() => ({ kind: "stall" }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await rejection(sessions.getSession(unknownId, { signal: controller.signal }), Code.Canceled);
    expect(proxy.attemptsFor("GetSession")).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it("retries a refused connection, then raises ServiceUnavailableError", async () => {
    const port = await closedPort();
    await using sessions = client({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2 });
    const error = await rejection(sessions.getSession(unknownId), Code.Unavailable);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).attempts).toBe(3);
    expect(retries).toHaveLength(2);
  });
});
