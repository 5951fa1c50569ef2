// One port, every protocol: the same Health.Check over Connect (JSON and binary), gRPC and gRPC-Web,
// over HTTP/1.1 and cleartext HTTP/2.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus } from "../../../gen/grpc/health/v1/health_pb.js";
import { type RunningServer, serve } from "../../../src/server/serve/index.js";
import { Clients, type HttpVersion, Probe, type Protocol, probeRoutes } from "./fixtures.js";

let server: RunningServer;
const clients = new Clients();

beforeAll(async () => {
  server = await serve({ routes: probeRoutes, serviceNames: [Probe.typeName], readMaxBytes: 1024 });
});

afterAll(async () => {
  clients.close();
  await server.close();
});

const table: [Protocol, HttpVersion][] = [
  ["connect-json", "1.1"],
  ["connect-json", "2"],
  ["connect-binary", "1.1"],
  ["connect-binary", "2"],
  ["grpc", "2"],
  ["grpc-web", "1.1"],
  ["grpc-web", "2"],
];

describe("serve", () => {
  it.each(table)("answers Health.Check over %s on HTTP/%s", async (protocol, httpVersion) => {
    const health = clients.health(server.url, protocol, httpVersion);
    await expect(health.check({ service: Probe.typeName })).resolves.toMatchObject({
      status: HealthCheckResponse_ServingStatus.SERVING,
    });
    await expect(health.check({})).resolves.toMatchObject({
      status: HealthCheckResponse_ServingStatus.SERVING,
    });
  });

  it.each(table)("serves the caller's routes over %s on HTTP/%s", async (protocol, httpVersion) => {
    const probe = clients.probe(server.url, protocol, httpVersion);
    await expect(probe.check({})).resolves.toMatchObject({
      status: HealthCheckResponse_ServingStatus.SERVING,
    });
  });

  it("reports its address", () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it("rejects with the listen error when the port is taken", async () => {
    await expect(
      serve({ routes: probeRoutes, serviceNames: [], port: server.port }),
    ).rejects.toMatchObject({ code: "EADDRINUSE" });
  });

  it("rejects a request message over readMaxBytes with RESOURCE_EXHAUSTED", async () => {
    const probe = clients.probe(server.url);
    const error = await probe.check({ service: "x".repeat(2048) }).catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.ResourceExhausted);
  });

  it("refuses JSON that is not valid UTF-8 with INVALID_ARGUMENT, rather than reading U+FFFD", async () => {
    const post = (body: Uint8Array) =>
      fetch(`${server.url}/${Probe.typeName}/Check`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    const json = (service: Buffer) =>
      Buffer.concat([Buffer.from('{"service":"'), service, Buffer.from('"}')]);
    const bad = await post(json(Buffer.from([0x61, 0xff, 0x62])));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "invalid_argument", message: /utf-8/i });
    // The same request in valid UTF-8 (U+FFFD written out) is served.
    expect((await post(json(Buffer.from("a\uFFFDb")))).status).toBe(200);
  });
});
