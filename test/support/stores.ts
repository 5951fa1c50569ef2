// The storage engines the behavioural suites run on: SQLite always, PostgreSQL when
// TEST_DATABASE_URL names a database (`.ci/run` starts one). Each PostgreSQL fixture gets a schema
// of its own, dropped afterwards, so test files running at once never see each other's rows.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, it } from "vitest";
import type { StartServicesOptions } from "../../src/server/index.js";
import { skippedWithoutDatabase, testDatabaseUrl } from "./test-database.js";

/** A storage engine for the services under test. */
export interface TestStore {
  readonly name: string;
  /** Why this engine's suites are skipped, or undefined when they run. */
  readonly unavailable?: string;
  /** Fresh, empty storage: the options that select it, and how to remove it afterwards. */
  provision(): Promise<ProvisionedStore>;
}

export interface ProvisionedStore {
  readonly options: Pick<StartServicesOptions, "database">;
  drop(): Promise<void>;
}

const sqlite: TestStore = {
  name: "SQLite",
  provision: async () => ({ options: {}, drop: async () => {} }),
};

const postgres: TestStore = {
  name: "PostgreSQL",
  ...(testDatabaseUrl ? {} : { unavailable: skippedWithoutDatabase }),
  provision: async () => {
    const url = testDatabaseUrl ?? "";
    const schema = uniqueSchema();
    return {
      options: { database: { url, schema } },
      drop: () => dropSchema(url, schema),
    };
  },
};

export const testStores: readonly TestStore[] = [sqlite, postgres];

/** A schema name no other fixture uses. */
export function uniqueSchema(): string {
  return `test_${randomBytes(6).toString("hex")}`;
}

/** Removes `schema` and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * `body` once per engine, inside a describe named after it; an engine that is unavailable gets a
 * skipped test whose name says why, so the report shows what did not run.
 */
export function describeEachStore(title: string, body: (store: TestStore) => void): void {
  for (const store of testStores) describeOn(store, `${title} on ${store.name}`, () => body(store));
}

/** `body` on PostgreSQL alone, or a skipped test saying why; `url` is TEST_DATABASE_URL. */
export function describeOnPostgres(title: string, body: (url: string) => void): void {
  describeOn(postgres, title, () => body(testDatabaseUrl ?? ""));
}

function describeOn(store: TestStore, title: string, body: () => void): void {
  if (store.unavailable) {
    describe.skip(title, () => {
      it(`is skipped: ${store.unavailable}`, () => {});
    });
  } else {
    describe(title, body);
  }
}
