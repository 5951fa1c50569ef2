import { decimal, duration, wholeNumber, wholeNumberOrOff } from "../options/number-kinds.js";
import { type OptionEntry, optionTable } from "../options/option-table.js";
import { pem } from "../options/pem-kind.js";
import { httpUrls, oneOf, settingsSwitch, token } from "../options/text-kinds.js";
import { defaultCompressMinBytes } from "../transport/transport-options.js";

/** setTimeout's longest delay: a longer one fires at once. */
const maxTimerMs = 2_147_483_647;
const hourMs = 3_600_000;
const dayMs = 86_400_000;
/** The largest message connect-node reads: 4 GiB - 1. */
const maxUint32 = 4_294_967_295;

/**
 * Every client option that takes a value: where it is in {@link ClientOptions}, its variable
 * (after the service's prefix: `SESSIONS_SERVICE_` or `MEMORY_SERVICE_`), its kind and range, and
 * its default. resolveOptions reads the options through it, and the ClientOptions doc comments are
 * tested against it. Interceptors, callbacks, `openTelemetry` and `env` are not checked values.
 */
export const clientOptionTable = optionTable({
  /** No default here: each service has its own (ServiceDefaults). */
  baseUrl: { kind: httpUrls, variable: "URL" },
  transport: { kind: oneOf("json", "grpc"), variable: "TRANSPORT", default: "json" },
  httpVersion: { kind: oneOf("1.1", "2"), variable: "HTTP_VERSION", default: "1.1" },
  compressMinBytes: {
    kind: wholeNumberOrOff({ min: 0, max: maxUint32, of: "bytes" }),
    variable: "COMPRESS_MIN_BYTES",
    default: defaultCompressMinBytes,
  },
  timeoutMs: { kind: duration({ min: 1, max: maxTimerMs }), variable: "TIMEOUT", default: 30_000 },
  maxRetries: {
    kind: wholeNumber({ min: 0, max: 100, of: "retries" }),
    variable: "MAX_RETRIES",
    default: 3,
  },
  retryDelayMs: {
    kind: duration({ min: 0, max: hourMs }),
    variable: "RETRY_DELAY",
    default: 1_000,
  },
  maxRetryDelayMs: { kind: duration({ min: 0, max: hourMs }), default: 30_000 },
  apiKey: { kind: token, variable: "API_KEY" },
  bearerToken: { kind: token, variable: "BEARER_TOKEN" },
  "tls.ca": { kind: pem("CERTIFICATE"), variable: "CA_FILE" },
  "tls.cert": { kind: pem("CERTIFICATE"), variable: "CERT_FILE" },
  "tls.key": { kind: pem("PRIVATE KEY"), variable: "KEY_FILE" },
  circuitBreaker: { kind: settingsSwitch, variable: "CIRCUIT_BREAKER", default: true },
  // Below 1: a breaker that opens only when more than all attempts failed never opens (and
  // cockatiel refuses it).
  "circuitBreaker.failureRatio": {
    kind: decimal({ min: 0.01, max: 1, maxExcluded: true }),
    default: 0.5,
  },
  "circuitBreaker.windowSize": {
    kind: wholeNumber({ min: 1, max: 100_000, of: "attempts" }),
    default: 20,
  },
  "circuitBreaker.minimumAttempts": {
    kind: wholeNumber({ min: 1, max: 100_000, of: "attempts" }),
    default: 10,
  },
  "circuitBreaker.halfOpenAfterMs": {
    kind: duration({ min: 1, max: hourMs }),
    variable: "CIRCUIT_HALF_OPEN_AFTER",
    default: 5_000,
  },
  retryBudget: { kind: settingsSwitch, default: true },
  "retryBudget.maxTokens": { kind: decimal({ min: 1, max: 1_000_000 }), default: 100 },
  "retryBudget.tokenRatio": { kind: decimal({ min: 0.001, max: 1_000 }), default: 0.5 },
  hedging: { kind: settingsSwitch, default: false },
  /** No default: hedging needs it. */
  "hedging.delayMs": { kind: duration({ min: 1, max: hourMs }) },
  loadBalancing: {
    kind: oneOf("peak-ewma", "round-robin"),
    variable: "LOAD_BALANCING",
    default: "peak-ewma",
  },
  resolveIntervalMs: {
    kind: duration({ min: 100, max: dayMs }),
    variable: "RESOLVE_INTERVAL",
    default: 30_000,
  },
  outlierDetection: { kind: settingsSwitch, variable: "OUTLIER_DETECTION", default: true },
  "outlierDetection.consecutiveFailures": {
    kind: wholeNumber({ min: 1, max: 1_000, of: "failures" }),
    default: 5,
  },
  "outlierDetection.baseEjectionTimeMs": {
    kind: duration({ min: 1, max: hourMs }),
    default: 30_000,
  },
  "outlierDetection.maxEjectionPercent": {
    kind: wholeNumber({ min: 0, max: 100, of: "percent" }),
    default: 50,
  },
  "outlierDetection.intervalMs": { kind: duration({ min: 1, max: hourMs }), default: 10_000 },
  healthCheck: { kind: settingsSwitch, variable: "HEALTH_CHECK", default: false },
  "healthCheck.intervalMs": {
    kind: duration({ min: 1, max: hourMs }),
    variable: "HEALTH_CHECK_INTERVAL",
    default: 5_000,
  },
  "healthCheck.timeoutMs": { kind: duration({ min: 1, max: hourMs }), default: 1_000 },
  readCache: { kind: settingsSwitch, default: false },
  /** No default: a read cache needs it. */
  "readCache.ttlMs": { kind: duration({ min: 1, max: dayMs }) },
  "readCache.maxEntries": {
    kind: wholeNumber({ min: 1, max: 1_000_000, of: "entries" }),
    default: 1_000,
  },
});

/** The client option table's entries, in order. */
export const clientOptionEntries: readonly OptionEntry<unknown>[] =
  Object.values(clientOptionTable);
