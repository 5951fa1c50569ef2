import { Code, ConnectError } from "@connectrpc/connect";
import type pg from "pg";

/** Runs SQL written with `?` placeholders; each distinct text is prepared once per connection. */
export interface Sql {
  /** Every row. */
  all<T>(text: string, ...params: unknown[]): Promise<T[]>;
  /** The first row, or undefined. */
  one<T>(text: string, ...params: unknown[]): Promise<T | undefined>;
  /** How many rows the statement wrote. */
  run(text: string, ...params: unknown[]): Promise<number>;
}

/** SQLSTATEs after which the whole transaction can run again: nothing of it was kept. */
const conflicts = new Set(["40001", "40P01"]); // serialization_failure, deadlock_detected
const transactionAttempts = 5;

/** Inside a transaction, errors stay as they are until it ends: see `transaction`. */
const inTransaction = (error: unknown) => error;

/**
 * A connection pool with transactions: `write` in READ COMMITTED, where writers take row locks
 * (SELECT ... FOR UPDATE) for what they read then change, and `read` in one REPEATABLE READ
 * snapshot, so a count and its page agree. A transaction that loses a deadlock runs again.
 * Errors that mean the database cannot be reached become UNAVAILABLE, which clients retry.
 */
export class PostgresDatabase {
  private readonly statements = new Map<string, { name: string; text: string }>();

  constructor(private readonly pool: pg.Pool) {}

  /** Statements outside a transaction, for single reads and single writes. */
  readonly autocommit: Sql = this.sqlOn(() => this.pool, asServiceError);

  write<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.transaction("BEGIN", fn);
  }

  read<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", fn);
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

  private async transaction<T>(begin: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      let broken: Error | undefined;
      let begun = false;
      try {
        await client.query(begin);
        begun = true;
        const result = await fn(this.sqlOn(() => client, inTransaction));
        await client.query("COMMIT");
        return result;
      } catch (error) {
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
export function positional(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Node's codes for a connection that could not be made or was lost. */
const connectionErrors = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);

/**
 * The error a caller should see: ConnectErrors as they are; a database that cannot be reached or
 * that went away (connection errors, SQLSTATE class 08, shutdown, too many connections, the
 * pool's wait running out) as UNAVAILABLE with the cause kept; a conflict still unresolved after
 * several attempts as ABORTED; anything else unchanged (INTERNAL, and logged).
 */
export function asServiceError(error: unknown): unknown {
  if (error instanceof ConnectError) return error;
  const state = sqlState(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (state !== undefined && conflicts.has(state)) {
    return new ConnectError(
      `the database kept aborting the transaction (${message}); try again`,
      Code.Aborted,
      undefined,
      undefined,
      error,
    );
  }
  const unreachable =
    (typeof code === "string" && connectionErrors.has(code)) ||
    state?.startsWith("08") ||
    state === "57P01" || // admin_shutdown
    state === "57P02" || // crash_shutdown
    state === "57P03" || // cannot_connect_now
    state === "53300" || // too_many_connections
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      message,
    );
  if (unreachable) {
    return new ConnectError(
      `the database is unavailable: ${message}`,
      Code.Unavailable,
      undefined,
      undefined,
      error,
    );
  }
  return error;
}
