// The circuit breaker and the retry budget of a client, against the real services behind a fault
// proxy that counts what reaches the wire.
import { setTimeout as sleep } from "node:timers/promises";
import { beforeEach, describe, expect, it } from "vitest";
import {
  type ClientOptions,
  Code,
  ServiceUnavailableError,
  SessionsServiceClient,
} from "../../src/index.js";
import { RetryBudget } from "../../src/policy/retry-budget.js";
import { rejection } from "../support/errors.js";
import { useProxiedServices } from "../support/proxied-services.js";

const unknownId = "00000000-0000-4000-8000-000000000000";
const { sessionsProxy: proxy } = useProxiedServices();

describe("the circuit breaker", () => {
  const events: string[] = [];
  const client = (options: ClientOptions = {}) =>
    new SessionsServiceClient({
      baseUrl: proxy().url,
      maxRetries: 0,
      env: {},
      circuitBreaker: {
        windowSize: 10,
        minimumAttempts: 5,
        halfOpenAfterMs: 300,
        onBreak: () => events.push("break"),
        onReset: () => events.push("reset"),
      },
      ...options,
    });
  beforeEach(() => {
    events.length = 0;
  });

  /** Fails five calls so that the circuit opens. */
  async function trip(sessions: SessionsServiceClient) {
    proxy().plan(() => ({ kind: "status", status: 503 }));
    for (let i = 0; i < 5; i++) await rejection(sessions.getSession(unknownId), Code.Unavailable);
  }

  it("opens after sustained failure, then fails fast without touching the network", async () => {
    await using sessions = client();
    await trip(sessions);
    expect(events).toEqual(["break"]);
    const error = await rejection(sessions.getSession(unknownId), Code.Unavailable);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ reason: "circuit-open", attempts: 0 });
    expect(error.rawMessage).toMatch(
      /the circuit is open .* lets a probe call through in \d+ ms; last failure: HTTP 503$/,
    );
    expect(proxy().attempts).toHaveLength(5);
  });

  it("lets one probe through when half-open, failing the others fast, and closes on its success", async () => {
    await using sessions = client();
    await trip(sessions);
    proxy().reset();
    await sleep(320);
    const results = await Promise.allSettled([
      sessions.getSession(unknownId),
      sessions.getSession(unknownId),
      sessions.getSession(unknownId),
    ]);
    expect(proxy().attempts).toHaveLength(1);
    const reasons = results.map((r) =>
      r.status === "rejected"
        ? ((r.reason as ServiceUnavailableError).reason ?? Code[(r.reason as { code: Code }).code])
        : "ok",
    );
    expect(reasons.sort()).toEqual(["NotFound", "circuit-open", "circuit-open"]);
    expect(events).toEqual(["break", "reset"]);
    await rejection(sessions.getSession(unknownId), Code.NotFound);
    expect(proxy().attempts).toHaveLength(2);
  });

  it("opens again when the probe fails", async () => {
    await using sessions = client();
    await trip(sessions);
    await sleep(320);
    await rejection(sessions.getSession(unknownId), Code.Unavailable);
    const error = await rejection(sessions.getSession(unknownId), Code.Unavailable);
    expect((error as ServiceUnavailableError).reason).toBe("circuit-open");
    expect(events).toEqual(["break", "break"]);
  });

  it("opens again when the probe times out on a stalled service", async () => {
    await using sessions = client();
    await trip(sessions);
    await sleep(320);
    proxy().plan(() => ({ kind: "stall" }));
    await rejection(sessions.getSession(unknownId, { timeoutMs: 200 }), Code.DeadlineExceeded);
    const error = await rejection(sessions.getSession(unknownId), Code.Unavailable);
    expect((error as ServiceUnavailableError).reason).toBe("circuit-open");
    expect(events).toEqual(["break", "break"]);
  });

  it("does not count answers about the request, such as NOT_FOUND, against the service", async () => {
    await using sessions = client();
    for (let i = 0; i < 12; i++) await rejection(sessions.getSession(unknownId), Code.NotFound);
    expect(events).toEqual([]);
    expect(proxy().attempts).toHaveLength(12);
  });

  it("counts one broken HTTP/2 connection once, however many calls it carried", async () => {
    await using sessions = client({
      transport: "grpc",
      maxRetries: 3,
      retryDelayMs: 20,
      circuitBreaker: {},
    });
    const session = await sessions.createSession({ ttlSeconds: 86_400 });
    let seen = 0;
    // 31 calls held on one connection, then the 32nd breaks it under all of them.
    proxy().plan(() =>
      ++seen === 32
        ? { kind: "reset-request", after: "headers" }
        : seen < 32
          ? { kind: "delay", ms: 200, fault: { kind: "forward" } }
          : { kind: "forward" },
    );
    const results = await Promise.allSettled(
      Array.from({ length: 32 }, (_, i) =>
        sessions.createEvent({ sessionId: session.id, eventType: "burst", data: { i } }),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(events).toEqual([]);
  });

  it("stops the retries of a call once it opens", async () => {
    await using sessions = client({ maxRetries: 10, retryDelayMs: 1 });
    proxy().plan(() => ({ kind: "status", status: 503 }));
    const error = await rejection(sessions.getSession(unknownId), Code.Unavailable);
    expect(error).toMatchObject({ reason: "circuit-open", attempts: 5 });
    expect(proxy().attempts).toHaveLength(5);
  });
});

describe("the retry budget", () => {
  it("stops retrying once failures spent half the tokens, and earns them back with successes", async () => {
    await using sessions = new SessionsServiceClient({
      baseUrl: proxy().url,
      maxRetries: 10,
      retryDelayMs: 1,
      circuitBreaker: false,
      retryBudget: { maxTokens: 4, tokenRatio: 1 },
      env: {},
    });
    proxy().plan(() => ({ kind: "status", status: 503 }));
    const first = await rejection(sessions.getSession(unknownId), Code.Unavailable);
    expect(first).toMatchObject({ reason: "retry-budget", attempts: 2 });
    const second = await rejection(sessions.getSession(unknownId), Code.Unavailable);
    expect(second).toMatchObject({ reason: "retry-budget", attempts: 1 });
    expect(proxy().attempts).toHaveLength(3);
    proxy().reset();
    for (let i = 0; i < 3; i++) await sessions.createSession();
    proxy().failFirst([{ kind: "status", status: 503 }], "GetSession");
    await rejection(sessions.getSession(unknownId), Code.NotFound);
    expect(proxy().attemptsFor("GetSession")).toHaveLength(2);
  });

  it("allows retries while more than half its tokens remain", () => {
    const budget = new RetryBudget({ maxTokens: 10, tokenRatio: 0.5 });
    for (let i = 0; i < 4; i++) budget.failed();
    expect(budget.allowsRetry()).toBe(true);
    budget.failed();
    expect(budget.allowsRetry()).toBe(false);
    budget.succeeded();
    expect(budget.allowsRetry()).toBe(true);
  });
});
