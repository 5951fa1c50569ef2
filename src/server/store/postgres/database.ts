import type pg from "pg";
import { asServiceError, conflicts, outcomeUnknown, sqlState } from "./service-errors.js";

/** Runs SQL written with `?` placeholders; each distinct text is prepared once per connection. */
export interface Sql {
  /** Every row. */
  all<T>(text: string, ...params: unknown[]): Promise<T[]>;
  /** The first row, or undefined. */
  one<T>(text: string, ...params: unknown[]): Promise<T | undefined>;
  /** How many rows the statement wrote. */
  run(text: string, ...params: unknown[]): Promise<number>;
}

/**
 * Sql outside a transaction: reads, and writes of one statement, whose errors are already the
 * caller's (see service-errors.ts).
 */
export interface Autocommit {
  /** For reads: a lost connection is UNAVAILABLE. */
  readonly read: Sql;
  /** For writes: a lost connection is UNKNOWN, since the statement may have been applied. */
  readonly write: Sql;
}

const transactionAttempts = 5;

/** Inside a transaction, errors stay as they are until it ends: see `transaction`. */
const inTransaction = (error: unknown) => error;

/**
 * A connection pool with transactions: `write` in READ COMMITTED, where writers take row locks
 * (SELECT ... FOR UPDATE) for what they read then change, and `read` in one REPEATABLE READ
 * snapshot, so a count and its page agree. A transaction that loses a deadlock runs again.
 * Errors that mean the database cannot be reached become UNAVAILABLE, which clients retry, but
 * UNKNOWN when the write may have been applied (its COMMIT lost the connection).
 */
export class PostgresDatabase {
  private readonly statements = new Map<string, { name: string; text: string }>();

  constructor(private readonly pool: pg.Pool) {}

  readonly autocommit: Autocommit = {
    read: this.sqlOn(() => this.pool, asServiceError),
    write: this.sqlOn(() => this.pool, outcomeUnknown),
  };

  write<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.transaction("BEGIN", fn, false);
  }

  read<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", fn, true);
  }

  /** Runs `fn` on one connection outside any transaction, e.g. for migrations. */
  async session<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  private async transaction<T>(
    begin: string,
    fn: (sql: Sql) => Promise<T>,
    readOnly: boolean,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      let broken: Error | undefined;
      let begun = false;
      try {
        await client.query(begin);
        begun = true;
        const result = await fn(this.sqlOn(() => client, inTransaction));
        try {
          await client.query("COMMIT");
        } catch (error) {
          broken = error as Error;
          // A read has its answer already; a write's outcome is now unknown.
          if (!readOnly) throw outcomeUnknown(error);
        }
        return result;
      } catch (error) {
        if (broken !== undefined) throw error; // COMMIT failed: nothing to roll back or repeat.
        await client.query("ROLLBACK").catch((rollback: Error) => {
          broken = rollback;
        });
        // Run again after a lost deadlock, or when a pooled connection turns out to be dead
        // before anything but BEGIN was sent on it.
        const again = begun ? conflicts.has(sqlState(error) ?? "") : broken !== undefined;
        if (attempt < transactionAttempts && again) continue;
        throw asServiceError(error);
      } finally {
        // A connection that failed its ROLLBACK is closed rather than reused.
        client.release(broken);
      }
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw asServiceError(error);
    }
  }

  /** Sql on `queryable`; its errors go through `failed` (a transaction maps them at its end). */
  private sqlOn(
    queryable: () => pg.Pool | pg.PoolClient,
    failed: (error: unknown) => unknown,
  ): Sql {
    const query = async (text: string, params: unknown[]) => {
      try {
        return await queryable().query({ ...this.prepared(text), values: params });
      } catch (error) {
        throw failed(error);
      }
    };
    return {
      all: async <T>(text: string, ...params: unknown[]) => (await query(text, params)).rows as T[],
      one: async <T>(text: string, ...params: unknown[]) =>
        (await query(text, params)).rows[0] as T | undefined,
      run: async (text: string, ...params: unknown[]) => (await query(text, params)).rowCount ?? 0,
    };
  }

  /** The prepared statement of `text`: one name for it on every connection, `$n` placeholders. */
  private prepared(text: string): { name: string; text: string } {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = { name: `s${this.statements.size}`, text: positional(text) };
      this.statements.set(text, statement);
    }
    return statement;
  }
}

/** SQL with `?` placeholders (as the SQLite stores write it) in PostgreSQL's `$1, $2, ...`. */
function positional(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}
