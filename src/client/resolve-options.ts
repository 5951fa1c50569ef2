import type { LoadBalancing } from "../balancer/balancer.js";
import type { HealthCheckOptions } from "../balancer/health-checker.js";
import type { OutlierDetectionOptions } from "../balancer/outlier-detector.js";
import { type Resolver, systemResolver } from "../balancer/resolver.js";
import { describeSource, InvalidOptionError } from "../errors/invalid-option-error.js";
import { type OptionReader, optionReader } from "../options/option-reader.js";
import type { OptionEntry } from "../options/option-table.js";
import type { CircuitBreakerOptions } from "../policy/circuit-breaker.js";
import type { HedgingOptions } from "../policy/hedging.js";
import type { ReadCacheOptions } from "../policy/read-cache.js";
import type { RetryBudgetOptions } from "../policy/retry-budget.js";
import { clientOptionTable as table } from "./client-option-table.js";
import type { ClientOptions, ClientTlsOptions, TransportKind } from "./client-options.js";
import { resolveTls } from "./resolve-tls.js";

/** The options of a client after env and defaults, validated. */
export interface ResolvedOptions {
  readonly baseUrl: string;
  readonly transport: TransportKind;
  readonly httpVersion: "1.1" | "2";
  /** `false`: no compression either way. */
  readonly compressMinBytes: number | false;
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
  readonly loadBalancing: LoadBalancing;
  readonly resolver: Resolver;
  readonly resolveIntervalMs: number;
  /** Undefined when no endpoint is ever ejected. */
  readonly outlierDetection: Required<OutlierDetectionOptions> | undefined;
  /** Undefined without active health checks. */
  readonly healthCheck: Required<HealthCheckOptions> | undefined;
}

/** Which service a client is for: its env prefix and default URL. */
export interface ServiceDefaults {
  /** E.g. "SESSIONS_SERVICE". */
  readonly envPrefix: string;
  /** E.g. "http://localhost:8001". */
  readonly baseUrl: string;
}

/**
 * Resolves a client's options through the {@link clientOptionTable}: each explicit option, else
 * its environment variable, else its default. A bad value throws an InvalidOptionError (a
 * ConnectError, INVALID_ARGUMENT) that names the option or the variable it came from; nothing is
 * silently ignored.
 */
export function resolveOptions(options: ClientOptions, service: ServiceDefaults): ResolvedOptions {
  const reader = optionReader(options, {
    values: options.env ?? process.env,
    prefix: service.envPrefix,
  });
  const { read } = reader;
  const baseUrl = read(table.baseUrl) ?? service.baseUrl;
  const transport = read(table.transport);
  const httpVersion = read(table.httpVersion);
  if (transport === "grpc" && options.httpVersion === "1.1") {
    throw new InvalidOptionError(
      reader.sourceOf(table.httpVersion),
      'option `httpVersion` "1.1" does not work with the "grpc" transport: gRPC needs HTTP/2',
    );
  }
  const timeoutMs = read(table.timeoutMs);
  const maxRetries = read(table.maxRetries);
  const retryDelayMs = read(table.retryDelayMs);
  const maxRetryDelayMs = read(table.maxRetryDelayMs);
  const apiKey = read(table.apiKey);
  const bearerToken = read(table.bearerToken);
  const tls = resolveTls(options, baseUrl, reader);
  return {
    baseUrl: baseUrl.replace(/\/+$/, ""),
    transport,
    httpVersion: transport === "grpc" ? "2" : httpVersion,
    compressMinBytes: read(table.compressMinBytes),
    timeoutMs,
    maxRetries,
    retryDelayMs,
    maxRetryDelayMs,
    apiKey,
    bearerToken,
    tls,
    circuitBreaker: resolveCircuitBreaker(options, reader),
    retryBudget: read(table.retryBudget)
      ? {
          maxTokens: read(table["retryBudget.maxTokens"]),
          tokenRatio: read(table["retryBudget.tokenRatio"]),
        }
      : undefined,
    hedging: read(table.hedging)
      ? { delayMs: required(reader, table["hedging.delayMs"]) }
      : undefined,
    loadBalancing: read(table.loadBalancing),
    resolver: options.resolver ?? systemResolver,
    resolveIntervalMs: read(table.resolveIntervalMs),
    outlierDetection: resolveOutlierDetection(reader),
    healthCheck: resolveHealthCheck(reader),
    readCache: read(table.readCache)
      ? {
          ttlMs: required(reader, table["readCache.ttlMs"]),
          maxEntries: read(table["readCache.maxEntries"]),
        }
      : undefined,
  };
}

/**
 * The circuit breaker's settings, or undefined when it is off. Its fields are read even then, so
 * that a bad CIRCUIT_HALF_OPEN_AFTER is reported rather than ignored.
 */
function resolveCircuitBreaker(
  options: ClientOptions,
  reader: OptionReader,
): CircuitBreakerOptions | undefined {
  const { read } = reader;
  const on = read(table.circuitBreaker);
  const settings = {
    // The callbacks, onBreak and onReset, which the table does not check.
    ...(typeof options.circuitBreaker === "object" ? options.circuitBreaker : {}),
    failureRatio: read(table["circuitBreaker.failureRatio"]),
    windowSize: read(table["circuitBreaker.windowSize"]),
    minimumAttempts: read(table["circuitBreaker.minimumAttempts"]),
    halfOpenAfterMs: read(table["circuitBreaker.halfOpenAfterMs"]),
  };
  if (settings.minimumAttempts > settings.windowSize) {
    // The one given is named: a window smaller than the default minimum is as much a mistake.
    const minimumGiven =
      typeof options.circuitBreaker === "object" &&
      options.circuitBreaker.minimumAttempts !== undefined;
    const minimum = reader.sourceOf(table["circuitBreaker.minimumAttempts"]);
    const window = reader.sourceOf(table["circuitBreaker.windowSize"]);
    throw minimumGiven
      ? new InvalidOptionError(
          minimum,
          `${describeSource(minimum)} must be at most \`circuitBreaker.windowSize\` (${settings.windowSize}), got ${settings.minimumAttempts}`,
        )
      : new InvalidOptionError(
          window,
          `${describeSource(window)} must be at least \`circuitBreaker.minimumAttempts\` (${settings.minimumAttempts} by default), got ${settings.windowSize}`,
        );
  }
  return on ? settings : undefined;
}

/**
 * Outlier detection's settings, or undefined when it is off: read either way, so that a bad value
 * is reported rather than ignored.
 */
function resolveOutlierDetection({
  read,
}: OptionReader): Required<OutlierDetectionOptions> | undefined {
  const settings = {
    consecutiveFailures: read(table["outlierDetection.consecutiveFailures"]),
    baseEjectionTimeMs: read(table["outlierDetection.baseEjectionTimeMs"]),
    maxEjectionPercent: read(table["outlierDetection.maxEjectionPercent"]),
    intervalMs: read(table["outlierDetection.intervalMs"]),
  };
  return read(table.outlierDetection) ? settings : undefined;
}

/** The health checks' settings, or undefined when they are off; read either way. */
function resolveHealthCheck({ read }: OptionReader): Required<HealthCheckOptions> | undefined {
  const settings = {
    intervalMs: read(table["healthCheck.intervalMs"]),
    timeoutMs: read(table["healthCheck.timeoutMs"]),
  };
  return read(table.healthCheck) ? settings : undefined;
}

/** The value of an option that its feature cannot go without (`hedging.delayMs`). */
function required<T>(reader: OptionReader, entry: OptionEntry<T>): T {
  const value = reader.read(entry);
  if (value !== undefined) return value;
  const parent = entry.path.slice(0, entry.path.indexOf("."));
  throw new InvalidOptionError(
    reader.sourceOf(entry),
    `${describeSource(reader.sourceOf(entry))} is needed with \`${parent}\`: ${entry.kind.expected}`,
  );
}
