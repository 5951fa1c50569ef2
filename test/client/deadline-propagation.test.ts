// A client call made while other work is in progress inherits that work's deadline and
// cancellation, through AsyncLocalStorage, however deep the call is.
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import {
  Code,
  currentDeadline,
  propagateInboundDeadline,
  SessionsServiceClient,
  withDeadline,
} from "../../src/index.js";
import { readTimeoutMs } from "../../src/policy/deadline-header.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { rejection } from "../support/errors.js";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";

const unknownId = "00000000-0000-4000-8000-000000000000";
let services: RunningServices;
let proxy: FaultProxy;
let sessions: SessionsServiceClient;
beforeAll(async () => {
  services = await startServices();
  proxy = await startFaultProxy(services.sessionsUrl);
  sessions = new SessionsServiceClient({ baseUrl: proxy.url, transport: "grpc", env: {} });
});
afterAll(async () => {
  await sessions.close();
  await proxy.close();
  await services.close();
});
beforeEach(() => proxy.reset());

describe("withDeadline", () => {
  it("gives a call made inside it at most the time that remains, on the wire too", async () => {
    proxy.plan(() => ({ kind: "stall" }));
    const started = performance.now();
    await withDeadline({ timeoutMs: 300 }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await rejection(sessions.getSession(unknownId), Code.DeadlineExceeded);
    });
    // Slack for a loaded machine (the chaos suite may run beside this file); the bound is the point.
    expect(performance.now() - started).toBeLessThan(300 + 500);
    const sent = readTimeoutMs(new Headers(proxy.attempts[0]?.headers));
    expect(sent).toBeLessThanOrEqual(255);
    expect(sent).toBeGreaterThan(150);
  });

  it("cancels a call made inside it when its signal aborts", async () => {
    proxy.plan(() => ({ kind: "stall" }));
    const inbound = new AbortController();
    setTimeout(() => inbound.abort(), 100);
    await withDeadline({ signal: inbound.signal }, () =>
      rejection(sessions.getSession(unknownId), Code.Canceled),
    );
  });

  it("only shortens a deadline when nested, and fails a call at once when it has passed", async () => {
    await withDeadline({ timeoutMs: 1_000 }, () =>
      withDeadline({ timeoutMs: 60_000 }, async () => {
        const left = (currentDeadline()?.deadlineMs ?? 0) - Date.now();
        expect(left).toBeLessThanOrEqual(1_000);
      }),
    );
    await withDeadline({ timeoutMs: 0 }, async () => {
      await rejection(sessions.getSession(unknownId), Code.DeadlineExceeded);
    });
    expect(proxy.attempts).toHaveLength(0);
  });

  it("leaves calls outside it alone", async () => {
    await rejection(sessions.getSession(unknownId), Code.NotFound);
    const sent = readTimeoutMs(new Headers(proxy.attempts[0]?.headers));
    expect(sent).toBeGreaterThan(29_000);
  });
});

describe("propagateInboundDeadline, on a server", () => {
  it("runs a handler under its call's deadline and signal", async () => {
    const transport = createRouterTransport(
      (router) =>
        router.service(SessionsService, {
          getSession() {
            const inbound = currentDeadline();
            return {
              session: {
                id: String(Math.round(((inbound?.deadlineMs ?? 0) - Date.now()) / 100) * 100),
                title: String(inbound?.signal !== undefined),
              },
            };
          },
        }),
      { router: { interceptors: [propagateInboundDeadline()] } },
    );
    const client = createClient(SessionsService, transport);
    const { session } = await client.getSession({ id: "x" }, { timeoutMs: 2_000 });
    expect(session).toMatchObject({ id: "2000", title: "true" });
  });
});
