// Health over gRPC (grpc.health.v1.Health) and over plain HTTP, both following `ready`.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
} from "../../../gen/grpc/health/v1/health_pb.js";
import { type RunningServer, serve } from "../../../src/server/serve/index.js";
import { Clients, http2Get, Probe, probeRoutes } from "./fixtures.js";

const clients = new Clients();
let server: RunningServer;
// What the backing store says; "throw" makes `ready` reject.
let readiness: boolean | "throw" = true;

beforeAll(async () => {
  server = await serve({
    routes: probeRoutes,
    serviceNames: [Probe.typeName],
    ready: async () => {
      if (readiness === "throw") {
        throw new Error("store unreachable");
      }
      return readiness;
    },
  });
});

afterAll(async () => {
  clients.close();
  await server.close();
});

async function fetchJson(path: string, init?: RequestInit) {
  const response = await fetch(`${server.url}${path}`, init);
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    body: await response.text(),
  };
}

describe("HTTP health endpoints", () => {
  it.each(["/health", "/health/live", "/health/ready"])(
    "GET %s is 200 over HTTP/1.1",
    async (path) => {
      readiness = true;
      expect(await fetchJson(path)).toEqual({
        status: 200,
        contentType: "application/json",
        body: '{"status":"ok"}',
      });
    },
  );

  it.each(["/health", "/health/live", "/health/ready"])(
    "GET %s is 200 over HTTP/2",
    async (path) => {
      readiness = true;
      expect(await http2Get(server.url, path)).toEqual({
        status: 200,
        contentType: "application/json",
        body: '{"status":"ok"}',
      });
    },
  );

  it.each([false, "throw"] as const)("/health/ready is 503 when ready is %s", async (value) => {
    readiness = value;
    const unavailable = {
      status: 503,
      contentType: "application/json",
      body: '{"status":"unavailable"}',
    };
    expect(await fetchJson("/health/ready")).toEqual(unavailable);
    expect(await http2Get(server.url, "/health/ready")).toEqual(unavailable);
    // Liveness is about the process, not the store.
    expect((await fetchJson("/health/live")).status).toBe(200);
    readiness = true;
  });

  it("answers 404 for unknown paths and 405 for other methods", async () => {
    expect((await fetchJson("/nope")).status).toBe(404);
    expect((await http2Get(server.url, "/health/nope")).status).toBe(404);
    expect((await fetchJson("/health", { method: "POST" })).status).toBe(405);
    expect((await fetchJson("/health?verbose=1")).status).toBe(200);
  });
});

describe("grpc.health.v1.Health", () => {
  it("Check follows ready for the server and each listed service", async () => {
    const health = clients.health(server.url);
    readiness = true;
    expect((await health.check({})).status).toBe(Status.SERVING);
    expect((await health.check({ service: Probe.typeName })).status).toBe(Status.SERVING);
    readiness = false;
    expect((await health.check({})).status).toBe(Status.NOT_SERVING);
    expect((await health.check({ service: Probe.typeName })).status).toBe(Status.NOT_SERVING);
    readiness = "throw";
    expect((await health.check({ service: Probe.typeName })).status).toBe(Status.NOT_SERVING);
    readiness = true;
  });

  it("Check answers NOT_FOUND for an unknown service", async () => {
    const health = clients.health(server.url, "connect-json", "1.1");
    const error = await health.check({ service: "no.such.Service" }).catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.NotFound);
  });

  it("Watch sends the status, then each change", { timeout: 5_000 }, async () => {
    readiness = true;
    const health = clients.health(server.url);
    const abort = new AbortController();
    const seen: Status[] = [];
    try {
      for await (const response of health.watch(
        { service: Probe.typeName },
        { signal: abort.signal },
      )) {
        seen.push(response.status);
        if (seen.length === 1) {
          readiness = false;
        } else {
          break;
        }
      }
    } finally {
      abort.abort();
      readiness = true;
    }
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
  });

  it("Watch answers SERVICE_UNKNOWN for an unknown service and keeps the stream open", async () => {
    const health = clients.health(server.url, "connect-binary", "2");
    const abort = new AbortController();
    const stream = health.watch({ service: "no.such.Service" }, { signal: abort.signal });
    const first = await stream[Symbol.asyncIterator]().next();
    abort.abort();
    expect(first.done).toBe(false);
    expect(first.value?.status).toBe(Status.SERVICE_UNKNOWN);
  });
});

describe("serve() wiring checks", () => {
  it("refuses routes that register the health service themselves", async () => {
    await expect(
      serve({ routes: (router) => router.service(Health, {}), serviceNames: [] }),
    ).rejects.toThrow(/must not register grpc.health.v1.Health/);
  });

  it("refuses service names the routes do not register", async () => {
    await expect(serve({ routes: probeRoutes, serviceNames: ["no.such.Service"] })).rejects.toThrow(
      /no.such.Service/,
    );
  });
});
