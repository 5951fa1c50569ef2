import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

/** Every table of every SQLite file in a data dir: its row count and a digest of its content. */
export type RowSnapshot = ReadonlyMap<string, { readonly rows: number; readonly digest: string }>;

/**
 * Reads the services' SQLite files read-only while they run. They are in WAL mode, so a reader
 * sees every committed write. The digest catches an update, which a count would miss.
 */
export function snapshotRows(dataDir: string): RowSnapshot {
  const snapshot = new Map<string, { rows: number; digest: string }>();
  for (const file of readdirSync(dataDir)
    .filter((f) => f.endsWith(".db"))
    .sort()) {
    const db = new Database(join(dataDir, file), { readonly: true, fileMustExist: true });
    try {
      const tables = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .all() as { name: string }[];
      for (const { name } of tables) {
        const rows = db
          .prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`)
          .raw()
          .all();
        const lines = rows.map((row) => JSON.stringify(row)).sort();
        const digest = createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 16);
        snapshot.set(`${file}/${name}`, { rows: rows.length, digest });
      }
    } finally {
      db.close();
    }
  }
  return snapshot;
}

/** The tables that differ, e.g. "sessions.db/sessions: 3 rows, now 4". */
export function changedTables(before: RowSnapshot, after: RowSnapshot): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  const changes: string[] = [];
  for (const name of [...names].sort()) {
    const a = before.get(name);
    const b = after.get(name);
    if (a === undefined || b === undefined) changes.push(`${name}: ${a ? "gone" : "new table"}`);
    else if (a.rows !== b.rows) changes.push(`${name}: ${a.rows} rows, now ${b.rows}`);
    else if (a.digest !== b.digest) changes.push(`${name}: ${a.rows} rows, content changed`);
  }
  return changes;
}

/** Total rows over all tables. */
export function totalRows(snapshot: RowSnapshot): number {
  return [...snapshot.values()].reduce((sum, t) => sum + t.rows, 0);
}
