// How a client resolves its options: explicit option, then environment variable, then default;
// and how it refuses a bad value, naming the option or the variable.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { systemResolver } from "../../src/balancer/resolver.js";
import { resolveOptions } from "../../src/client/resolve-options.js";
import {
  ConnectError,
  InvalidOptionError,
  MemoryServiceClient,
  SessionsServiceClient,
} from "../../src/index.js";
import { createTestPki } from "../support/certificates.js";

const sessions = { envPrefix: "SESSIONS_SERVICE", baseUrl: "http://localhost:8001" };

function refusal(make: () => unknown): string {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    return (error as ConnectError).rawMessage;
  }
  throw new Error("expected the options to be refused");
}

describe("client options", () => {
  it("default to the Python clients' values", async () => {
    await using client = new SessionsServiceClient({ env: {} });
    expect(client.options).toEqual({
      baseUrl: "http://localhost:8001",
      transport: "json",
      httpVersion: "1.1",
      timeoutMs: 30_000,
      maxRetries: 3,
      retryDelayMs: 1_000,
      maxRetryDelayMs: 30_000,
      apiKey: undefined,
      bearerToken: undefined,
      // Every setting in force, those of the breaker and the budget included.
      circuitBreaker: {
        failureRatio: 0.5,
        windowSize: 20,
        minimumAttempts: 10,
        halfOpenAfterMs: 5_000,
      },
      retryBudget: { maxTokens: 100, tokenRatio: 0.5 },
      hedging: undefined,
      readCache: undefined,
      // Beyond the Python clients: they called one URL.
      loadBalancing: "peak-ewma",
      resolver: systemResolver,
      resolveIntervalMs: 30_000,
      outlierDetection: {
        consecutiveFailures: 5,
        baseEjectionTimeMs: 30_000,
        maxEjectionPercent: 50,
        intervalMs: 10_000,
      },
      healthCheck: undefined,
      // gzip for messages of 8 KiB or more (docs/compression.md).
      compressMinBytes: 8192,
    });
    await using memory = new MemoryServiceClient({ env: {} });
    expect(memory.options.baseUrl).toBe("http://localhost:8002");
  });

  it("read the service's environment variables, in seconds where the Python clients used seconds", () => {
    const resolved = resolveOptions(
      {
        env: {
          SESSIONS_SERVICE_URL: "http://custom-host:9001/",
          SESSIONS_SERVICE_TIMEOUT: "60",
          SESSIONS_SERVICE_MAX_RETRIES: "5",
          SESSIONS_SERVICE_RETRY_DELAY: "0.25",
          SESSIONS_SERVICE_TRANSPORT: "grpc",
          SESSIONS_SERVICE_API_KEY: "k1",
          MEMORY_SERVICE_URL: "http://ignored:1",
        },
      },
      sessions,
    );
    expect(resolved).toMatchObject({
      baseUrl: "http://custom-host:9001",
      timeoutMs: 60_000,
      maxRetries: 5,
      retryDelayMs: 250,
      transport: "grpc",
      httpVersion: "2",
      apiKey: "k1",
    });
  });

  it("let explicit options beat the environment", () => {
    const resolved = resolveOptions(
      {
        baseUrl: "http://explicit:1",
        timeoutMs: 500,
        maxRetries: 0,
        transport: "json",
        env: {
          SESSIONS_SERVICE_URL: "http://env:2",
          SESSIONS_SERVICE_TIMEOUT: "60",
          SESSIONS_SERVICE_MAX_RETRIES: "5",
          SESSIONS_SERVICE_TRANSPORT: "grpc",
        },
      },
      sessions,
    );
    expect(resolved).toMatchObject({
      baseUrl: "http://explicit:1",
      timeoutMs: 500,
      maxRetries: 0,
      transport: "json",
    });
  });

  it("switch the circuit breaker off by option or variable, and read its probe delay in seconds", () => {
    expect(
      resolveOptions({ circuitBreaker: false, env: {} }, sessions).circuitBreaker,
    ).toBeUndefined();
    const env = { SESSIONS_SERVICE_CIRCUIT_BREAKER: "off" };
    expect(resolveOptions({ env }, sessions).circuitBreaker).toBeUndefined();
    const probe = { SESSIONS_SERVICE_CIRCUIT_HALF_OPEN_AFTER: "2.5" };
    expect(resolveOptions({ env: probe }, sessions).circuitBreaker).toMatchObject({
      halfOpenAfterMs: 2500,
    });
    expect(resolveOptions({ retryBudget: false, env: {} }, sessions).retryBudget).toBeUndefined();
  });

  it("treat an empty variable as unset", () => {
    expect(resolveOptions({ env: { SESSIONS_SERVICE_TIMEOUT: " " } }, sessions).timeoutMs).toBe(
      30_000,
    );
  });

  it.each([
    [
      { SESSIONS_SERVICE_TIMEOUT: "thirty" },
      "SESSIONS_SERVICE_TIMEOUT must be a number of seconds",
    ],
    [{ SESSIONS_SERVICE_TIMEOUT: "-1" }, "SESSIONS_SERVICE_TIMEOUT"],
    [
      { SESSIONS_SERVICE_MAX_RETRIES: "2.5" },
      "SESSIONS_SERVICE_MAX_RETRIES must be a whole number",
    ],
    [{ SESSIONS_SERVICE_RETRY_DELAY: "1s" }, "SESSIONS_SERVICE_RETRY_DELAY"],
    [
      { SESSIONS_SERVICE_URL: "localhost:8001" },
      "SESSIONS_SERVICE_URL must be an http:// or https:// URL",
    ],
    [{ SESSIONS_SERVICE_TRANSPORT: "rest" }, 'SESSIONS_SERVICE_TRANSPORT must be "json" or "grpc"'],
    [{ SESSIONS_SERVICE_HTTP_VERSION: "3" }, "SESSIONS_SERVICE_HTTP_VERSION"],
    [
      { SESSIONS_SERVICE_CIRCUIT_BREAKER: "maybe" },
      'SESSIONS_SERVICE_CIRCUIT_BREAKER must be "on" or "off"',
    ],
    [{ SESSIONS_SERVICE_CIRCUIT_HALF_OPEN_AFTER: "0" }, "SESSIONS_SERVICE_CIRCUIT_HALF_OPEN_AFTER"],
  ])("refuse the malformed variable %o, naming it", (env, message) => {
    expect(refusal(() => resolveOptions({ env }, sessions))).toContain(message);
  });

  it.each([
    [{ timeoutMs: 0 }, "option `timeoutMs`"],
    [{ timeoutMs: Number.NaN }, "option `timeoutMs`"],
    [{ maxRetries: -1 }, "option `maxRetries`"],
    [{ maxRetries: 1.5 }, "option `maxRetries` must be a whole number"],
    [{ retryDelayMs: -5 }, "option `retryDelayMs`"],
    [{ baseUrl: "ftp://x" }, "option `baseUrl`"],
    [{ transport: "soap" as "json" }, "option `transport`"],
    [{ transport: "grpc" as const, httpVersion: "1.1" as const }, "gRPC needs HTTP/2"],
    [{ apiKey: "has space" }, "option `apiKey`"],
    [{ circuitBreaker: { failureRatio: 2 } }, "option `circuitBreaker.failureRatio`"],
    [{ hedging: { delayMs: 0 } }, "option `hedging.delayMs`"],
    [{ circuitBreaker: { windowSize: 0 } }, "option `circuitBreaker.windowSize`"],
    [
      { circuitBreaker: { windowSize: 5, minimumAttempts: 6 } },
      "option `circuitBreaker.minimumAttempts`",
    ],
    [{ retryBudget: { maxTokens: 0 } }, "option `retryBudget.maxTokens`"],
    [{ retryBudget: { tokenRatio: -1 } }, "option `retryBudget.tokenRatio`"],
    [{ readCache: { ttlMs: -1 } }, "option `readCache.ttlMs`"],
    [{ circuitBreaker: { halfOpenAfterMs: -1 } }, "option `circuitBreaker.halfOpenAfterMs`"],
  ])("refuse the bad option %o, naming it", (options, message) => {
    expect(refusal(() => new SessionsServiceClient({ ...options, env: {} }))).toContain(message);
  });
});

describe("TLS options", () => {
  const pem = (label: string) => `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
  const https = { ...sessions, baseUrl: "https://sessions.internal:8001" };

  it("read the CA, certificate and key from the *_FILE variables, an option beating each", async () => {
    const pki = await createTestPki();
    const dir = await mkdtemp(join(tmpdir(), "contextiq-tls-options-"));
    try {
      const file = async (name: string, text: string) => {
        await writeFile(join(dir, name), text);
        return join(dir, name);
      };
      const env = {
        SESSIONS_SERVICE_CA_FILE: await file("ca.pem", pki.ca.cert),
        SESSIONS_SERVICE_CERT_FILE: await file("client.pem", pki.client.cert),
        SESSIONS_SERVICE_KEY_FILE: await file("client-key.pem", pki.client.key),
      };
      const { tls } = resolveOptions({ env }, https);
      expect(String(tls?.ca)).toBe(pki.ca.cert);
      expect(String(tls?.key)).toBe(pki.client.key);
      expect(resolveOptions({ env, tls: { ca: pki.otherCa.cert } }, https).tls?.ca).toBe(
        pki.otherCa.cert,
      );
      expect(refusal(() => resolveOptions({ env: { SESSIONS_SERVICE_CA_FILE: dir } }, https))).toBe(
        `SESSIONS_SERVICE_CA_FILE: cannot read "${dir}" (EISDIR)`,
      );
      const missing = join(dir, "nope.pem");
      expect(
        refusal(() => resolveOptions({ env: { SESSIONS_SERVICE_CA_FILE: missing } }, https)),
      ).toBe(`SESSIONS_SERVICE_CA_FILE: cannot read "${missing}" (ENOENT)`);
      const keyAsCa = { SESSIONS_SERVICE_CA_FILE: env.SESSIONS_SERVICE_KEY_FILE };
      expect(refusal(() => resolveOptions({ env: keyAsCa }, https))).toMatch(
        /^SESSIONS_SERVICE_CA_FILE: ".*client-key\.pem" must be PEM text with a "-----BEGIN CERTIFICATE-----" block$/,
      );
      // Loaded when the client is made, not at its first call: a key of another certificate.
      const mismatched = { ca: pki.ca.cert, cert: pki.client.cert, key: pki.server.key };
      expect(refusal(() => resolveOptions({ env: {}, tls: mismatched }, https))).toMatch(
        /^option `tls`: OpenSSL cannot load them \(.*key values mismatch.*\); check that each is PEM and that the key belongs to the certificate$/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuse a path given for PEM text, a certificate without its key, and TLS over http://", () => {
    expect(refusal(() => resolveOptions({ env: {}, tls: { ca: "/etc/ssl/ca.pem" } }, https))).toBe(
      'option `tls.ca` must be PEM text with a "-----BEGIN CERTIFICATE-----" block (the file\'s contents, not its path)',
    );
    expect(
      refusal(() => resolveOptions({ env: {}, tls: { cert: pem("CERTIFICATE") } }, https)),
    ).toMatch(/^a client certificate needs its key and a key its certificate/);
    expect(
      refusal(() => resolveOptions({ env: {}, tls: { ca: pem("CERTIFICATE") } }, sessions)),
    ).toBe(
      'option `tls` is set, but SESSIONS_SERVICE_URL is not https:// (got "http://localhost:8001")',
    );
    // Both from the environment: a mistake. An explicit http:// baseUrl: the variables give way.
    const env = { SESSIONS_SERVICE_CA_FILE: "/nonexistent/ca.pem" };
    expect(refusal(() => resolveOptions({ env }, sessions))).toMatch(/^SESSIONS_SERVICE_CA_FILE/);
    const explicit = resolveOptions({ env, baseUrl: "http://127.0.0.1:9" }, sessions);
    expect(explicit.tls).toBeUndefined();
  });

  it("never quote a key in an error, even one put where its path belongs", () => {
    const key = pem("PRIVATE KEY").replace("AAAA", "c2VjcmV0LWtleS1tYXRlcmlhbA");
    const message = refusal(() => resolveOptions({ env: {}, tls: { key } }, https));
    expect(message).not.toContain("c2VjcmV0");
    const env = { SESSIONS_SERVICE_CERT_FILE: key, SESSIONS_SERVICE_KEY_FILE: key };
    const misplaced = refusal(() => resolveOptions({ env }, https));
    expect(misplaced).toBe(
      "SESSIONS_SERVICE_CERT_FILE: cannot read (a value holding PEM text, not a file path) (ENOENT)",
    );
  });
});

describe("call options", () => {
  it.each([0, -1, Number.NaN])(
    "refuse timeoutMs %s naming the call option, before sending",
    async (timeoutMs) => {
      // Nothing listens on port 1: a call that was sent would fail UNAVAILABLE instead.
      await using client = new SessionsServiceClient({ baseUrl: "http://127.0.0.1:1", env: {} });
      const error = await client.getSession("s", { timeoutMs }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option: "timeoutMs", fromEnvironment: false });
      expect((error as InvalidOptionError).rawMessage).toBe(
        `call option \`timeoutMs\` must be a number of ms, at least 1, got ${timeoutMs}`,
      );
    },
  );
});
