import { Code, ConnectError } from "@connectrpc/connect";
import type { PageQueries } from "../list-queries.js";
import type { StoreBase } from "../store.js";
import { connectionPool, type PostgresOptions, redactedUrl, schemaOf } from "./connection.js";
import { type Autocommit, PostgresDatabase, type Sql } from "./database.js";
import { migrate, sharedPageTokenKey } from "./migrations.js";

/** A store's database, opened: migrated, with its page-token key, and whatever `prepare` made. */
export interface OpenedDatabase<Extra> {
  readonly database: PostgresDatabase;
  /** The schema of the tables, quoted for SQL. */
  readonly schema: string;
  readonly pageTokenKey: Uint8Array;
  readonly extra: Extra;
}

/**
 * Opens `component`'s tables in the database `options` name: connects, migrates, reads the
 * shared page-token key, then runs `prepare` on the same connection. A failure closes the pool.
 */
export async function openDatabase<Extra>(
  options: PostgresOptions,
  component: string,
  migrations: readonly string[],
  prepare: (client: import("pg").PoolClient) => Promise<Extra>,
): Promise<OpenedDatabase<Extra>> {
  const schema = schemaOf(options);
  const database = new PostgresDatabase(connectionPool(options, `contextiq-${component}`));
  try {
    return await database.session(async (client) => {
      await migrate(client, schema, component, migrations);
      const pageTokenKey = await sharedPageTokenKey(client, schema, component);
      return { database, schema: `"${schema}"`, pageTokenKey, extra: await prepare(client) };
    });
  } catch (error) {
    await database.close();
    const unreachable = error instanceof ConnectError && error.code === Code.Unavailable;
    const reason =
      error instanceof ConnectError
        ? error.rawMessage
        : error instanceof Error
          ? error.message
          : String(error);
    const hint = unreachable
      ? ": check that PostgreSQL is running there and that DATABASE_URL names it"
      : "";
    throw new Error(
      `cannot open the ${component} tables in ${redactedUrl(options.url)}, schema ${schema}: ${reason}${hint}`,
      { cause: error },
    );
  }
}

/**
 * What the PostgreSQL stores share. Every replica of a service runs on the same tables, so a
 * method is one transaction that holds row locks on what it reads then changes: replicas never
 * lose a counter update or write a create twice.
 */
export abstract class PostgresStore implements StoreBase {
  readonly pageTokenKey: Uint8Array;
  protected readonly db: PostgresDatabase;
  /** The schema of the tables, quoted for SQL, for names that must not depend on search_path. */
  protected readonly schema: string;
  /** Statements outside a transaction, for reads of one row and writes of one statement. */
  protected readonly sql: Autocommit;

  protected constructor(opened: OpenedDatabase<unknown>) {
    this.db = opened.database;
    this.schema = opened.schema;
    this.sql = opened.database.autocommit;
    this.pageTokenKey = opened.pageTokenKey;
  }

  /** The count and the rows of a page; call inside `db.read`, so that both see one snapshot. */
  protected async page<Row>(
    sql: Sql,
    queries: PageQueries,
  ): Promise<{ total: number; rows: Row[] }> {
    const counted = await sql.one<{ total: number }>(queries.count.text, ...queries.count.params);
    return {
      total: counted?.total ?? 0,
      rows: await sql.all<Row>(queries.rows.text, ...queries.rows.params),
    };
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.sql.read.one("SELECT 1 AS ok")) !== undefined;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
