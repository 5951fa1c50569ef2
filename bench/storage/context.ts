/** What a run happened on: the machine, and each engine's version and the settings that matter. */
import Database from "better-sqlite3";
import { redactedUrl } from "../../src/server/store/postgres/connection.js";
import { describeMachine, type Machine } from "../harness/machine.js";
import { describePostgres, type PostgresContext } from "./postgres.js";

export interface SqliteContext {
  readonly version: string;
  /** As src/server/store/sqlite/database.ts opens every database. */
  readonly journalMode: "WAL";
  readonly synchronous: "NORMAL";
  readonly pageSize: 16384;
}

export interface RunContext {
  readonly machine: Machine;
  readonly sqlite: SqliteContext;
  /** The server measured, or why PostgreSQL was skipped. */
  readonly postgres:
    | ({
        readonly skipped: false;
        /** Without its password. */
        readonly url: string;
        readonly urlSource: string;
      } & PostgresContext)
    | { readonly skipped: true; readonly reason: string };
}

function sqliteVersion(): string {
  const db = new Database(":memory:");
  try {
    const row = db.prepare("SELECT sqlite_version() AS version").get() as { version: string };
    return row.version;
  } finally {
    db.close();
  }
}

/** Read at the start of the run; fails when the PostgreSQL URL given does not answer. */
export async function describeContext(
  databaseUrl: string | undefined,
  urlSource: string,
): Promise<RunContext> {
  return {
    machine: describeMachine(),
    sqlite: {
      version: sqliteVersion(),
      journalMode: "WAL",
      synchronous: "NORMAL",
      pageSize: 16384,
    },
    postgres:
      databaseUrl === undefined
        ? { skipped: true, reason: urlSource }
        : {
            skipped: false,
            url: redactedUrl(databaseUrl),
            urlSource,
            ...(await describePostgres(databaseUrl)),
          },
  };
}
