// The balancer over real replicas on 127.0.0.1-3, on every transport: a name resolved to several
// addresses spreads the calls over all of them, a refused endpoint costs no retry, a retry goes
// elsewhere, and re-resolution adds and drains endpoints. Where a call went is read from the
// replicas' own data: each keeps its sessions in memory, so a session exists on the replica that
// created it, and nowhere else.
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClientOptions, Code, SessionsServiceClient } from "../../src/index.js";
import { clientTransports } from "../support/client-transports.js";
import { type LocalReplicas, replicaHosts, startLocalReplicas } from "./local-replicas.js";

/** The scope of this file's sessions. */
const balanced = { scope: { user_id: "balanced" } };

let replicas: LocalReplicas;
beforeAll(async () => {
  replicas = await startLocalReplicas();
});
afterAll(() => replicas.close());

/** How many sessions each replica holds, read from each one directly. */
async function sessionsPerReplica(): Promise<number[]> {
  return await Promise.all(
    replicas.running.map(async (running) => {
      if (running === undefined) return 0;
      await using direct = new SessionsServiceClient({ baseUrl: running.sessionsUrl, env: {} });
      return (await direct.listSessions(balanced)).length;
    }),
  );
}

async function deleteAllSessions(): Promise<void> {
  for (const running of replicas.running) {
    if (running === undefined) continue;
    await using direct = new SessionsServiceClient({ baseUrl: running.sessionsUrl, env: {} });
    for (const s of await direct.listSessions(balanced)) await direct.deleteSession(s.id);
  }
}

/** A client of "sessions.test", which the resolver maps to `addresses()`. */
function client(
  transport: Pick<ClientOptions, "transport" | "httpVersion">,
  addresses: () => readonly string[],
  options: ClientOptions = {},
): SessionsServiceClient {
  return new SessionsServiceClient({
    ...transport,
    baseUrl: `http://sessions.test:${replicas.sessionsPort}`,
    resolver: async (hostname) => {
      expect(hostname).toBe("sessions.test");
      return addresses();
    },
    env: {},
    ...options,
  });
}

describe.each(clientTransports)("balancing over %s", (_, transport) => {
  it("spreads calls over every address the name resolves to", async () => {
    await deleteAllSessions();
    await using sessions = client(transport, () => replicaHosts);
    for (let i = 0; i < 60; i++) await sessions.createSession(balanced);
    const counts = await sessionsPerReplica();
    expect(counts.reduce((a, b) => a + b)).toBe(60);
    for (const count of counts) expect(count).toBeGreaterThan(0);
  });

  it("spreads calls over a comma-separated list of URLs", async () => {
    await deleteAllSessions();
    const baseUrl = replicaHosts.map((h) => `http://${h}:${replicas.sessionsPort}`).join(",");
    await using sessions = new SessionsServiceClient({ ...transport, baseUrl, env: {} });
    await Promise.all(Array.from({ length: 60 }, () => sessions.createSession(balanced)));
    const counts = await sessionsPerReplica();
    expect(counts.reduce((a, b) => a + b)).toBe(60);
    for (const count of counts) expect(count).toBeGreaterThan(0);
  });

  it("sends a call refused by a stopped replica to another at once, without a retry", async () => {
    await deleteAllSessions();
    await replicas.stop(1);
    try {
      const retries: unknown[] = [];
      await using sessions = client(transport, () => replicaHosts, {
        maxRetries: 0,
        onRetry: (event) => retries.push(event),
      });
      for (let i = 0; i < 30; i++) await sessions.createSession(balanced);
      expect(retries).toEqual([]);
      const counts = await sessionsPerReplica();
      expect(counts).toEqual([expect.any(Number), 0, expect.any(Number)]);
      expect(counts.reduce((a, b) => a + b)).toBe(30);
    } finally {
      await replicas.start(1);
    }
  });

  it("sends a retry to another endpoint than the attempt it follows", async () => {
    // An endpoint that resets every connection once the request arrives: the server may have
    // seen it, so the call is retried, not resent, and the retry must not go there again.
    const resetting = createServer((socket) => socket.on("data", () => socket.resetAndDestroy()));
    await new Promise<void>((resolve) => resetting.listen(0, "127.0.0.1", resolve));
    const { port } = resetting.address() as { port: number };
    try {
      const baseUrl = [
        `http://127.0.0.1:${replicas.sessionsPort}`,
        `http://127.0.0.2:${replicas.sessionsPort}`,
        `http://127.0.0.1:${port}`,
      ].join(",");
      let retries = 0;
      await using sessions = new SessionsServiceClient({
        ...transport,
        baseUrl,
        env: {},
        maxRetries: 1,
        retryDelayMs: 1,
        // Left in rotation: every call has its chance of landing on it first.
        outlierDetection: false,
        circuitBreaker: false,
        onRetry: () => retries++,
      });
      for (let i = 0; i < 60; i++) await sessions.createSession(balanced);
      expect(retries).toBeGreaterThan(0);
    } finally {
      await new Promise((resolve) => resetting.close(resolve));
    }
  });

  it("takes in added addresses at the next resolution and drains removed ones", async () => {
    await deleteAllSessions();
    let addresses: readonly string[] = replicaHosts.slice(0, 2);
    await using sessions = client(transport, () => addresses, { resolveIntervalMs: 100 });
    for (let i = 0; i < 20; i++) await sessions.createSession(balanced);
    expect((await sessionsPerReplica())[2]).toBe(0);

    addresses = replicaHosts;
    await expect.poll(() => sessions.balancer.endpoints.length, { timeout: 10_000 }).toBe(3);
    await deleteAllSessions();
    for (let i = 0; i < 30; i++) await sessions.createSession(balanced);
    expect((await sessionsPerReplica())[2]).toBeGreaterThan(0);

    addresses = [replicaHosts[2]];
    await expect.poll(() => sessions.balancer.endpoints.length, { timeout: 10_000 }).toBe(1);
    await deleteAllSessions();
    for (let i = 0; i < 10; i++) await sessions.createSession(balanced);
    expect(await sessionsPerReplica()).toEqual([0, 0, 10]);
  });
});

describe("resolution", () => {
  it("resolves again after connection failures, at most once per 5 seconds", async () => {
    await replicas.stop(1);
    try {
      let resolutions = 0;
      const started = performance.now();
      await using sessions = client(
        clientTransports[2]?.[1] ?? {},
        () => {
          resolutions++;
          return replicaHosts;
        },
        // Only failures make it resolve again within this test.
        { resolveIntervalMs: 3_600_000, outlierDetection: false },
      );
      // Refused calls from the start: the first 5 seconds after the first resolution bring no
      // other, the first failure after them does.
      while (resolutions < 2 && performance.now() - started < 60_000) {
        await sessions.createSession(balanced);
      }
      expect(resolutions).toBeGreaterThanOrEqual(2);
      expect(performance.now() - started).toBeGreaterThanOrEqual(5_000);
      const gaps = Math.floor((performance.now() - started) / 5_000);
      expect(resolutions).toBeLessThanOrEqual(2 + gaps);
    } finally {
      await replicas.start(1);
    }
  }, 90_000);

  it("keeps the endpoints it has when a resolution fails or finds nothing", async () => {
    let answer: () => readonly string[] = () => replicaHosts;
    await using sessions = client(clientTransports[2]?.[1] ?? {}, () => answer(), {
      resolveIntervalMs: 100,
    });
    await sessions.createSession(balanced);
    let failed = 0;
    answer = () => {
      failed++;
      throw Object.assign(new Error("getaddrinfo ENOTFOUND sessions.test"), { code: "ENOTFOUND" });
    };
    await expect.poll(() => failed, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(sessions.balancer.endpoints).toHaveLength(3);
    await sessions.createSession(balanced);
    answer = () => [];
    failed = 0;
    await expect.poll(() => sessions.balancer.endpoints.length).toBe(3);
    await sessions.createSession(balanced);
  });

  it("fails a call with UNAVAILABLE naming the host when the first resolution fails", async () => {
    await using sessions = client(
      clientTransports[2]?.[1] ?? {},
      () => {
        throw Object.assign(new Error("getaddrinfo ENOTFOUND sessions.test"), {
          code: "ENOTFOUND",
        });
      },
      { maxRetries: 0 },
    );
    await expect(sessions.createSession(balanced)).rejects.toMatchObject({
      code: Code.Unavailable,
      rawMessage: expect.stringMatching(/could not resolve sessions\.test: getaddrinfo ENOTFOUND/),
    });
  });
});
