import type { Interceptor } from "@connectrpc/connect";
import type { CircuitBreakerOptions } from "../policy/circuit-breaker.js";
import type { HedgingOptions } from "../policy/hedging.js";
import type { CallEvent, OpenTelemetryProviders } from "../policy/observability/index.js";
import type { ReadCacheOptions } from "../policy/read-cache.js";
import type { RetryBudgetOptions } from "../policy/retry-budget.js";
import type { GiveUpEvent, RetryEvent } from "../policy/retry-interceptor.js";

/** How a client reaches its service. */
export type TransportKind = "json" | "grpc";

/**
 * Options of {@link SessionsServiceClient} and {@link MemoryServiceClient}. Every option is
 * optional: an explicit option beats the environment variable, which beats the default. The
 * variables are named for the service: `SESSIONS_SERVICE_*` or `MEMORY_SERVICE_*`. A bad value
 * makes the constructor throw an InvalidOptionError that names the option or the variable.
 */
export interface ClientOptions {
  /**
   * Base URL of the service. Env `*_SERVICE_URL`. Defaults to "http://localhost:8001" for Sessions
   * and "http://localhost:8002" for Memory.
   */
  baseUrl?: string;
  /**
   * "json": the Connect protocol with JSON bodies, over HTTP/1.1 or HTTP/2 (see `httpVersion`).
   * "grpc": gRPC over HTTP/2. Env `*_SERVICE_TRANSPORT`. Defaults to "json".
   */
  transport?: TransportKind;
  /**
   * HTTP version of the "json" transport; "grpc" always uses "2". Env `*_SERVICE_HTTP_VERSION`.
   * Defaults to "1.1".
   */
  httpVersion?: "1.1" | "2";
  /**
   * Deadline of each call, across all its attempts, in ms. Env `*_SERVICE_TIMEOUT`, in seconds.
   * Defaults to 30 seconds.
   */
  timeoutMs?: number;
  /**
   * Retries after the first attempt of a call that failed transiently; 0 disables retries. Env
   * `*_SERVICE_MAX_RETRIES`. Defaults to 3.
   */
  maxRetries?: number;
  /**
   * Base of the exponential backoff between attempts, in ms: the n-th retry waits between d/2 and
   * d, d = retryDelayMs · 2^(n-1). Env `*_SERVICE_RETRY_DELAY`, in seconds. Defaults to 1 second.
   */
  retryDelayMs?: number;
  /** Longest backoff between two attempts, in ms. Defaults to 30 seconds. */
  maxRetryDelayMs?: number;
  /** Sent as `x-api-key` on every call. Env `*_SERVICE_API_KEY`. Defaults to none. */
  apiKey?: string;
  /** Sent as `Authorization: Bearer <token>` on every call. Env `*_SERVICE_BEARER_TOKEN`. Defaults to none. */
  bearerToken?: string;
  /**
   * TLS for an `https://` baseUrl: the CA to trust and, for mutual TLS, the client certificate.
   * Without it, an https:// URL is verified against Node's bundled CAs (and `NODE_EXTRA_CA_CERTS`).
   * Env `*_SERVICE_CA_FILE`, `*_SERVICE_CERT_FILE`, `*_SERVICE_KEY_FILE`: paths of PEM files.
   */
  tls?: ClientTlsOptions;
  /** Connect interceptors, run on every attempt, inside the retries. Defaults to none. */
  interceptors?: Interceptor[];
  /**
   * The client's circuit breaker, or `false` for none. Env `*_SERVICE_CIRCUIT_BREAKER` ("on" or
   * "off") and `*_SERVICE_CIRCUIT_HALF_OPEN_AFTER` (seconds). Defaults: opens when half of the last
   * 20 attempts (10 at least) failed transiently, probes after 5 seconds.
   */
  circuitBreaker?: false | CircuitBreakerOptions;
  /**
   * The client's retry budget (gRFC A6 throttling), or `false` for none. Defaults to 100 tokens,
   * 0.5 back per success: retries stop when more than about a third of attempts fail.
   */
  retryBudget?: false | RetryBudgetOptions;
  /**
   * Hedged reads: a read that has not answered within `delayMs` is sent a second time and the
   * first answer wins. Defaults to off.
   */
  hedging?: false | HedgingOptions;
  /**
   * A TTL cache of reads, dropped by this client's own writes to the same resource. Defaults to
   * off.
   */
  readCache?: false | ReadCacheOptions;
  /**
   * OpenTelemetry tracing, metrics and W3C trace context, when `@opentelemetry/api` is installed:
   * `true` for the global providers, providers of your own, or `false`. Defaults to `true`
   * (without a registered SDK the API does nothing, at a cost of a few µs per call).
   */
  openTelemetry?: boolean | OpenTelemetryProviders;
  /** Called once per finished call, retries included: for users without OpenTelemetry. */
  onCall?: (event: CallEvent) => void;
  /** Called before each retry's wait. */
  onRetry?: (event: RetryEvent) => void;
  /** Called when a call fails for good. */
  onGiveUp?: (event: GiveUpEvent) => void;
  /** Where environment variables are read from. Defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The TLS settings of a client: PEM text (a file's contents, not its path). */
export interface ClientTlsOptions {
  /** CA certificates that the server's certificate must chain to, instead of Node's bundled CAs. */
  ca?: string | Buffer;
  /** The client certificate for mutual TLS, given with `key`. */
  cert?: string | Buffer;
  /** The private key of `cert`, unencrypted. */
  key?: string | Buffer;
}

/** Options of one call. */
export interface CallOptions {
  /** Deadline of this call, across all its attempts, in ms; overrides the client's `timeoutMs`. */
  timeoutMs?: number;
  /** Cancels the call. A cancelled call is never retried. */
  signal?: AbortSignal;
  /** Extra request headers. */
  headers?: Headers | Record<string, string> | [string, string][];
}
