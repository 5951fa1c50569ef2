import type { Interceptor, Transport } from "@connectrpc/connect";
import type { Balancer } from "../balancer/balancer.js";
import { createCircuitBreaker } from "../policy/circuit-breaker.js";
import { createHedgingInterceptor } from "../policy/hedging.js";
import { createObservability } from "../policy/observability/index.js";
import { createReadCache } from "../policy/read-cache.js";
import { RetryBudget } from "../policy/retry-budget.js";
import { createRetryInterceptor } from "../policy/retry-interceptor.js";
import { createBalancedTransport } from "./balanced-transport.js";
import type { ClientOptions } from "./client-options.js";
import type { ResolvedOptions } from "./resolve-options.js";

/** Largest request message a client sends: what the reference services accept. */
const maxRequestBytes = 4 * 1024 * 1024;
/** Largest response message a client accepts. */
const maxResponseBytes = 16 * 1024 * 1024;

/** A transport and the way to give back the connections it leased. */
export interface LeasedTransport {
  readonly transport: Transport;
  /** Where its attempts go, for tests and diagnostics. */
  readonly balancer: Balancer;
  release(): void;
}

/**
 * The transport the options ask for (gRPC over HTTP/2, or Connect JSON over HTTP/1.1 or HTTP/2:
 * this package's transports) over every endpoint of `baseUrl`, on connections shared by every
 * client of the same address, with the retry interceptor outside the caller's interceptors so that
 * they see every attempt.
 */
export function createServiceTransport(
  resolved: ResolvedOptions,
  serviceName: string,
  options: Pick<
    ClientOptions,
    "interceptors" | "onRetry" | "onGiveUp" | "onCall" | "openTelemetry"
  >,
): LeasedTransport {
  return createBalancedTransport(resolved, {
    serviceName,
    interceptors: createServiceInterceptors(resolved, options),
    // A request over the services' limit is refused before it is sent. A response may be larger
    // (100 memories of 4,096 floats measured 8.1 MB as JSON; list pages end at 2.5 MiB of JSON,
    // at most 14 MiB in binary), but a broken or hostile server cannot make the client buffer
    // without end: connect-node's default is 4 GiB.
    readMaxBytes: maxResponseBytes,
    writeMaxBytes: maxRequestBytes,
  });
}

/**
 * The facade's interceptors for `resolved`, outermost first: observability of the call, auth,
 * the read cache, retries, and inside them what each attempt needs, then the caller's own.
 */
export function createServiceInterceptors(
  resolved: ResolvedOptions,
  options: Pick<
    ClientOptions,
    "interceptors" | "onRetry" | "onGiveUp" | "onCall" | "openTelemetry"
  >,
): Interceptor[] {
  const breaker = resolved.circuitBreaker && createCircuitBreaker(resolved.circuitBreaker);
  const observability = createObservability({
    transport: resolved.transport,
    onCall: options.onCall,
    openTelemetry: options.openTelemetry ?? true,
  });
  return [
    // Outermost: one span, one onCall event and one duration per logical call.
    ...(observability ? [observability.call] : []),
    authHeaders(resolved),
    // Outermost after auth: a cache hit costs no attempt.
    ...(resolved.readCache ? [createReadCache(resolved.readCache)] : []),
    createRetryInterceptor({
      maxRetries: resolved.maxRetries,
      retryDelayMs: resolved.retryDelayMs,
      maxRetryDelayMs: resolved.maxRetryDelayMs,
      onRetry: options.onRetry,
      onGiveUp: options.onGiveUp,
      budget: resolved.retryBudget && new RetryBudget(resolved.retryBudget),
      // This package's transports free a failed attempt's stream or socket by themselves.
      attemptSignals: false,
    }),
    // Inside the retries: an event, a trace context and a count per attempt.
    ...(observability ? [observability.attempt] : []),
    // Inside the retries: a hedged pair of attempts is retried as one.
    ...(resolved.hedging ? [createHedgingInterceptor(resolved.hedging)] : []),
    // Inside the retries: every attempt counts, and an open circuit ends the call at once.
    ...(breaker ? [breaker] : []),
    ...(options.interceptors ?? []),
  ];
}

/** Adds the configured credentials to every call that does not carry its own. */
function authHeaders({ apiKey, bearerToken }: ResolvedOptions): Interceptor {
  return (next) => (req) => {
    if (apiKey !== undefined && !req.header.has("x-api-key")) req.header.set("x-api-key", apiKey);
    if (bearerToken !== undefined && !req.header.has("authorization")) {
      req.header.set("authorization", `Bearer ${bearerToken}`);
    }
    return next(req);
  };
}
