// The spans of calls, one per logical call with an event per attempt, and the trace context each
// attempt sends, over an in-memory Sessions service.
import { createClient, createContextValues, type Interceptor } from "@connectrpc/connect";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { createObservability } from "../../../src/policy/observability/index.js";
import { inMemorySdk, retryOnceOnUnavailable, sessionsInMemory } from "./fixtures.js";

function setUp(transport: "grpc" | "json", between: Interceptor[] = []) {
  const sdk = inMemorySdk();
  const obs = createObservability({
    transport,
    openTelemetry: {
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
      propagator: new W3CTraceContextPropagator(),
    },
  });
  if (!obs) throw new Error("expected interceptors: @opentelemetry/api is installed");
  const service = sessionsInMemory([obs.call, ...between, obs.attempt]);
  return { ...sdk, ...service, client: createClient(SessionsService, service.transport) };
}

describe("the span of a call", () => {
  it("is a CLIENT span named <service>/<method> with the RPC attributes", async () => {
    const { client, spans } = setUp("grpc");
    await client.getSession({ id: "s1" });

    expect(spans()).toHaveLength(1);
    const [span] = spans();
    expect(span?.name).toBe("contextiq.sessions.v1.SessionsService/GetSession");
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes).toEqual({
      "rpc.system": "grpc",
      "rpc.service": "contextiq.sessions.v1.SessionsService",
      "rpc.method": "GetSession",
      // createRouterTransport's base URL is "https://in-memory".
      "server.address": "in-memory",
      "server.port": 443,
      "rpc.grpc.status_code": 0,
    });
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("ends in ERROR with the gRPC status code when the call fails (grpc)", async () => {
    const { client, spans } = setUp("grpc");
    await expect(client.getSession({ id: "missing" })).rejects.toThrow("no such session");

    const [span] = spans();
    expect(span?.attributes["rpc.grpc.status_code"]).toBe(5);
    expect(span?.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: "[not_found] no such session",
    });
  });

  it("is a connect_rpc span with the error code as a string (json)", async () => {
    const { client, spans } = setUp("json");
    await client.getSession({ id: "s1" });
    await expect(client.getSession({ id: "missing" })).rejects.toThrow("no such session");

    const [ok, failed] = spans();
    expect(ok?.attributes["rpc.system"]).toBe("connect_rpc");
    expect(ok?.attributes).not.toHaveProperty("rpc.connect_rpc.error_code");
    expect(ok?.attributes).not.toHaveProperty("rpc.grpc.status_code");
    expect(ok?.status.code).toBe(SpanStatusCode.UNSET);
    expect(failed?.attributes["rpc.connect_rpc.error_code"]).toBe("not_found");
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("covers all attempts, with an event for each and its outcome", async () => {
    const { client, spans, failFlaky, received } = setUp("grpc", [retryOnceOnUnavailable]);
    failFlaky(1);
    await client.getSession({ id: "flaky" });

    expect(received).toHaveLength(2);
    expect(spans()).toHaveLength(1);
    const [span] = spans();
    expect(span?.attributes["rpc.grpc.status_code"]).toBe(0);
    expect(span?.events.map((e) => [e.name, e.attributes])).toEqual([
      ["attempt", { attempt: 1, code: "unavailable" }],
      ["attempt", { attempt: 2, code: "ok" }],
    ]);
  });

  it("keeps concurrent calls apart even when they share the caller's contextValues", async () => {
    const { client, spans, failFlaky } = setUp("grpc", [retryOnceOnUnavailable]);
    failFlaky(1);
    const contextValues = createContextValues();
    await Promise.all([
      client.getSession({ id: "flaky" }, { contextValues }),
      client.getSession({ id: "steady" }, { contextValues }),
    ]);

    const attempts = spans().map((s) => s.events.length);
    expect(attempts.sort()).toEqual([1, 2]);
  });
});

describe("the trace context of attempts", () => {
  it("sends traceparent with the call's span on each attempt", async () => {
    const { client, spans, failFlaky, received } = setUp("grpc", [retryOnceOnUnavailable]);
    failFlaky(1);
    await client.getSession({ id: "flaky" });

    const [span] = spans();
    const { traceId, spanId } = span?.spanContext() ?? {};
    expect(received.map((h) => h.get("traceparent"))).toEqual([
      `00-${traceId}-${spanId}-01`,
      `00-${traceId}-${spanId}-01`,
    ]);
  });
});

describe("with a context manager", () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => {
    context.disable();
  });

  it("makes the call's span a child of the active span, and active below it", async () => {
    let activeBelow: string | undefined;
    const spy: Interceptor = (next) => (req) => {
      activeBelow = trace.getActiveSpan()?.spanContext().spanId;
      return next(req);
    };
    const { client, spans, tracerProvider } = setUp("grpc", [spy]);
    const parent = tracerProvider.getTracer("test").startSpan("parent");
    await context.with(trace.setSpan(context.active(), parent), () =>
      client.getSession({ id: "s1" }),
    );
    parent.end();

    const call = spans().find((s) => s.name.endsWith("/GetSession"));
    expect(call?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(call?.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(activeBelow).toBe(call?.spanContext().spanId);
  });
});
