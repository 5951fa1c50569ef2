import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { Code, ConnectError } from "@connectrpc/connect";
import type { CircuitBreakerOptions } from "../policy/circuit-breaker.js";
import type { HedgingOptions } from "../policy/hedging.js";
import type { ReadCacheOptions } from "../policy/read-cache.js";
import type { RetryBudgetOptions } from "../policy/retry-budget.js";
import { pemProblem, quotePath } from "../util/pem.js";
import type { ClientOptions, ClientTlsOptions, TransportKind } from "./client-options.js";

/** The options of a client after env and defaults, validated. */
export interface ResolvedOptions {
  readonly baseUrl: string;
  readonly transport: TransportKind;
  readonly httpVersion: "1.1" | "2";
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly apiKey: string | undefined;
  readonly bearerToken: string | undefined;
  /** Undefined for http:// and for https:// with Node's defaults. */
  readonly tls: Readonly<ClientTlsOptions> | undefined;
  /** Undefined when the breaker is off. */
  readonly circuitBreaker: CircuitBreakerOptions | undefined;
  /** Undefined when the budget is off. */
  readonly retryBudget: RetryBudgetOptions | undefined;
  /** Undefined when reads are not hedged. */
  readonly hedging: HedgingOptions | undefined;
  /** Undefined when reads are not cached. */
  readonly readCache: ReadCacheOptions | undefined;
}

/** Which service a client is for: its env prefix and default URL. */
export interface ServiceDefaults {
  /** E.g. "SESSIONS_SERVICE". */
  readonly envPrefix: string;
  /** E.g. "http://localhost:8001". */
  readonly baseUrl: string;
}

const defaults = Object.freeze({
  transport: "json" as TransportKind,
  httpVersion: "1.1" as "1.1" | "2",
  timeoutMs: 30_000,
  maxRetries: 3,
  retryDelayMs: 1_000,
  maxRetryDelayMs: 30_000,
});

/**
 * Resolves a client's options: each explicit option, else its environment variable, else its
 * default. A bad value throws a ConnectError (INVALID_ARGUMENT) that names the option or the
 * variable it came from; nothing is silently ignored.
 */
export function resolveOptions(options: ClientOptions, service: ServiceDefaults): ResolvedOptions {
  const env = options.env ?? process.env;
  const source = (option: keyof ClientOptions, suffix: string) =>
    options[option] !== undefined ? `option \`${option}\`` : `${service.envPrefix}_${suffix}`;
  const fromEnv = (suffix: string): string | undefined => {
    const value = env[`${service.envPrefix}_${suffix}`]?.trim();
    return value === "" ? undefined : value;
  };
  const seconds = (suffix: string): number | undefined => {
    const value = fromEnv(suffix);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(parsed)) {
      throw invalid(`${service.envPrefix}_${suffix} must be a number of seconds, got "${value}"`);
    }
    return parsed * 1000;
  };

  const baseUrl = options.baseUrl ?? fromEnv("URL") ?? service.baseUrl;
  checkUrl(baseUrl, source("baseUrl", "URL"));
  const transport = options.transport ?? fromEnv("TRANSPORT") ?? defaults.transport;
  if (transport !== "json" && transport !== "grpc") {
    throw invalid(
      `${source("transport", "TRANSPORT")} must be "json" or "grpc", got "${transport}"`,
    );
  }
  const httpVersion = options.httpVersion ?? fromEnv("HTTP_VERSION") ?? defaults.httpVersion;
  if (httpVersion !== "1.1" && httpVersion !== "2") {
    throw invalid(
      `${source("httpVersion", "HTTP_VERSION")} must be "1.1" or "2", got "${httpVersion}"`,
    );
  }
  if (transport === "grpc" && options.httpVersion === "1.1") {
    throw invalid(
      'option `httpVersion` "1.1" does not work with the "grpc" transport: gRPC needs HTTP/2',
    );
  }

  const timeoutMs = options.timeoutMs ?? seconds("TIMEOUT") ?? defaults.timeoutMs;
  checkNumber(timeoutMs, source("timeoutMs", "TIMEOUT"), { min: 1, max: 2_147_483_647 });
  const maxRetriesText = options.maxRetries === undefined ? fromEnv("MAX_RETRIES") : undefined;
  if (maxRetriesText !== undefined && !/^\d+$/.test(maxRetriesText)) {
    throw invalid(
      `${service.envPrefix}_MAX_RETRIES must be a whole number of retries, got "${maxRetriesText}"`,
    );
  }
  const maxRetries =
    options.maxRetries ??
    (maxRetriesText === undefined ? defaults.maxRetries : Number(maxRetriesText));
  checkNumber(maxRetries, source("maxRetries", "MAX_RETRIES"), { min: 0, max: 100, integer: true });
  const retryDelayMs = options.retryDelayMs ?? seconds("RETRY_DELAY") ?? defaults.retryDelayMs;
  checkNumber(retryDelayMs, source("retryDelayMs", "RETRY_DELAY"), { min: 0, max: 3_600_000 });
  const maxRetryDelayMs = options.maxRetryDelayMs ?? defaults.maxRetryDelayMs;
  checkNumber(maxRetryDelayMs, "option `maxRetryDelayMs`", { min: 0, max: 3_600_000 });

  const apiKey = options.apiKey ?? fromEnv("API_KEY");
  if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) {
    throw invalid(`${source("apiKey", "API_KEY")} must be printable ASCII without spaces`);
  }
  const bearerToken = options.bearerToken ?? fromEnv("BEARER_TOKEN");
  if (bearerToken !== undefined && !/^[\x21-\x7e]+$/.test(bearerToken)) {
    throw invalid(
      `${source("bearerToken", "BEARER_TOKEN")} must be printable ASCII without spaces`,
    );
  }
  // An explicit http:// baseUrl beats TLS files in the environment, as any option beats its
  // variable; `tls` given with it, or both from the environment, is a mistake to report.
  const tlsFromEnvOnly = options.tls === undefined && options.baseUrl !== undefined;
  const tls =
    tlsFromEnvOnly && !baseUrl.startsWith("https:")
      ? undefined
      : resolveTls(options.tls, fromEnv, service.envPrefix);
  if (tls !== undefined && !baseUrl.startsWith("https:")) {
    throw invalid(
      `${options.tls === undefined ? `${service.envPrefix}_CA_FILE, _CERT_FILE or _KEY_FILE` : "option `tls`"} is set, but ${source("baseUrl", "URL")} is not https:// (got "${baseUrl}")`,
    );
  }
  const breakerSwitch =
    options.circuitBreaker === undefined ? fromEnv("CIRCUIT_BREAKER") : undefined;
  if (breakerSwitch !== undefined && breakerSwitch !== "on" && breakerSwitch !== "off") {
    throw invalid(
      `${service.envPrefix}_CIRCUIT_BREAKER must be "on" or "off", got "${breakerSwitch}"`,
    );
  }
  const explicitBreaker = options.circuitBreaker || undefined;
  const halfOpenAfterMs =
    explicitBreaker?.halfOpenAfterMs ?? seconds("CIRCUIT_HALF_OPEN_AFTER") ?? 5_000;
  checkNumber(
    halfOpenAfterMs,
    explicitBreaker?.halfOpenAfterMs === undefined
      ? `${service.envPrefix}_CIRCUIT_HALF_OPEN_AFTER`
      : "option `circuitBreaker.halfOpenAfterMs`",
    { min: 1, max: 3_600_000 },
  );
  const circuitBreaker =
    options.circuitBreaker === false || breakerSwitch === "off"
      ? undefined
      : { ...explicitBreaker, halfOpenAfterMs };
  if (explicitBreaker?.failureRatio !== undefined) {
    checkNumber(explicitBreaker.failureRatio, "option `circuitBreaker.failureRatio`", {
      min: 0.01,
      max: 1,
    });
  }
  if (explicitBreaker?.windowSize !== undefined) {
    checkNumber(explicitBreaker.windowSize, "option `circuitBreaker.windowSize`", {
      min: 1,
      max: 100_000,
      integer: true,
    });
  }
  if (explicitBreaker?.minimumAttempts !== undefined) {
    checkNumber(explicitBreaker.minimumAttempts, "option `circuitBreaker.minimumAttempts`", {
      min: 1,
      max: explicitBreaker.windowSize ?? 20,
      integer: true,
    });
  }
  const budget = options.retryBudget || undefined;
  if (budget?.maxTokens !== undefined) {
    checkNumber(budget.maxTokens, "option `retryBudget.maxTokens`", { min: 1, max: 1_000_000 });
  }
  if (budget?.tokenRatio !== undefined) {
    checkNumber(budget.tokenRatio, "option `retryBudget.tokenRatio`", { min: 0.001, max: 1_000 });
  }
  const hedging = options.hedging || undefined;
  if (hedging) checkNumber(hedging.delayMs, "option `hedging.delayMs`", { min: 1, max: 3_600_000 });
  const readCache = options.readCache || undefined;
  if (readCache) {
    checkNumber(readCache.ttlMs, "option `readCache.ttlMs`", { min: 1, max: 86_400_000 });
    if (readCache.maxEntries !== undefined) {
      checkNumber(readCache.maxEntries, "option `readCache.maxEntries`", {
        min: 1,
        max: 1_000_000,
        integer: true,
      });
    }
  }
  return {
    hedging,
    readCache,
    circuitBreaker,
    retryBudget: options.retryBudget === false ? undefined : (options.retryBudget ?? {}),
    baseUrl: baseUrl.replace(/\/+$/, ""),
    transport,
    httpVersion: transport === "grpc" ? "2" : httpVersion,
    timeoutMs,
    maxRetries,
    retryDelayMs,
    maxRetryDelayMs,
    apiKey,
    bearerToken,
    tls,
  };
}

/**
 * The TLS settings from the option or, field by field where it is absent, from the `*_FILE`
 * variables. Each value must be PEM; a cert needs its key and a key its cert.
 */
function resolveTls(
  option: ClientTlsOptions | undefined,
  fromEnv: (suffix: string) => string | undefined,
  envPrefix: string,
): ClientTlsOptions | undefined {
  const field = (name: keyof ClientTlsOptions, suffix: string, label: string) => {
    const value = option?.[name];
    if (value !== undefined) {
      checkPem(value, `option \`tls.${name}\``, label);
      return value;
    }
    const path = fromEnv(suffix);
    if (path === undefined) return undefined;
    const variable = `${envPrefix}_${suffix}`;
    let text: Buffer;
    try {
      text = readFileSync(path);
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).message;
      throw invalid(`${variable}: cannot read ${quotePath(path)} (${code})`);
    }
    checkPem(text, `${variable} (${quotePath(path)})`, label);
    return text;
  };
  const ca = field("ca", "CA_FILE", "CERTIFICATE");
  const cert = field("cert", "CERT_FILE", "CERTIFICATE");
  const key = field("key", "KEY_FILE", "PRIVATE KEY");
  if ((cert === undefined) !== (key === undefined)) {
    throw invalid(
      `a client certificate needs its key and a key its certificate: give both tls.cert and tls.key (or ${envPrefix}_CERT_FILE and ${envPrefix}_KEY_FILE)`,
    );
  }
  if (ca === undefined && cert === undefined) return option === undefined ? undefined : {};
  const resolved = {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined || key === undefined ? {} : { cert, key }),
  };
  try {
    // Now rather than at the first call, where each transport words it differently.
    createSecureContext(resolved);
  } catch (error) {
    const given =
      option === undefined ? `${envPrefix}_CA_FILE, _CERT_FILE, _KEY_FILE` : "option `tls`";
    throw invalid(
      `${given}: OpenSSL cannot load them (${(error as Error).message}); check that each is PEM and that the key belongs to the certificate`,
    );
  }
  return resolved;
}

function checkPem(value: string | Buffer, source: string, label: string): void {
  const problem = pemProblem(value, label);
  if (problem !== undefined) throw invalid(`${source} ${problem}`);
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

function checkUrl(value: string, source: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`${source} must be an http:// or https:// URL, got "${value}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid(`${source} must be an http:// or https:// URL, got "${value}"`);
  }
}

function checkNumber(
  value: number,
  source: string,
  { min, max, integer = false }: { min: number; max: number; integer?: boolean },
): void {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw invalid(
      `${source} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}, got ${String(value)}`,
    );
  }
}
