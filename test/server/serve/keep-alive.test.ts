// Idle HTTP/1.1 keep-alive connections stay open as long as idle HTTP/2 ones (idleTimeoutMs), not
// Node's default 5 s. Why it matters: Node 20's libuv accepts one connection per event-loop turn,
// and each turn of a busy server serves a request on every connection that has one. Clients whose
// sockets all closed after 5 s idle reconnect them at once, and their first calls waited behind
// hundreds of such turns: 5 to 30 s, without an error, in bench runs at 256 callers.
import { Agent, request } from "node:http";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { type RunningServices, startServices } from "../../../src/server/index.js";
import { startDroppingRelay } from "../../support/dropping-relay.js";

let services: RunningServices;
beforeAll(async () => {
  services = await startServices();
});
afterAll(() => services.close());

describe("HTTP/1.1 keep-alive", () => {
  it("keeps idle sockets past Node's 5 s: calls after 6 s idle open no new connection", async () => {
    const relay = await startDroppingRelay(services.sessionsUrl);
    onTestFinished(() => relay.close());
    // A client that keeps its sockets for as long as the server does, as connect-node's does.
    const agent = new Agent({ keepAlive: true });
    onTestFinished(() => agent.destroy());
    const sessions = createClient(
      SessionsService,
      createConnectTransport({
        baseUrl: relay.url,
        httpVersion: "1.1",
        useBinaryFormat: false,
        nodeOptions: { agent },
      }),
    );
    const burst = () =>
      Promise.all(Array.from({ length: 32 }, () => sessions.createSession({ title: "idle" })));
    await burst();
    const opened = relay.opened();
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await burst();
    expect(relay.opened()).toBe(opened);
  }, 20_000);

  it("announces how long it keeps an idle socket (Keep-Alive: timeout=300)", async () => {
    const agent = new Agent({ keepAlive: true });
    onTestFinished(() => agent.destroy());
    const keepAlive = await new Promise<string | undefined>((resolve, reject) => {
      const get = request(`${services.sessionsUrl}/health`, { agent }, (res) => {
        res.resume();
        resolve(String(res.headers["keep-alive"]));
      });
      get.on("error", reject).end();
    });
    expect(keepAlive).toBe("timeout=300");
  });
});
