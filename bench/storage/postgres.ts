/** The PostgreSQL side of a run: fresh schemas, dropped afterwards, and the server's settings. */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { onCleanup } from "./cleanup.js";

/** What the report records about the server: its figures depend on these. */
export interface PostgresContext {
  readonly version: string;
  /** pgvector's installed version, or "not installed". */
  readonly pgvector: string;
  /** From `SHOW`: they change write throughput a lot. */
  readonly fsync: string;
  readonly synchronousCommit: string;
  readonly sharedBuffers: string;
  /** They decide whether an HNSW build runs in memory and in parallel: its time. */
  readonly maintenanceWorkMem: string;
  readonly maxParallelMaintenanceWorkers: string;
}

/** A connection of its own for `use`, closed after. */
export async function withClient<T>(
  url: string,
  use: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: "bench-storage" });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function show(client: pg.Client, setting: string): Promise<string> {
  const { rows } = await client.query<Record<string, string>>(`SHOW ${setting}`);
  return rows[0]?.[setting] ?? "unknown";
}

export function describePostgres(url: string): Promise<PostgresContext> {
  return withClient(url, async (client) => {
    const version = await client.query<{ version: string }>("SELECT version()");
    const vector = await client.query<{ extversion: string }>(
      "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
    );
    const available = await client.query<{ default_version: string }>(
      "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'",
    );
    const availableVersion = available.rows[0]?.default_version;
    return {
      version: version.rows[0]?.version ?? "unknown",
      pgvector:
        vector.rows[0]?.extversion ??
        (availableVersion === undefined
          ? "not installed"
          : `not installed (${availableVersion} available: the store creates it)`),
      fsync: await show(client, "fsync"),
      synchronousCommit: await show(client, "synchronous_commit"),
      sharedBuffers: await show(client, "shared_buffers"),
      maintenanceWorkMem: await show(client, "maintenance_work_mem"),
      maxParallelMaintenanceWorkers: await show(client, "max_parallel_maintenance_workers"),
    };
  });
}

/**
 * A schema name no one else uses, e.g. "bench_creates_3f9a0c21d4e8", to be created by the stores
 * and dropped with everything in it when the run ends.
 */
export function freshSchema(url: string, purpose: string): string {
  const schema = `bench_${purpose}_${randomBytes(6).toString("hex")}`;
  onCleanup(`DROP SCHEMA ${schema}`, () => dropSchema(url, schema));
  return schema;
}

function dropSchema(url: string, schema: string): Promise<void> {
  return withClient(url, async (client) => {
    // A query of ours still running (after Ctrl-C) would hold the drop up; better to say so.
    await client.query("SET lock_timeout = '10s'");
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
}
