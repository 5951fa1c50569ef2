import type { Statement } from "better-sqlite3";
import type { PageQueries } from "../list-queries.js";
import type { StoreBase } from "../store.js";
import { type Db, openDatabase, pageTokenKey, statementCache } from "./database.js";

/**
 * What the SQLite stores share: one database (a file, or ":memory:") brought up to date by
 * `migrations`, cached statements, and transactions. Every store method runs one synchronous
 * transaction, so calls in this process are serialized; BEGIN IMMEDIATE and the busy timeout
 * serialize writers across processes sharing the file.
 */
export abstract class SqliteStore implements StoreBase {
  readonly pageTokenKey: Uint8Array;
  protected readonly db: Db;
  protected readonly sql: (text: string) => Statement;

  constructor(path: string, migrations: readonly string[], prepare?: (db: Db) => void) {
    this.db = openDatabase(path, migrations, prepare);
    this.sql = statementCache(this.db);
    this.pageTokenKey = pageTokenKey(this.db);
  }

  async ready(): Promise<boolean> {
    return this.db.open && this.sql("SELECT 1 AS ok").get() !== undefined;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` in a transaction that takes the write lock at once. */
  protected write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** The count and the rows of a page; call inside `read`, so that both see one snapshot. */
  protected page<Row>(queries: PageQueries): { total: number; rows: Row[] } {
    const { total } = this.sql(queries.count.text).get(...queries.count.params) as {
      total: number;
    };
    return { total, rows: this.sql(queries.rows.text).all(...queries.rows.params) as Row[] };
  }

  /** Runs `fn` in a read transaction: one consistent snapshot for a count and a page. */
  protected read<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
