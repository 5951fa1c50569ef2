// The PostgreSQL database the storage suites use, from TEST_DATABASE_URL, and why they skip
// without one. No vitest import: the global setup reads this too.

/** The database the PostgreSQL suites use, if any. */
export const testDatabaseUrl = process.env["TEST_DATABASE_URL"] || undefined;

export const skippedWithoutDatabase =
  "TEST_DATABASE_URL is not set: set it to a postgres:// URL of a database the tests may create schemas in (.ci/run starts one with .ci/postgres)";
