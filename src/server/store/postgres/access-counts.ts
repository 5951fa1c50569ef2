import type { Accesses } from "../access-counts.js";
import type { PostgresDatabase } from "./database.js";

/**
 * Adds `accesses` to the stored counts in one transaction. It locks the rows first, in id order
 * as every writer does, so that it cannot deadlock with a writer or another replica's flush (and
 * db.write runs it again if it loses one anyway). Deleted memories are not counted.
 */
export function writeAccessCounts(db: PostgresDatabase): (accesses: Accesses) => Promise<void> {
  return (accesses) =>
    db.write(async (sql) => {
      const ids = [...accesses.keys()];
      await sql.run(
        `SELECT m.id FROM memories m WHERE m.id = ANY(?::text[]) AND m.deleted_at IS NULL
           ORDER BY m.id FOR UPDATE`,
        ids,
      );
      const counted = [...accesses.values()];
      await sql.run(
        `UPDATE memories m SET access_count = m.access_count + c.n,
             last_accessed_at = GREATEST(COALESCE(m.last_accessed_at, 0), c.at)
           FROM unnest(?::text[], ?::bigint[], ?::bigint[]) AS c (id, n, at)
           WHERE m.id = c.id AND m.deleted_at IS NULL`,
        ids,
        counted.map((access) => access.count),
        counted.map((access) => access.at),
      );
    });
}
