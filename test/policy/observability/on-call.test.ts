// The plain hook, and when the interceptors are left out altogether.
import { Code, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import {
  type CallEvent,
  createObservability,
} from "../../../src/policy/observability/create-observability.js";
import { observabilityWith } from "../../../src/policy/observability/observability-with.js";
import { retryOnceOnUnavailable, sessionsInMemory } from "./fixtures.js";

afterEach(() => {
  vi.restoreAllMocks();
});

function clientReporting(options: { onCall: (event: CallEvent) => void; otel?: boolean }) {
  // Without OpenTelemetry, as for users who have not installed it.
  const obs =
    options.otel === true
      ? createObservability({ transport: "json", onCall: options.onCall })
      : observabilityWith(undefined, { transport: "json", onCall: options.onCall });
  if (!obs) throw new Error("expected interceptors: onCall is set");
  const service = sessionsInMemory([obs.call, retryOnceOnUnavailable, obs.attempt]);
  return { ...service, client: createClient(SessionsService, service.transport) };
}

describe("onCall", () => {
  it("reports each logical call once, with its outcome and attempts", async () => {
    const events: CallEvent[] = [];
    const { client, failFlaky } = clientReporting({ onCall: (e) => events.push(e) });
    await client.getSession({ id: "s1" });
    await expect(client.getSession({ id: "missing" })).rejects.toThrow();
    failFlaky(1);
    await client.getSession({ id: "flaky" });

    const names = { service: "contextiq.sessions.v1.SessionsService", method: "GetSession" };
    expect(events).toEqual([
      { ...names, transport: "json", code: undefined, durationMs: expect.any(Number), attempts: 1 },
      {
        ...names,
        transport: "json",
        code: Code.NotFound,
        durationMs: expect.any(Number),
        attempts: 1,
      },
      { ...names, transport: "json", code: undefined, durationMs: expect.any(Number), attempts: 2 },
    ]);
    for (const event of events) expect(event.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("is called alongside OpenTelemetry too", async () => {
    const onCall = vi.fn();
    const { client } = clientReporting({ onCall, otel: true });
    await client.getSession({ id: "s1" });

    expect(onCall).toHaveBeenCalledOnce();
  });

  it("cannot fail a call by throwing, and its errors are logged once", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const { client } = clientReporting({
      onCall: () => {
        throw new Error("hook bug");
      },
    });

    await expect(client.getSession({ id: "s1" })).resolves.toMatchObject({ session: { id: "s1" } });
    await expect(client.getSession({ id: "missing" })).rejects.toThrow("no such session");
    expect(logged).toHaveBeenCalledOnce();
  });
});

describe("nothing to do", () => {
  it("gives no interceptors without onCall when OpenTelemetry is off", () => {
    expect(createObservability({ transport: "grpc", openTelemetry: false })).toBeUndefined();
  });

  it("gives no interceptors without onCall when @opentelemetry/api is not installed", () => {
    expect(observabilityWith(undefined, { transport: "grpc" })).toBeUndefined();
  });

  it("gives interceptors when @opentelemetry/api is installed, even without onCall", () => {
    expect(createObservability({ transport: "grpc" })).toBeDefined();
  });
});
