import type pg from "pg";
import type { PostgresOptions } from "./connection.js";

/**
 * The schema where pgvector's `vector` type and `<=>` operator live, quoted for SQL, or undefined
 * when SearchMemories ranks in this process. With "auto", the extension is created when the server
 * has it but the database does not, and its absence is no error.
 */
export async function pgvectorSchema(
  client: pg.PoolClient,
  mode: NonNullable<PostgresOptions["vectorSearch"]>,
): Promise<string | undefined> {
  if (mode === "exact") return undefined;
  const installed = await installedIn(client);
  if (installed !== undefined) return installed;
  try {
    // In public, not the store's schema: dropping that schema must not take the extension along.
    await client.query("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public");
  } catch (error) {
    // A replica starting at the same moment may have created it (unique_violation).
    const again = await installedIn(client);
    if (again !== undefined) return again;
    if (mode === "pgvector") {
      throw new Error(
        `vectorSearch "pgvector" needs the vector extension, which this database lacks (${(error as Error).message}): install pgvector on the database server, or use vectorSearch "auto" to rank in the server without it`,
      );
    }
    return undefined;
  }
  return installedIn(client);
}

async function installedIn(client: pg.PoolClient): Promise<string | undefined> {
  const { rows } = await client.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
       WHERE e.extname = 'vector'`,
  );
  const schema = rows[0]?.schema;
  return schema === undefined ? undefined : `"${schema.replaceAll('"', '""')}"`;
}
