// What only the PostgreSQL store does: migrations shared by replicas, the two ways it ranks a
// search, and a database that goes away. The behaviour every store shares is in sessions.test.ts
// and memory.test.ts, which run on PostgreSQL too.
import { randomUUID } from "node:crypto";
import { createServer, type Server, Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { MemorySchema } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { EventSchema, SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { startServices } from "../../src/server/index.js";
import type { PostgresOptions } from "../../src/server/store/postgres/connection.js";
import { PostgresMemoryStore } from "../../src/server/store/postgres/memory-store.js";
import { PostgresSessionsStore } from "../../src/server/store/postgres/sessions-store.js";
import { closedPort } from "../support/closed-port.js";
import { rejection } from "../support/errors.js";
import { describeOnPostgres, dropSchema, uniqueSchema } from "../support/stores.js";

describeOnPostgres("the PostgreSQL store", (url) => {
  const schemas: string[] = [];
  const fresh = (extra: Partial<PostgresOptions> = {}): PostgresOptions => {
    const schema = uniqueSchema();
    schemas.push(schema);
    return { url, schema, ...extra };
  };
  afterAll(() => Promise.all(schemas.map((schema) => dropSchema(url, schema))));

  async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  it("migrates once when replicas start at the same moment, and they share one page-token key", async () => {
    const options = fresh();
    const stores = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        i % 2 === 0 ? PostgresSessionsStore.open(options) : PostgresMemoryStore.open(options),
      ),
    );
    try {
      const rows = await query<{ component: string; version: number }>(
        `SELECT component, version FROM ${options.schema}.schema_migrations ORDER BY component`,
      );
      expect(rows).toEqual([
        { component: "memory", version: 1 },
        { component: "sessions", version: 1 },
      ]);
      const [a, b, c, d] = stores.map((s) => Buffer.from(s.pageTokenKey).toString("hex"));
      expect(a).toBe(c);
      expect(b).toBe(d);
      expect(a).not.toBe(b);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("keeps serving when a newer replica adds a column to its tables", async () => {
    const options = fresh();
    const services = await startServices({ database: options });
    const sessions = sessionsClient(services.sessionsUrl);
    try {
      const scope = { user_id: randomUUID() };
      const exercise = async () => {
        const { session } = await sessions.createSession({ scope, title: "t" });
        const id = session?.id ?? "";
        await sessions.getSession({ id });
        await sessions.updateSessionState({ id, state: { a: 1 } });
        await sessions.createEvent({ sessionId: id, eventType: "m", requestId: randomUUID() });
        await sessions.listEvents({ sessionId: id });
        await sessions.listSessions({ scope });
        await sessions.endSession({ id });
      };
      await exercise(); // Prepares every statement on the pooled connections.
      await query(
        `ALTER TABLE ${options.schema}.sessions ADD COLUMN added_later text;
         ALTER TABLE ${options.schema}.events ADD COLUMN added_later text`,
      );
      await exercise();
    } finally {
      await services.close();
    }
  });

  it("refuses tables that a newer server migrated, and says what to do", async () => {
    const options = fresh();
    await (await PostgresSessionsStore.open(options)).close();
    await query(
      `UPDATE ${options.schema}.schema_migrations SET version = 99 WHERE component = 'sessions'`,
    );
    await expect(PostgresSessionsStore.open(options)).rejects.toThrow(
      /sessions tables of version 99, newer than this server knows \(1\): upgrade the server/,
    );
  });

  it("refuses a URL that is not postgres://, and a schema that is not a plain name", async () => {
    await expect(PostgresSessionsStore.open({ url: "mysql://localhost/db" })).rejects.toThrow(
      /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    await expect(PostgresSessionsStore.open({ url, schema: "Robert'); DROP" })).rejects.toThrow(
      /database schema "Robert'\); DROP" is not a plain lower-case SQL name/,
    );
  });

  it("says which database it cannot reach at start, without its password", async () => {
    const port = await closedPort();
    const error = (await PostgresMemoryStore.open({
      url: `postgres://contextiq:s3cret-password@127.0.0.1:${port}/contextiq`,
    }).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain(
      `cannot open the memory tables in postgres://contextiq:***@127.0.0.1:${port}/contextiq`,
    );
    expect(error.message).toContain(
      "the database is unavailable (ECONNREFUSED): check that PostgreSQL is running there and that DATABASE_URL names it",
    );
    expect(error.message).not.toContain("s3cret-password");
  });

  it("ranks a search the same with pgvector and without it", async (context) => {
    const options = fresh();
    const exact = await PostgresMemoryStore.open({ ...options, vectorSearch: "exact" });
    const auto = await PostgresMemoryStore.open(options);
    try {
      if (auto.vectorSchema === undefined) {
        context.skip("pgvector is not installed in this database: both stores rank here");
      }
      // Deterministic vectors of 3 and 8 dimensions, in two scopes and two topics, some deleted.
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31 - 0.5;
      };
      const now = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 1200; i++) {
        const memory = await exact.createMemory(
          create(MemorySchema, {
            id: randomUUID(),
            scope: { user_id: i % 2 === 0 ? "a" : "b" },
            fact: `fact ${i}`,
            topic: i % 3 === 0 ? "x" : "y",
            embedding: Array.from({ length: i % 5 === 0 ? 3 : 8 }, random),
            confidence: (i % 10) / 10,
            importance: 0.5,
            expiresAt: timestampFromMs(now + 60_000),
            createdAt: timestampFromMs(now),
            updatedAt: timestampFromMs(now),
          }),
          undefined,
          now,
        );
        ids.push(memory.id);
      }
      for (const id of ids.slice(0, 40)) await exact.deleteMemory(id, "test", now);
      for (let q = 0; q < 30; q++) {
        const query = {
          scope: { user_id: q % 2 === 0 ? "a" : "b" },
          topic: q % 3 === 0 ? "" : "y",
          embedding: Array.from({ length: q % 4 === 0 ? 3 : 8 }, random),
          minConfidence: (q % 4) / 10,
          limit: 1 + (q % 25),
          exact: false,
        };
        const here = await exact.searchMemories(query, now);
        const there = await auto.searchMemories(query, now);
        expect(there.map((r) => r.memory.id)).toEqual(here.map((r) => r.memory.id));
        there.forEach((r, i) => {
          expect(r.similarityScore).toBeCloseTo(here[i]?.similarityScore ?? Number.NaN, 5);
        });
        expect(here.length).toBe(query.limit);
      }
    } finally {
      await Promise.all([exact.close(), auto.close()]);
    }
  });

  it("answers UNAVAILABLE while the database is unreachable, and serves again once it is back", async () => {
    const proxy = await tcpProxy(new URL(url));
    const proxied = new URL(url);
    proxied.host = `127.0.0.1:${proxy.port}`;
    const services = await startServices({ database: fresh({ url: proxied.toString() }) });
    const sessions = sessionsClient(services.sessionsUrl);
    try {
      const { session } = await sessions.createSession({ title: "before" });
      proxy.cut(); // Drops every open connection and refuses new ones.
      const error = await rejection(
        sessions.getSession({ id: session?.id ?? "" }),
        Code.Unavailable,
      );
      expect(error.message).toMatch(/the database is unavailable/);
      await rejection(sessions.createSession({ title: "during" }), Code.Unavailable);
      expect((await fetch(`${services.sessionsUrl}/health/ready`)).status).toBe(503);
      proxy.restore();
      const { session: again } = await sessions.getSession({ id: session?.id ?? "" });
      expect(again?.title).toBe("before");
      expect((await fetch(`${services.sessionsUrl}/health/ready`)).status).toBe(200);
    } finally {
      await services.close();
      await proxy.close();
    }
  });

  it("survives the database ending a connection inside a transaction: that call is UNAVAILABLE, the next succeeds", async () => {
    const options = fresh();
    const services = await startServices({ database: options });
    const sessions = sessionsClient(services.sessionsUrl);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      const { session } = await sessions.createSession({ title: "locked" });
      const id = session?.id ?? "";
      // Holding the session's row lock makes the service's UpdateSessionState wait inside its
      // transaction; then the database ends that connection (as a restart or failover would).
      await holder.query("BEGIN");
      await holder.query(`SELECT 1 FROM "${options.schema}".sessions WHERE id = $1 FOR UPDATE`, [
        id,
      ]);
      const update = rejection(
        sessions.updateSessionState({ id, state: { a: 1 } }),
        Code.Unavailable,
      );
      let pid: number | undefined;
      while (pid === undefined) {
        // The connection that waits for the holder's lock.
        const { rows } = await holder.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))",
        );
        pid = rows[0]?.pid;
        if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await holder.query("SELECT pg_terminate_backend($1)", [pid]);
      expect((await update).message).toMatch(/the database is unavailable \(SQLSTATE 57P01\)/);
      await holder.query("ROLLBACK");
      const { session: updated } = await sessions.updateSessionState({ id, state: { b: 2 } });
      expect(updated?.state).toEqual({ b: 2 });
    } finally {
      await holder.end();
      await services.close();
    }
  });

  it("passes a store's ConnectError through and keeps nothing of the failed create", async () => {
    const options = fresh();
    const sessions = await PostgresSessionsStore.open(options);
    try {
      const event = create(EventSchema, {
        id: randomUUID(),
        sessionId: randomUUID(),
        eventType: "message",
      });
      const error = await sessions
        .createEvent(event, { requestId: randomUUID(), fingerprint: "f" }, Date.now)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.NotFound);
      const counts = await query<{ events: number; requests: number }>(
        `SELECT (SELECT count(*)::int FROM ${options.schema}.events) AS events,
                (SELECT count(*)::int FROM ${options.schema}.sessions_requests) AS requests`,
      );
      expect(counts).toEqual([{ events: 0, requests: 0 }]);
    } finally {
      await sessions.close();
    }
  });
});

/** A SessionsService client over Connect JSON on HTTP/1.1. */
function sessionsClient(baseUrl: string) {
  return createClient(SessionsService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
}

/** A TCP proxy to `target`'s host and port that can drop and refuse connections on demand. */
async function tcpProxy(target: URL) {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    upstream.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
