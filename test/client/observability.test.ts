// The clients' observability, wired in: one span and one onCall event per logical call with its
// attempts, metrics, and the W3C trace context on the wire, over the real services.
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { describe, expect, it } from "vitest";
import { type CallEvent, Code, SessionsServiceClient } from "../../src/index.js";
import { inMemorySdk } from "../policy/observability/fixtures.js";
import { clientTransports } from "../support/client-transports.js";
import { rejection } from "../support/errors.js";
import { useProxiedServices } from "../support/proxied-services.js";

const { sessionsProxy: proxy } = useProxiedServices();

describe.each(clientTransports)("observability over %s", (_, transport) => {
  it("reports a retried call once, with its attempts, in onCall, a span and metrics", async () => {
    const sdk = inMemorySdk();
    const calls: CallEvent[] = [];
    await using sessions = new SessionsServiceClient({
      ...transport,
      baseUrl: proxy().url,
      retryDelayMs: 1,
      onCall: (event) => calls.push(event),
      openTelemetry: { ...sdk, propagator: new W3CTraceContextPropagator() },
      env: {},
    });
    const unavailable =
      transport.transport === "grpc"
        ? ({ kind: "grpc-status", code: 14 } as const)
        : ({ kind: "status", status: 503 } as const);
    proxy().failFirst([unavailable], "CreateSession");
    await sessions.createSession({ title: "observed" });
    await rejection(sessions.getSession("00000000-0000-4000-8000-000000000000"), Code.NotFound);

    expect(calls.map((c) => [c.method, c.attempts, c.code, c.transport])).toEqual([
      ["CreateSession", 2, undefined, transport.transport],
      ["GetSession", 1, Code.NotFound, transport.transport],
    ]);
    const [create, get] = sdk.spans();
    expect(create?.name).toBe("contextiq.sessions.v1.SessionsService/CreateSession");
    expect(create?.events.map((e) => e.attributes?.["code"])).toEqual(["unavailable", "ok"]);
    expect(get?.status.code).toBe(2);
    // Each attempt carried the call's trace context to the server.
    const traceIds = proxy().attempts.map((a) => a.headers["traceparent"]?.split("-")[1]);
    expect(traceIds).toEqual([
      create?.spanContext().traceId,
      create?.spanContext().traceId,
      get?.spanContext().traceId,
    ]);
    const calledPoints = await sdk.points("rpc.client.calls");
    expect(
      calledPoints.map((p) => [p.attributes["method"], p.attributes["code"], p.value]),
    ).toEqual(
      expect.arrayContaining([
        ["CreateSession", "ok", 1],
        ["GetSession", "not_found", 1],
      ]),
    );
  });
});
