// One call over a real gRPC connection to the reference Sessions service, traced end to end on
// the client. (The service is not instrumented; the in-memory tests check what it is sent.)
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SpanKind } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { createObservability } from "../../../src/policy/observability/index.js";
import { type RunningServices, startServices } from "../../../src/server/index.js";
import { inMemorySdk } from "./fixtures.js";

let services: RunningServices | undefined;
beforeAll(async () => {
  services = await startServices();
});
afterAll(async () => {
  await services?.close();
});

describe("over gRPC", () => {
  it("traces a call to the reference service", async () => {
    if (!services) throw new Error("services are not started");
    const sdk = inMemorySdk();
    const obs = createObservability({
      transport: "grpc",
      openTelemetry: { tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider },
    });
    if (!obs) throw new Error("expected interceptors");
    const transport = createGrpcTransport({
      baseUrl: services.sessionsUrl,
      interceptors: [obs.call, obs.attempt],
    });
    await createClient(SessionsService, transport).createSession({});

    const { hostname, port } = new URL(services.sessionsUrl);
    expect(sdk.spans()).toHaveLength(1);
    const [span] = sdk.spans();
    expect(span?.name).toBe("contextiq.sessions.v1.SessionsService/CreateSession");
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes).toMatchObject({
      "rpc.system": "grpc",
      "rpc.grpc.status_code": 0,
      "server.address": hostname,
      "server.port": Number(port),
    });
    expect(span?.events.map((e) => e.attributes)).toEqual([{ attempt: 1, code: "ok" }]);
  });
});
