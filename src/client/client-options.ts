import type { Interceptor } from "@connectrpc/connect";
import type { LoadBalancing } from "../balancer/balancer.js";
import type { HealthCheckOptions } from "../balancer/health-checker.js";
import type { OutlierDetectionOptions } from "../balancer/outlier-detector.js";
import type { Resolver } from "../balancer/resolver.js";
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
   * Base URL of the service, or the URLs of its replicas separated by commas. A host name is
   * resolved to all its addresses, each an endpoint that calls are balanced over (see
   * `loadBalancing`). Env `*_SERVICE_URL`. Defaults to "http://localhost:8001" for Sessions and
   * "http://localhost:8002" for Memory.
   */
  baseUrl?: string;
  /**
   * How calls are spread over the endpoints: "peak-ewma" sends each to the less loaded of two
   * endpoints drawn at random, by latency and calls outstanding; "round-robin" to each in turn.
   * Env `*_SERVICE_LOAD_BALANCING`. Defaults to "peak-ewma".
   */
  loadBalancing?: LoadBalancing;
  /**
   * Resolves the host names of `baseUrl` to addresses. Defaults to the system's resolver (as
   * `http.request` uses).
   */
  resolver?: Resolver;
  /**
   * How often host names are resolved again, in ms; connection failures also trigger a
   * resolution, at most one per 5 seconds. Env `*_SERVICE_RESOLVE_INTERVAL`, in seconds. Defaults
   * to 30 seconds.
   */
  resolveIntervalMs?: number;
  /**
   * Ejection of endpoints that fail, or `false` for none. Env `*_SERVICE_OUTLIER_DETECTION` ("on"
   * or "off"). Defaults: 5 failures in a row eject an endpoint for 30 seconds (longer each time),
   * never more than half of the endpoints at once.
   */
  outlierDetection?: false | OutlierDetectionOptions;
  /**
   * Active health checks of each endpoint over `grpc.health.v1`, or `false` for none. Env
   * `*_SERVICE_HEALTH_CHECK` ("on" or "off") and `*_SERVICE_HEALTH_CHECK_INTERVAL` (seconds).
   * Defaults to off.
   */
  healthCheck?: false | HealthCheckOptions;
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
   * Requests of at least this many bytes are sent gzipped, and responses are asked for gzipped
   * (the services compress those of at least their own `compressMinBytes`); `false` for no
   * compression either way. A compressed response is held to the client's read limit once
   * decompressed. Env `*_SERVICE_COMPRESS_MIN_BYTES` (bytes, or "off"). Defaults to 8192. Below
   * it gzip's fixed cost, about 150 µs of CPU a message, buys a few hundred bytes, and a memory in
   * protobuf (6.3 KB) barely shrinks: see docs/compression.md.
   */
  compressMinBytes?: number | false;
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
