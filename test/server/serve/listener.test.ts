// One port, two HTTP versions: how a connection's first bytes pick the server, including clients
// that send the preface in pieces, send garbage, or hang up half way.
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Status } from "../../../gen/grpc/health/v1/health_pb.js";
import { type RunningServer, serve } from "../../../src/server/serve/index.js";
import { detectProtocol } from "../../../src/server/serve/listener.js";
import { Clients, http2Get, Probe, probeRoutes } from "./fixtures.js";

const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const clients = new Clients();
let server: RunningServer;

beforeAll(async () => {
  server = await serve({ routes: probeRoutes, serviceNames: [Probe.typeName] });
});

afterAll(async () => {
  clients.close();
  await server.close();
});

/** Sends raw bytes, optionally half-closes, and collects what comes back until the server closes. */
function rawExchange(
  chunks: string[],
  { end = true, destroyAfterMs }: { end?: boolean; destroyAfterMs?: number } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, "127.0.0.1");
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (data: string) => {
      received += data;
    });
    socket.on("error", () => {}); // A reset is an acceptable answer to garbage.
    socket.on("close", () => resolve(received));
    socket.on("connect", async () => {
      socket.setNoDelay(true);
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((r) => setTimeout(r, 20));
      }
      if (destroyAfterMs !== undefined) {
        setTimeout(() => socket.destroy(), destroyAfterMs);
      } else if (end) {
        socket.end();
      }
    });
  });
}

/** A TCP proxy that forwards the first `trickle` bytes of each connection one write at a time. */
async function trickleProxy(trickle: number): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((downstream) => {
    const upstream = net.connect(server.port, "127.0.0.1");
    upstream.setNoDelay(true);
    sockets.add(downstream).add(upstream);
    for (const s of [downstream, upstream]) {
      s.on("error", () => {});
      s.on("close", () => {
        downstream.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(downstream);
    let forwarded = 0;
    let queue = Promise.resolve();
    downstream.on("data", (data: Buffer) => {
      queue = queue.then(async () => {
        for (let i = 0; i < data.length; ) {
          const size = forwarded < trickle ? 1 : data.length - i;
          upstream.write(data.subarray(i, i + size));
          i += size;
          forwarded += size;
          if (forwarded <= trickle) {
            await new Promise((r) => setTimeout(r, 2));
          }
        }
      });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) {
          s.destroy();
        }
        proxy.close(() => resolve());
      }),
  };
}

describe("detectProtocol", () => {
  it("waits while the bytes are a prefix of the HTTP/2 preface", () => {
    expect(detectProtocol(Buffer.from(""))).toBeUndefined();
    expect(detectProtocol(Buffer.from("P"))).toBeUndefined();
    expect(detectProtocol(Buffer.from("PRI * HTTP/2.0\r\n"))).toBeUndefined();
    expect(detectProtocol(Buffer.from(preface.slice(0, -1)))).toBeUndefined();
  });

  it("picks h2c on the whole preface and HTTP/1.1 on any other start", () => {
    expect(detectProtocol(Buffer.from(preface))).toBe("h2c");
    expect(detectProtocol(Buffer.from(`${preface}\0\0\0\x04`))).toBe("h2c");
    expect(detectProtocol(Buffer.from("GET / HTTP/1.1\r\n"))).toBe("http/1.1");
    expect(detectProtocol(Buffer.from("POST"))).toBe("http/1.1");
    expect(detectProtocol(Buffer.from("PRI * HTTP/1.1\r\n"))).toBe("http/1.1");
  });
});

describe("the listener", () => {
  it("routes a preface sent a byte at a time to HTTP/2, and HTTP/1.1 likewise", async () => {
    const proxy = await trickleProxy(preface.length + 4);
    try {
      expect((await http2Get(proxy.url, "/health")).status).toBe(200);
      const health = clients.health(proxy.url, "grpc", "2");
      expect((await health.check({})).status).toBe(Status.SERVING);
      const http1 = clients.health(proxy.url, "connect-json", "1.1");
      expect((await http1.check({})).status).toBe(Status.SERVING);
    } finally {
      await proxy.close();
    }
  });

  it("answers garbage with 400 over HTTP/1.1 and keeps serving", async () => {
    const reply = await rawExchange(["\x16\x03\x01\x02\x00garbage\r\n\r\n"]);
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it("survives garbage after a valid HTTP/2 preface", async () => {
    await rawExchange([preface, "\xff".repeat(64)]);
    expect((await http2Get(server.url, "/health")).status).toBe(200);
  });

  it("survives clients that hang up mid-preface, with or without a FIN", async () => {
    expect(await rawExchange(["PRI * HTTP/2"])).toBe("");
    expect(await rawExchange(["PRI * HTTP/2.0\r\n"], { destroyAfterMs: 10 })).toBe("");
    expect(await rawExchange([], { destroyAfterMs: 10 })).toBe("");
    expect((await clients.health(server.url).check({})).status).toBe(Status.SERVING);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  });
});
