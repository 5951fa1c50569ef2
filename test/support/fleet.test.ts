// The fleet the load-balancing tests run on: its per-replica counts are exact, a slowed replica
// answers late, a killed one refuses connections until it is started again, and a replica added
// later takes the third address.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { promisify } from "node:util";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { type Fleet, startFleet } from "./fleet.js";
import { describeOnPostgres } from "./stores.js";

const sessionsPath = "/contextiq.sessions.v1.SessionsService";
const slowMs = 50;

/** A gRPC client of `url`'s Sessions service on a connection of its own, and its closer. */
function grpcSessions(url: string) {
  const sessionManager = new Http2SessionManager(url);
  const client = createClient(
    SessionsService,
    createGrpcTransport({ baseUrl: url, sessionManager }),
  );
  return { client, close: () => sessionManager.abort() };
}

/** POSTs a Connect JSON call with curl (HTTP/1.1, or HTTP/2 with prior knowledge): its status. */
async function curl(url: string, method: string, body: object, http2 = false): Promise<string> {
  const { stdout } = await promisify(execFile)("curl", [
    "-sS",
    ...(http2 ? ["--http2-prior-knowledge"] : []),
    "-o",
    "/dev/null",
    "-w",
    "%{http_code} %{http_version}",
    "-H",
    "content-type: application/json",
    "-d",
    JSON.stringify(body),
    `${url}${sessionsPath}/${method}`,
  ]);
  return stdout;
}

/** Whether a TCP connection to `url`'s host and port is refused. */
function refuses(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

describeOnPostgres("a fleet of replicas on one database", (url) => {
  let fleet: Fleet;
  const closers: (() => void)[] = [];

  beforeAll(async () => {
    // Two at first, the second slowed: the third address is left for addReplica.
    fleet = await startFleet({ databaseUrl: url, count: 2, slowMs: [0, slowMs] });
  }, 120_000);

  afterAll(async () => {
    for (const close of closers) close();
    await fleet?.close();
  }, 30_000);

  it("listens on one address per replica, on the same ports", () => {
    expect(fleet.replicas.map((r) => r.sessionsUrl)).toEqual([
      `http://127.0.0.1:${fleet.sessionsPort}`,
      `http://127.0.0.2:${fleet.sessionsPort}`,
    ]);
    expect(fleet.replicas.map((r) => r.memoryUrl)).toEqual([
      `http://127.0.0.1:${fleet.memoryPort}`,
      `http://127.0.0.2:${fleet.memoryPort}`,
    ]);
  });

  it("counts exactly the calls each replica was sent, by path, whatever the protocol", async () => {
    await fleet.resetCounts();
    const [first, second] = fleet.replicas.map((r) => grpcSessions(r.sessionsUrl));
    closers.push(
      () => first?.close(),
      () => second?.close(),
    );
    const scope = { user_id: randomUUID() };
    for (let i = 0; i < 5; i++)
      await first?.client.createSession({ scope, requestId: randomUUID() });
    for (let i = 0; i < 3; i++) await second?.client.listSessions({ scope });
    const statuses = [
      await curl(fleet.replicas[0]?.sessionsUrl ?? "", "GetSession", { id: randomUUID() }),
      await curl(fleet.replicas[1]?.sessionsUrl ?? "", "ListSessions", { scope }),
      await curl(fleet.replicas[1]?.sessionsUrl ?? "", "ListSessions", { scope }, true),
    ];
    expect(statuses).toEqual(["404 1.1", "200 1.1", "200 2"]);

    expect(await fleet.served(0)).toEqual(
      new Map([
        [`${sessionsPath}/CreateSession`, 5],
        [`${sessionsPath}/GetSession`, 1],
      ]),
    );
    expect(await fleet.served(1)).toEqual(new Map([[`${sessionsPath}/ListSessions`, 5]]));
    expect(await fleet.totalServed(1)).toBe(5);

    await fleet.resetCounts();
    expect(await fleet.totalServed(0)).toBe(0);
    expect(await fleet.totalServed(1)).toBe(0);
  });

  it("answers at least slowMs later from the slowed replica", async () => {
    const [normal, slow] = fleet.replicas.map((r) => grpcSessions(r.sessionsUrl));
    closers.push(
      () => normal?.close(),
      () => slow?.close(),
    );
    const scope = { user_id: randomUUID() };
    const durations: [number[], number[]] = [[], []];
    // Alternating, so that a noisy moment falls on both.
    for (let i = 0; i < 12; i++) {
      for (const [j, client] of [normal, slow].entries()) {
        const started = performance.now();
        await client?.client.listSessions({ scope });
        durations[j]?.push(performance.now() - started);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
    // Every answer of the slowed replica came at least slowMs after its call was sent.
    expect(Math.min(...durations[1])).toBeGreaterThanOrEqual(slowMs);
    expect(median(durations[1])).toBeGreaterThan(median(durations[0]));
  });

  it("holds a slowed replica's answers, so that a kill catches the call it received", async () => {
    expect(() => fleet.hold(0)).toThrow(/not running slowed/);
    const { client, close } = grpcSessions(fleet.replicas[1]?.sessionsUrl ?? "");
    closers.push(close);
    const scope = { user_id: randomUUID() };
    await client.listSessions({ scope });
    fleet.hold(1);
    const before = await fleet.totalServed(1);
    const call = client.listSessions({ scope }).then(
      () => "answered",
      (error) => `failed: ${ConnectError.from(error).message}`,
    );
    // Each check is a round trip to the replica's process, not a spin.
    while ((await fleet.totalServed(1)) === before);
    await fleet.kill(1);
    expect(await call).toMatch(/^failed/);
    await fleet.start(1);
    await client.listSessions({ scope });
  }, 60_000);

  it("refuses connections on a killed replica's address, and answers again once it is started", async () => {
    for (const i of [0, 1]) {
      const replica = fleet.replicas[i];
      await fleet.kill(i);
      expect(replica?.pid).toBeUndefined();
      expect(await refuses(replica?.sessionsUrl ?? "")).toBe(true);
      expect(await refuses(replica?.memoryUrl ?? "")).toBe(true);

      await fleet.resetCounts();
      await fleet.start(i);
      expect(replica?.pid).toBeTypeOf("number");
      const { client, close } = grpcSessions(replica?.sessionsUrl ?? "");
      try {
        await client.listSessions({ scope: { user_id: randomUUID() } });
      } finally {
        close();
      }
      expect(await fleet.served(i)).toEqual(new Map([[`${sessionsPath}/ListSessions`, 1]]));
    }
  }, 120_000);

  it("adds a replica at the next address, counted like the others", async () => {
    const added = await fleet.addReplica();
    expect(added.index).toBe(2);
    expect(added.sessionsUrl).toBe(`http://127.0.0.3:${fleet.sessionsPort}`);
    expect(await curl(added.sessionsUrl, "ListSessions", { scope: { a: "b" } })).toBe("200 1.1");
    expect(await fleet.served(2)).toEqual(new Map([[`${sessionsPath}/ListSessions`, 1]]));
    await expect(fleet.addReplica()).rejects.toThrow(/at most 3 replicas/);
  }, 60_000);
});
