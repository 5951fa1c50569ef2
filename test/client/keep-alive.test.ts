// Keep-alive sockets of json over HTTP/1.1: the client retires an idle socket before the server
// would close it, and a call whose reused socket turns out to be dead is sent again at once on a
// fresh one, without counting as a retry. Before, a socket the server closed just as the client
// reused it failed the call with `write EPIPE` or `socket hang up` (33 calls at 256 callers in a
// bench run against the reference services).
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { type RetryEvent, SessionsServiceClient } from "../../src/index.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { startDroppingRelay } from "../support/dropping-relay.js";

const noRetries = { maxRetries: 0, circuitBreaker: false, env: {} } as const;
const sessionId = "5b0e6c2a-9d4f-4a51-8e1c-3f7a2b9d0c11";

let services: RunningServices;
beforeAll(async () => {
  services = await startServices();
});
afterAll(() => services.close());

/**
 * A node:http server with `keepAliveTimeout` (0: keep idle sockets for good, and send no
 * Keep-Alive hint), answering every call with a session, that tells which side closed each
 * socket: the client (its FIN came first) or the server.
 */
async function startKeepAliveServer(keepAliveTimeout: number) {
  const closedBy = { client: 0, server: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer({ keepAliveTimeout }, (request, response: ServerResponse) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ session: { id: sessionId } }));
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    let clientEnded = false;
    socket.on("end", () => {
      clientEnded = true;
    });
    socket.on("close", () => {
      sockets.delete(socket);
      closedBy[clientEnded ? "client" : "server"]++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    closedBy,
    open: () => sockets.size,
  };
}

describe("json over HTTP/1.1 keep-alive", () => {
  it("sends a call again at once, on a fresh socket, when its reused socket was closed under it", async () => {
    const relay = await startDroppingRelay(services.sessionsUrl);
    onTestFinished(() => relay.close());
    const retries: RetryEvent[] = [];
    await using sessions = new SessionsServiceClient({
      baseUrl: relay.url,
      ...noRetries,
      onRetry: (event) => retries.push(event),
    });
    const burst = () =>
      Promise.allSettled(
        Array.from({ length: 32 }, (_, i) => sessions.createSession({ title: `${i}` })),
      );
    await burst();
    const idle = relay.open();
    expect(idle).toBeGreaterThan(0);
    // The server (or anything on the way) has closed every idle socket; the client does not know.
    relay.dropConnections();

    const results = await burst();
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(relay.resets()).toBeGreaterThan(0);
    // Not retries: the request never reached the server.
    expect(retries).toEqual([]);
  });

  it("retires an idle socket a second before the server's announced keep-alive timeout", async () => {
    // Keep-Alive: timeout=2, as Node's servers announce theirs (5 s by default).
    const server = await startKeepAliveServer(2_000);
    await using sessions = new SessionsServiceClient({ baseUrl: server.url, ...noRetries });
    await Promise.all(Array.from({ length: 8 }, () => sessions.getSession(sessionId)));
    await expect.poll(() => server.open(), { timeout: 10_000, interval: 100 }).toBe(0);
    // The client closed first: no request of its could have met the server's close.
    expect(server.closedBy).toEqual({ client: 8, server: 0 });
  });

  it("assumes Node's 5 s keep-alive timeout from a server that announces none", async () => {
    const server = await startKeepAliveServer(0);
    await using sessions = new SessionsServiceClient({ baseUrl: server.url, ...noRetries });
    await Promise.all(Array.from({ length: 4 }, () => sessions.getSession(sessionId)));
    await expect.poll(() => server.open(), { timeout: 15_000, interval: 200 }).toBe(0);
    expect(server.closedBy).toEqual({ client: 4, server: 0 });
  }, 20_000);
});
