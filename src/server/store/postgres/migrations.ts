import { randomBytes } from "node:crypto";
import type pg from "pg";

/**
 * Brings `component`'s tables in `schema` up to date: `migrations[i]` moves them from version i
 * to i + 1, recorded in `schema_migrations`. All of it runs in one transaction under an advisory
 * lock, so replicas starting together migrate once, and a failed migration leaves nothing half
 * done. A schema newer than this server knows is refused: an old replica must not write to it.
 */
export async function migrate(
  client: pg.PoolClient,
  schema: string,
  component: string,
  migrations: readonly string[],
): Promise<void> {
  const quoted = `"${schema}"`;
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
      `contextiq.migrate.${schema}`,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    // The connection's search_path names the schema; set it again now that the schema exists.
    await client.query(`SET LOCAL search_path TO ${quoted}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${quoted}.schema_migrations (
        component   text PRIMARY KEY,
        version     integer NOT NULL,
        migrated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS ${quoted}.settings (key text PRIMARY KEY, value bytea NOT NULL);
    `);
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${quoted}.schema_migrations WHERE component = $1`,
      [component],
    );
    const current = rows[0]?.version ?? 0;
    if (current > migrations.length) {
      throw new Error(
        `schema ${schema} holds ${component} tables of version ${current}, newer than this server knows (${migrations.length}): upgrade the server`,
      );
    }
    for (const sql of migrations.slice(current)) await client.query(sql);
    await client.query(
      `INSERT INTO ${quoted}.schema_migrations (component, version) VALUES ($1, $2)
         ON CONFLICT (component) DO UPDATE SET version = excluded.version, migrated_at = now()`,
      [component, migrations.length],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/**
 * The key that signs `component`'s page tokens: made by the first replica, read by the others,
 * so that a page token from one replica works on every other and after restarts.
 */
export async function sharedPageTokenKey(
  client: pg.PoolClient,
  schema: string,
  component: string,
): Promise<Uint8Array> {
  const key = `${component}.page_token_key`;
  const quoted = `"${schema}"`;
  await client.query(
    `INSERT INTO ${quoted}.settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
    [key, randomBytes(32)],
  );
  const { rows } = await client.query<{ value: Buffer }>(
    `SELECT value FROM ${quoted}.settings WHERE key = $1`,
    [key],
  );
  const value = rows[0]?.value;
  if (!value) throw new Error(`${schema}.settings lost ${key}`);
  return value;
}
