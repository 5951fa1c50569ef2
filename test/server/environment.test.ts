// `contextiq serve`'s environment: where the services listen and keep their data. A malformed
// value is an error that names the variable.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors/invalid-option-error.js";
import { readServeEnvironment } from "../../src/server/environment.js";

/** Why readServeEnvironment refuses `env`: an InvalidOptionError naming a variable, its words. */
function refusal(env: NodeJS.ProcessEnv): string {
  try {
    readServeEnvironment(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ fromEnvironment: true });
    return (error as InvalidOptionError).rawMessage;
  }
  throw new Error("expected the environment to be refused");
}

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
    expect(refusal({ DATABASE_URL: "mysql://root:pw@db/x" })).toMatch(
      /^DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
    expect(refusal({ DATABASE_URL: "mysql://root:pw@db/x" })).not.toMatch(/pw/);
    expect(refusal({ DATABASE_URL: "localhost 5432" })).toMatch(
      /^DATABASE_URL is not a URL; expected e\.g\. postgres:\/\//,
    );
  });

  it("refuses a schema that is not a plain lower-case name, or is PostgreSQL's own", () => {
    expect(refusal({ DATABASE_URL: "postgres://db/x", CONTEXTIQ_DATABASE_SCHEMA: "A-b" })).toMatch(
      /^CONTEXTIQ_DATABASE_SCHEMA: "A-b" is not a plain lower-case SQL name/,
    );
    expect(
      refusal({
        DATABASE_URL: "postgres://db/x",
        CONTEXTIQ_DATABASE_SCHEMA: "pg_catalog",
      }),
    ).toMatch(/starts with pg_, reserved by PostgreSQL/);
  });

  it("serves HTTPS with CONTEXTIQ_TLS_CERT_FILE and _KEY_FILE, on https:// URLs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "contextiq-serve-tls-"));
    try {
      const cert = join(dir, "cert.pem");
      const key = join(dir, "key.pem");
      await writeFile(cert, "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n");
      await writeFile(key, "-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n");
      const tlsEnv = { CONTEXTIQ_TLS_CERT_FILE: cert, CONTEXTIQ_TLS_KEY_FILE: key };
      const env = readServeEnvironment(tlsEnv);
      expect(String(env.tls?.cert)).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(env.tls?.clientCa).toBeUndefined();
      expect(env.sessions).toEqual({ host: "127.0.0.1", port: 8001 });
      expect(
        readServeEnvironment({ ...tlsEnv, CONTEXTIQ_TLS_CLIENT_CA_FILE: cert }).tls?.clientCa,
      ).toBeDefined();
      expect(refusal({ ...tlsEnv, SESSIONS_SERVICE_URL: "http://0.0.0.0:9001" })).toMatch(
        /^SESSIONS_SERVICE_URL="http:\/\/0\.0\.0\.0:9001": TLS is on .* must be https:\/\//,
      );
      expect(refusal({ SESSIONS_SERVICE_URL: "https://0.0.0.0:9001" })).toMatch(
        /https:\/\/ needs CONTEXTIQ_TLS_CERT_FILE and CONTEXTIQ_TLS_KEY_FILE/,
      );
      expect(refusal({ CONTEXTIQ_TLS_CERT_FILE: cert })).toMatch(
        /^TLS needs both CONTEXTIQ_TLS_CERT_FILE and CONTEXTIQ_TLS_KEY_FILE$/,
      );
      expect(refusal({ CONTEXTIQ_TLS_CLIENT_CA_FILE: cert })).toMatch(
        /^CONTEXTIQ_TLS_CLIENT_CA_FILE needs TLS/,
      );
      expect(refusal({ ...tlsEnv, CONTEXTIQ_TLS_KEY_FILE: cert })).toMatch(
        /^CONTEXTIQ_TLS_KEY_FILE: ".*cert\.pem" must be PEM text with a "-----BEGIN PRIVATE KEY-----" block$/,
      );
      expect(refusal({ ...tlsEnv, CONTEXTIQ_TLS_CERT_FILE: join(dir, "gone.pem") })).toMatch(
        /^CONTEXTIQ_TLS_CERT_FILE: cannot read ".*gone\.pem" \(ENOENT\)$/,
      );
      // Secrets are often injected as text: a key where its path belongs is never quoted.
      const keyText = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
      expect(refusal({ ...tlsEnv, CONTEXTIQ_TLS_KEY_FILE: keyText })).toMatch(
        /^CONTEXTIQ_TLS_KEY_FILE: cannot read \(a value holding PEM text, not a file path\) \(ENOENT\)$/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
