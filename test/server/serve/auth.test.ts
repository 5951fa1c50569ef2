// API keys: every RPC but health needs one, in either accepted header; health stays open.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Status } from "../../../gen/grpc/health/v1/health_pb.js";
import { type RunningServer, serve } from "../../../src/server/serve/index.js";
import { Clients, http2Get, Probe, type Protocol, probeRoutes } from "./fixtures.js";

const clients = new Clients();
let server: RunningServer;
// Records what reached the caller's own interceptor, to show it runs after auth.
const intercepted: string[] = [];

beforeAll(async () => {
  server = await serve({
    routes: probeRoutes,
    serviceNames: [Probe.typeName],
    apiKeys: ["first-key", "k"],
    interceptors: [
      (next) => async (request) => {
        intercepted.push(
          request.header.get("x-api-key") ?? request.header.get("authorization") ?? "",
        );
        return await next(request);
      },
    ],
  });
});

afterAll(async () => {
  clients.close();
  await server.close();
});

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

const protocols: [Protocol, "1.1" | "2"][] = [
  ["grpc", "2"],
  ["connect-json", "1.1"],
  ["grpc-web", "1.1"],
];

describe("API keys", () => {
  it.each(protocols)("are enforced over %s on HTTP/%s", async (protocol, httpVersion) => {
    const probe = clients.probe(server.url, protocol, httpVersion);
    const call = (headers: Record<string, string>) => codeOf(probe.check({}, { headers }));
    expect(await call({})).toBe(Code.Unauthenticated);
    expect(await call({ authorization: "Bearer k" })).toBe("ok");
    expect(await call({ authorization: "bearer first-key" })).toBe("ok");
    expect(await call({ authorization: "BEARER k" })).toBe("ok");
    expect(await call({ "x-api-key": "k" })).toBe("ok");
    expect(await call({ "x-api-key": "first-key" })).toBe("ok");
    expect(await call({ authorization: "Bearer wrong" })).toBe(Code.Unauthenticated);
    expect(await call({ "x-api-key": "wrong" })).toBe(Code.Unauthenticated);
    expect(await call({ "x-api-key": "" })).toBe(Code.Unauthenticated);
    expect(await call({ authorization: "Basic k" })).toBe(Code.Unauthenticated);
    expect(await call({ authorization: "k" })).toBe(Code.Unauthenticated);
  });

  it("say which headers to send and never echo the key", async () => {
    const probe = clients.probe(server.url);
    const error = ConnectError.from(
      await probe.check({}, { headers: { "x-api-key": "secret-guess" } }).catch((e: unknown) => e),
    );
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toMatch(/Authorization: Bearer <key>/);
    expect(error.rawMessage).toMatch(/x-api-key: <key>/);
    expect(error.rawMessage).not.toMatch(/secret-guess/);
  });

  it("are checked before the caller's interceptors run", async () => {
    intercepted.length = 0;
    const probe = clients.probe(server.url);
    await codeOf(probe.check({}, { headers: { "x-api-key": "wrong" } }));
    expect(intercepted).toEqual([]);
    await codeOf(probe.check({}, { headers: { "x-api-key": "k" } }));
    expect(intercepted).toEqual(["k"]);
  });

  it("are not needed for health, over gRPC or HTTP", async () => {
    const health = clients.health(server.url);
    expect((await health.check({})).status).toBe(Status.SERVING);
    expect((await health.check({ service: Probe.typeName })).status).toBe(Status.SERVING);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    expect((await http2Get(server.url, "/health")).status).toBe(200);
  });

  it("reject an empty key in the configuration", async () => {
    await expect(serve({ routes: probeRoutes, serviceNames: [], apiKeys: [""] })).rejects.toThrow(
      /non-empty/,
    );
  });
});
