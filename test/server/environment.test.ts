// `contextiq serve`'s environment: where the services listen and keep their data. A malformed
// value is an error that names the variable.
import { describe, expect, it } from "vitest";
import { readServeEnvironment } from "../../src/server/environment.js";

describe("readServeEnvironment", () => {
  it("keeps the data in SQLite unless DATABASE_URL is set", () => {
    const env = readServeEnvironment({});
    expect(env.dataDir).toBe(".contextiq");
    expect(env.database).toBeUndefined();
  });

  it("takes DATABASE_URL and CONTEXTIQ_DATABASE_SCHEMA for PostgreSQL", () => {
    expect(
      readServeEnvironment({
        DATABASE_URL: "postgresql://app:pw@db:5432/contextiq",
        CONTEXTIQ_DATABASE_SCHEMA: "tenant_a",
      }).database,
    ).toEqual({ url: "postgresql://app:pw@db:5432/contextiq", schema: "tenant_a" });
    expect(readServeEnvironment({ DATABASE_URL: "postgres://db/contextiq" }).database).toEqual({
      url: "postgres://db/contextiq",
    });
  });

  it("refuses a DATABASE_URL that is not postgres://, without echoing it", () => {
    expect(() => readServeEnvironment({ DATABASE_URL: "mysql://root:pw@db/x" })).toThrow(
      /^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    expect(() => readServeEnvironment({ DATABASE_URL: "mysql://root:pw@db/x" })).not.toThrow(/pw/);
    expect(() => readServeEnvironment({ DATABASE_URL: "localhost 5432" })).toThrow(
      /^DATABASE_URL is not a URL; expected e\.g\. postgres:\/\//,
    );
  });

  it("refuses a schema that is not a plain lower-case name, or is PostgreSQL's own", () => {
    expect(() =>
      readServeEnvironment({ DATABASE_URL: "postgres://db/x", CONTEXTIQ_DATABASE_SCHEMA: "A-b" }),
    ).toThrow(/^CONTEXTIQ_DATABASE_SCHEMA: "A-b" is not a plain lower-case SQL name/);
    expect(() =>
      readServeEnvironment({
        DATABASE_URL: "postgres://db/x",
        CONTEXTIQ_DATABASE_SCHEMA: "pg_catalog",
      }),
    ).toThrow(/starts with pg_, reserved by PostgreSQL/);
  });
});
