// Without providers given, the interceptors follow OpenTelemetry's globals, including an SDK
// registered after the client was made (as happens when clients are made at import time).
// Globals: this file alone registers them (vitest isolates files), and clears them after.
import { createClient } from "@connectrpc/connect";
import { metrics, propagation, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { afterEach, describe, expect, it } from "vitest";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { createObservability } from "../../../src/policy/observability/index.js";
import { inMemorySdk, sessionsInMemory } from "./fixtures.js";

afterEach(() => {
  trace.disable();
  metrics.disable();
  propagation.disable();
});

describe("with the global providers", () => {
  it("records nothing and sends no trace context while no SDK is registered", async () => {
    const obs = createObservability({ transport: "grpc" });
    if (!obs) throw new Error("expected interceptors: @opentelemetry/api is installed");
    const { transport, received } = sessionsInMemory([obs.call, obs.attempt]);
    await createClient(SessionsService, transport).getSession({ id: "s1" });

    expect(received[0]?.has("traceparent")).toBe(false);
  });

  it("picks up an SDK registered after the interceptors were made", async () => {
    const obs = createObservability({ transport: "grpc" });
    if (!obs) throw new Error("expected interceptors");
    const { transport, received } = sessionsInMemory([obs.call, obs.attempt]);
    const client = createClient(SessionsService, transport);
    await client.getSession({ id: "before" });

    const sdk = inMemorySdk();
    trace.setGlobalTracerProvider(sdk.tracerProvider);
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    await client.getSession({ id: "after" });

    expect(sdk.spans().map((s) => s.name)).toEqual([
      "contextiq.sessions.v1.SessionsService/GetSession",
    ]);
    const calls = await sdk.points("rpc.client.calls");
    expect(calls.map((p) => p.value)).toEqual([1]);
    const traceId = sdk.spans()[0]?.spanContext().traceId;
    expect(received[1]?.get("traceparent")).toContain(`-${traceId}-`);
  });
});
