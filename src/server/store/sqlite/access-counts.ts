import type { Statement } from "better-sqlite3";
import type { Accesses } from "../access-counts.js";
import type { Db } from "./database.js";

/** Adds `accesses` to the stored counts in one transaction; deleted memories are not counted. */
export function writeAccessCounts(
  db: Db,
  sql: (text: string) => Statement,
): (accesses: Accesses) => Promise<void> {
  return async (accesses) => {
    db.transaction(() => {
      const add = sql(
        `UPDATE memories SET access_count = access_count + ?,
           last_accessed_at = max(coalesce(last_accessed_at, 0), ?)
         WHERE id = ? AND deleted_at IS NULL`,
      );
      for (const [id, { count, at }] of accesses) add.run(count, at, id);
    }).immediate();
  };
}
