// Connections are pooled per origin: clients of one origin share one HTTP/2 connection, and
// HTTP/1.1 calls reuse keep-alive sockets; the last client to close lets the connection go.
import { connect, createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryServiceClient, SessionsServiceClient } from "../../src/index.js";
import { type RunningServices, startServices } from "../../src/server/index.js";

/** A TCP relay to the service that counts the connections clients open through it. */
async function countingRelay(upstream: string) {
  const { hostname, port } = new URL(upstream);
  const sockets = new Set<Socket>();
  let opened = 0;
  const server = createServer((socket) => {
    opened++;
    sockets.add(socket);
    const out = connect(Number(port), hostname);
    socket.pipe(out).pipe(socket);
    const drop = () => {
      sockets.delete(socket);
      socket.destroy();
      out.destroy();
    };
    socket.on("error", drop).on("close", drop);
    out.on("error", drop).on("close", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: relayPort } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${relayPort}`,
    opened: () => opened,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let services: RunningServices;
beforeAll(async () => {
  services = await startServices();
});
afterAll(() => services.close());

describe("connection pooling", () => {
  it("gives every gRPC client of one origin one shared HTTP/2 connection, closed by the last", async () => {
    const relay = await countingRelay(services.sessionsUrl);
    const a = new SessionsServiceClient({ baseUrl: relay.url, transport: "grpc", env: {} });
    const b = new SessionsServiceClient({ baseUrl: relay.url, transport: "grpc", env: {} });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).createSession({ title: `${i}` })),
    );
    expect(relay.opened()).toBe(1);
    await a.close();
    await b.createSession();
    expect(relay.open()).toBe(1);
    await b.close();
    await expect.poll(() => relay.open()).toBe(0);
    await relay.close();
  });

  it("reuses keep-alive sockets for json over HTTP/1.1", async () => {
    const relay = await countingRelay(services.memoryUrl);
    await using memory = new MemoryServiceClient({ baseUrl: relay.url, env: {} });
    for (let i = 0; i < 10; i++)
      await memory.createMemory({ scope: { user_id: "pool" }, fact: `${i}` });
    expect(relay.opened()).toBe(1);
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        memory.createMemory({ scope: { user_id: "pool" }, fact: `c${i}` }),
      ),
    );
    expect(relay.opened()).toBeLessThanOrEqual(4);
    await relay.close();
  });
});
