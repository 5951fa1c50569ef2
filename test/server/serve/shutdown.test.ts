// close(): stop accepting, let calls in flight finish within the drain bound, then cut the rest.
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Status } from "../../../gen/grpc/health/v1/health_pb.js";
import { type RunningServer, type ServeOptions, serve } from "../../../src/server/serve/index.js";
import { Clients, type HttpVersion, Probe, type Protocol, probeRoutes } from "./fixtures.js";

const clients = new Clients();
const servers: RunningServer[] = [];

async function start(options: Partial<ServeOptions> = {}): Promise<RunningServer> {
  const server = await serve({ routes: probeRoutes, serviceNames: [Probe.typeName], ...options });
  servers.push(server);
  return server;
}

afterEach(async () => {
  clients.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

async function timed(promise: Promise<unknown>): Promise<number> {
  const started = performance.now();
  await promise;
  return performance.now() - started;
}

describe("close()", () => {
  it.each<[Protocol, HttpVersion]>([
    ["grpc", "2"],
    ["connect-json", "1.1"],
  ])(
    "lets a call in flight over %s on HTTP/%s finish, refusing new connections meanwhile",
    async (protocol, version) => {
      const server = await start({ drainTimeoutMs: 5_000 });
      const probe = clients.probe(server.url, protocol, version);
      await probe.check({}); // The connection is open before the slow call starts.
      const slow = probe.check({ service: "sleep:400" });
      await new Promise((r) => setTimeout(r, 50));

      const order: string[] = [];
      const elapsed = timed(server.close().then(() => order.push("closed")));
      expect(await connectionRefused(server.port)).toBe(true);
      expect((await slow.finally(() => order.push("answered"))).status).toBe(Status.SERVING);
      expect(await elapsed).toBeLessThan(1_000);
      expect(order).toEqual(["answered", "closed"]);
    },
  );

  it.each<[Protocol, HttpVersion]>([
    ["grpc", "2"],
    ["connect-json", "1.1"],
    ["grpc-web", "1.1"],
  ])("cuts calls that outlive the drain bound over %s on HTTP/%s", async (protocol, version) => {
    const server = await start({ drainTimeoutMs: 300 });
    const probe = clients.probe(server.url, protocol, version);
    const codeOf = (service: string) =>
      probe.check({ service }).then(
        () => "ok",
        (e: unknown) => ConnectError.from(e).code,
      );
    // One handler watches its context signal, the other ignores it.
    const cooperative = codeOf("wait:5000");
    const stuck = codeOf("sleep:5000");
    await new Promise((r) => setTimeout(r, 50));

    const elapsed = await timed(server.close());
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(800);
    // The handler that honours its signal answers with the shutdown error before the cut.
    expect(await cooperative).toBe(Code.Unavailable);
    // The stuck one is cut off; what the client calls that is its own business, but it is an error.
    expect(await stuck).not.toBe("ok");
  });

  it.each<[Protocol, HttpVersion]>([
    ["grpc", "2"],
    ["connect-json", "1.1"],
  ])(
    "ends Health.Watch streams over %s on HTTP/%s with NOT_SERVING, not waiting for the bound",
    async (protocol, version) => {
      const server = await start({ drainTimeoutMs: 5_000 });
      const health = clients.health(server.url, protocol, version);
      const abort = new AbortController();
      const seen: Status[] = [];
      const watching = (async () => {
        for await (const response of health.watch({}, { signal: abort.signal })) {
          seen.push(response.status);
        }
      })();
      try {
        await expect.poll(() => seen.length).toBe(1);
        const elapsed = await timed(server.close());
        await watching; // Ends cleanly: no error.
        expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING]);
        expect(elapsed).toBeLessThan(1_000);
      } finally {
        abort.abort();
      }
    },
  );

  it("does not hang on an idle HTTP/2 session or HTTP/1.1 keep-alive socket a client left open", async () => {
    const server = await start({ drainTimeoutMs: 5_000 });

    const session = http2.connect(server.url);
    session.on("error", () => {});
    const goaway = new Promise<void>((resolve) => session.once("goaway", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const stream = session.request({ ":path": "/health" });
      stream.on("error", reject);
      stream.resume();
      stream.on("end", resolve);
      stream.end();
    });

    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${server.url}/health`, { agent }, (response) => {
          response.resume();
          response.on("end", resolve);
        })
        .on("error", reject);
    });

    try {
      const elapsed = await timed(server.close());
      expect(elapsed).toBeLessThan(1_000);
      await goaway;
    } finally {
      session.destroy();
      agent.destroy();
    }
  });

  it("can be called twice, and again after it resolved", async () => {
    const server = await start();
    const [first, second] = [server.close(), server.close()];
    await Promise.all([first, second]);
    await server.close();
    expect(await connectionRefused(server.port)).toBe(true);
  });
});
