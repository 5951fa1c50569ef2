// Active health checks over grpc.health.v1, against the real Sessions service served by serve()
// with a readiness check the test controls: a replica that says NOT_SERVING gets no calls until
// it says SERVING again. Where calls went is read from each replica's own in-memory data.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { SessionsServiceClient } from "../../src/index.js";
import { type RunningServer, serve } from "../../src/server/serve/index.js";
import { createSessionsService } from "../../src/server/sessions/sessions-service.js";
import { SqliteSessionsStore } from "../../src/server/store/sqlite/sessions-store.js";
import { clientTransports } from "../support/client-transports.js";

interface Replica {
  readonly server: RunningServer;
  /** What its readiness check answers. */
  readonly readiness: { ready: boolean };
  close(): Promise<void>;
}

async function startReplica(): Promise<Replica> {
  const store = new SqliteSessionsStore(":memory:");
  const readiness = { ready: true };
  const server = await serve({
    serviceNames: [SessionsService.typeName],
    ready: () => readiness.ready,
    routes: (router) => router.service(SessionsService, createSessionsService({ store })),
  });
  return {
    server,
    readiness,
    async close() {
      await server.close();
      store.close();
    },
  };
}

const scope = { scope: { user_id: "health-checked" } };

async function sessionsOn(replica: Replica): Promise<number> {
  await using direct = new SessionsServiceClient({ baseUrl: replica.server.url, env: {} });
  return (await direct.listSessions(scope)).length;
}

let replicas: Replica[];
beforeAll(async () => {
  replicas = [await startReplica(), await startReplica()];
});
afterAll(() => Promise.all(replicas.map((r) => r.close())));

describe.each(clientTransports)("health checks over %s", (_, transport) => {
  it("take a replica that reports NOT_SERVING out of rotation, and back once it serves", async () => {
    const [a, b] = replicas as [Replica, Replica];
    await using sessions = new SessionsServiceClient({
      ...transport,
      baseUrl: `${a.server.url},${b.server.url}`,
      healthCheck: { intervalMs: 20, timeoutMs: 5_000 },
      env: {},
    });
    const endpointOf = (replica: Replica) =>
      sessions.balancer.endpoints.find((e) => e.origin === replica.server.url);

    b.readiness.ready = false;
    await expect.poll(() => endpointOf(b)?.state, { timeout: 10_000 }).toBe("unhealthy");
    const before = await sessionsOn(b);
    for (let i = 0; i < 30; i++) await sessions.createSession(scope);
    expect(await sessionsOn(b)).toBe(before);

    b.readiness.ready = true;
    await expect.poll(() => endpointOf(b)?.state, { timeout: 10_000 }).toBe("serving");
    for (let i = 0; i < 30; i++) await sessions.createSession(scope);
    expect(await sessionsOn(b)).toBeGreaterThan(before);
  });
});
