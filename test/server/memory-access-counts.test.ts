// GetMemory and BatchGetMemories are reads: they answer with the counts as stored, take no row
// lock, and their accesses are written after they answer, in batches, and at the latest when the
// server closes. On every engine, against the real services.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import {
  describeEachStore,
  describeOnPostgres,
  dropSchema,
  uniqueSchema,
} from "../support/stores.js";

const now = Date.UTC(2030, 0, 1);

type Counted = { access_count: number; last_accessed_at: number | null };

describeEachStore("access counts", (store) => {
  let dataDir = "";
  let drop = async () => {};
  let options: Parameters<typeof startServices>[0] = {};
  /** The stored count and time of `id`'s accesses, read past the services. */
  let stored: (id: string) => Promise<Counted>;

  beforeAll(async () => {
    const provisioned = await store.provision();
    drop = provisioned.drop;
    const database = provisioned.options.database;
    if (database === undefined) {
      dataDir = await mkdtemp(join(tmpdir(), "access-counts-"));
      options = { dataDir };
      stored = async (id) => {
        const db = new Database(join(dataDir, "memory.db"), { readonly: true });
        try {
          return db
            .prepare("SELECT access_count, last_accessed_at FROM memories WHERE id = ?")
            .get(id) as Counted;
        } finally {
          db.close();
        }
      };
    } else {
      options = { database };
      stored = async (id) => {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          const { rows } = await client.query<Counted>(
            `SELECT access_count::int, last_accessed_at::float8 AS last_accessed_at
               FROM ${database.schema}.memories WHERE id = $1`,
            [id],
          );
          return rows[0] as Counted;
        } finally {
          await client.end();
        }
      };
    }
  });
  afterAll(async () => {
    await drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Services on this file's storage, at a fixed time. */
  const serve = async () => {
    const services = await startServices({ ...options, now: () => now });
    return { services, memory: memoryClient(services) };
  };

  it("counts GetMemory and BatchGetMemories after they answer, each id each time", async () => {
    const { services, memory } = await serve();
    try {
      const scope = { user_id: crypto.randomUUID() };
      const a = (await memory.createMemory({ scope, fact: "a" })).memory?.id ?? "";
      const b = (await memory.createMemory({ scope, fact: "b" })).memory?.id ?? "";
      // A read does not see itself counted.
      const { memory: got } = await memory.getMemory({ id: a });
      expect(got?.accessCount).toBe(0n);
      expect(got?.lastAccessedAt).toBeUndefined();
      await memory.batchGetMemories({ ids: [a, b, a] });
      // ListMemories counts nothing, so it can watch the counts arrive.
      await vi.waitFor(
        async () => {
          const { memories } = await memory.listMemories({ scope });
          const counts = Object.fromEntries(memories.map((m) => [m.id, m.accessCount]));
          expect(counts).toEqual({ [a]: 3n, [b]: 1n });
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(await stored(a)).toEqual({ access_count: 3, last_accessed_at: now });
    } finally {
      await services.close();
    }
  });

  it("writes the counts of reads that answered before the server closed", async () => {
    const { services, memory } = await serve();
    const scope = { user_id: crypto.randomUUID() };
    let id = "";
    try {
      id = (await memory.createMemory({ scope, fact: "f" })).memory?.id ?? "";
      await memory.getMemory({ id });
      await memory.batchGetMemories({ ids: [id, id] });
    } finally {
      await services.close();
    }
    expect(await stored(id)).toEqual({ access_count: 3, last_accessed_at: now });
  });
});

describeOnPostgres("a read on PostgreSQL", (url) => {
  const schema = uniqueSchema();
  let services: RunningServices;
  let memory: Client<typeof MemoryService>;
  beforeAll(async () => {
    services = await startServices({ database: { url, schema } });
    memory = memoryClient(services);
  });
  afterAll(async () => {
    await services?.close();
    await dropSchema(url, schema);
  });

  it("answers GetMemory and BatchGetMemories while another transaction locks the memory", async () => {
    const scope = { user_id: crypto.randomUUID() };
    const id = (await memory.createMemory({ scope, fact: "locked" })).memory?.id ?? "";
    const other = (await memory.createMemory({ scope, fact: "free" })).memory?.id ?? "";
    const holder = new pg.Client({ connectionString: url });
    const watcher = new pg.Client({ connectionString: url });
    await Promise.all([holder.connect(), watcher.connect()]);
    try {
      await holder.query("BEGIN");
      await holder.query(`SELECT 1 FROM ${schema}.memories WHERE id = $1 FOR UPDATE`, [id]);
      const { rows } = await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      const waitsOnTheLock = blockedBy(watcher, rows[0]?.pid ?? 0);
      try {
        const [got, batch] = await Promise.race([
          Promise.all([memory.getMemory({ id }), memory.batchGetMemories({ ids: [other, id] })]),
          waitsOnTheLock.found,
        ]);
        expect(got.memory?.fact).toBe("locked");
        expect(batch.memories.map((m) => m.fact)).toEqual(["free", "locked"]);
      } finally {
        await waitsOnTheLock.stop();
      }
    } finally {
      await holder.query("ROLLBACK");
      await Promise.all([holder.end(), watcher.end()]);
    }
  });
});

function memoryClient(services: RunningServices): Client<typeof MemoryService> {
  return createClient(
    MemoryService,
    createConnectTransport({ baseUrl: services.memoryUrl, httpVersion: "1.1" }),
  );
}

/**
 * Watches for a backend that waits on a lock `pid` holds: `found` rejects when one does, so a
 * read that would block fails at once instead of at the test's timeout. `stop` ends the watch.
 */
function blockedBy(watcher: pg.Client, pid: number) {
  let watching = true;
  const watch = (async () => {
    while (watching) {
      const { rows } = await watcher.query(
        "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
        [pid],
      );
      if (rows.length > 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  })();
  const found = watch.then((blocked): Promise<never> => {
    if (blocked) throw new Error("a read waits for the row lock another transaction holds");
    return new Promise<never>(() => {});
  });
  return {
    found,
    stop: async () => {
      watching = false;
      await watch.catch(() => {});
    },
  };
}
