// `contextiq serve`'s environment: where the services listen and keep their data. A malformed
// value is an error that names the variable.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
      expect(() =>
        readServeEnvironment({ ...tlsEnv, SESSIONS_SERVICE_URL: "http://0.0.0.0:9001" }),
      ).toThrow(
        /^SESSIONS_SERVICE_URL="http:\/\/0\.0\.0\.0:9001": TLS is on .* must be https:\/\//,
      );
      expect(() => readServeEnvironment({ SESSIONS_SERVICE_URL: "https://0.0.0.0:9001" })).toThrow(
        /https:\/\/ needs CONTEXTIQ_TLS_CERT_FILE and CONTEXTIQ_TLS_KEY_FILE/,
      );
      expect(() => readServeEnvironment({ CONTEXTIQ_TLS_CERT_FILE: cert })).toThrow(
        /^TLS needs both CONTEXTIQ_TLS_CERT_FILE and CONTEXTIQ_TLS_KEY_FILE$/,
      );
      expect(() => readServeEnvironment({ CONTEXTIQ_TLS_CLIENT_CA_FILE: cert })).toThrow(
        /^CONTEXTIQ_TLS_CLIENT_CA_FILE needs TLS/,
      );
      expect(() => readServeEnvironment({ ...tlsEnv, CONTEXTIQ_TLS_KEY_FILE: cert })).toThrow(
        /^CONTEXTIQ_TLS_KEY_FILE: ".*cert\.pem" must be PEM text with a "-----BEGIN PRIVATE KEY-----" block$/,
      );
      expect(() =>
        readServeEnvironment({ ...tlsEnv, CONTEXTIQ_TLS_CERT_FILE: join(dir, "gone.pem") }),
      ).toThrow(/^CONTEXTIQ_TLS_CERT_FILE: cannot read ".*gone\.pem" \(ENOENT\)$/);
      // Secrets are often injected as text: a key where its path belongs is never quoted.
      const keyText = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
      expect(() => readServeEnvironment({ ...tlsEnv, CONTEXTIQ_TLS_KEY_FILE: keyText })).toThrow(
        /^CONTEXTIQ_TLS_KEY_FILE: cannot read \(a value holding PEM text, not a file path\) \(ENOENT\)$/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
