// The metrics of calls, read back from a meter provider of the test's own.
import { createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { createObservability } from "../../../src/policy/observability/index.js";
import { inMemorySdk, type Point, retryOnceOnUnavailable, sessionsInMemory } from "./fixtures.js";

const labels = (code: string) => ({
  service: "contextiq.sessions.v1.SessionsService",
  method: "GetSession",
  code,
  transport: "json",
});

/** The value of each point, keyed by its `code` attribute. */
const byCode = (points: Point[]) =>
  Object.fromEntries(points.map((p) => [String(p.attributes["code"]), p.value]));

describe("the metrics of calls", () => {
  it("count calls, attempts and retries by outcome, and time whole calls", async () => {
    const sdk = inMemorySdk();
    const obs = createObservability({
      transport: "json",
      openTelemetry: { tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider },
    });
    if (!obs) throw new Error("expected interceptors");
    const { transport, failFlaky } = sessionsInMemory([
      obs.call,
      retryOnceOnUnavailable,
      obs.attempt,
    ]);
    const client = createClient(SessionsService, transport);

    await client.getSession({ id: "s1" });
    await expect(client.getSession({ id: "missing" })).rejects.toThrow();
    failFlaky(1);
    await client.getSession({ id: "flaky" });

    const calls = await sdk.points("rpc.client.calls");
    expect(calls.map((p) => p.attributes)).toEqual([labels("ok"), labels("not_found")]);
    expect(byCode(calls)).toEqual({ ok: 2, not_found: 1 });
    expect(byCode(await sdk.points("rpc.client.attempts"))).toEqual({
      ok: 2,
      not_found: 1,
      unavailable: 1,
    });
    // Only the flaky call's second attempt was a retry, and it succeeded.
    expect(byCode(await sdk.points("rpc.client.retries"))).toEqual({ ok: 1 });

    const durations = byCode(await sdk.points("rpc.client.duration"));
    expect(durations["ok"]).toMatchObject({ count: 2 });
    expect(durations["not_found"]).toMatchObject({ count: 1 });
  });
});
