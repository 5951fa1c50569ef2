import { duration, wholeNumber, wholeNumberOrOff } from "../options/number-kinds.js";
import {
  type OptionEnvironment,
  type OptionReader,
  optionReader,
} from "../options/option-reader.js";
import { type OptionEntry, optionTable } from "../options/option-table.js";
import { defaultCompressMinBytes } from "../transport/transport-options.js";
import type { ServiceLimitOptions } from "./serve/service-limit-options.js";

/** setTimeout's longest delay: a longer one fires at once. */
const maxTimerMs = 2_147_483_647;
/** The largest value of an HTTP/2 setting, and connect-node's largest readMaxBytes. */
const maxUint32 = 4_294_967_295;

/**
 * The options of the services: the limits that serve() takes, that startServices() hands on to
 * both services, and that `contextiq serve` reads from its CONTEXTIQ_* variables (times in
 * seconds); and the ports of serve() and startServices(), which `contextiq serve` takes from the
 * services' URLs. Every one is checked here, before anything listens or any store opens.
 */
export const serviceOptionTable = optionTable({
  maxConcurrentStreams: {
    kind: wholeNumber({ min: 1, max: maxUint32, of: "streams" }),
    variable: "CONTEXTIQ_MAX_CONCURRENT_STREAMS",
    default: 100,
    summary: "HTTP/2 streams one connection may have open at once",
  },
  requestTimeoutMs: {
    kind: duration({ min: 1, max: maxTimerMs }),
    variable: "CONTEXTIQ_REQUEST_TIMEOUT",
    default: 30_000,
    summary: "seconds a client may take to send a whole request",
  },
  // A connection that has not sent enough to be classified by then is most likely not HTTP at all.
  handshakeTimeoutMs: {
    kind: duration({ min: 1, max: maxTimerMs }),
    variable: "CONTEXTIQ_HANDSHAKE_TIMEOUT",
    default: 10_000,
    summary: "seconds a new connection may take to start TLS or HTTP",
  },
  // About what gRPC servers allow an idle connection; clients' keepalive pings count as activity.
  idleTimeoutMs: {
    kind: duration({ min: 1, max: maxTimerMs }),
    variable: "CONTEXTIQ_IDLE_TIMEOUT",
    default: 300_000,
    summary: "seconds a connection may stay silent before it is closed",
  },
  drainTimeoutMs: {
    kind: duration({ min: 0, max: maxTimerMs }),
    variable: "CONTEXTIQ_DRAIN_TIMEOUT",
    default: 10_000,
    summary: "seconds a stop (Ctrl-C, SIGTERM) lets calls in flight finish",
  },
  maxConnections: {
    kind: wholeNumber({ min: 1, max: 2_147_483_647, of: "connections" }),
    variable: "CONTEXTIQ_MAX_CONNECTIONS",
    default: 4096,
    summary: "connections each service keeps at once; more are closed",
  },
  readMaxBytes: {
    kind: wholeNumber({ min: 1, max: maxUint32, of: "bytes" }),
    variable: "CONTEXTIQ_READ_MAX_BYTES",
    default: 4 * 1024 * 1024,
    summary: "bytes of the largest request message accepted",
  },
  compressMinBytes: {
    kind: wholeNumberOrOff({ min: 0, max: maxUint32, of: "bytes" }),
    variable: "CONTEXTIQ_COMPRESS_MIN_BYTES",
    default: defaultCompressMinBytes,
    summary: "bytes from which a response is gzipped (or off)",
  },
  // gRFC A9: a connection asked to go after this long (±10%, so that a fleet's clients do not all
  // reconnect at once) lets clients behind an L4 balancer spread over replicas added since.
  maxConnectionAgeMs: {
    kind: duration({ min: 1, max: maxTimerMs }),
    variable: "CONTEXTIQ_MAX_CONNECTION_AGE",
    summary: "seconds before a connection is asked to go (±10%)",
  },
  maxConnectionAgeGraceMs: {
    kind: duration({ min: 0, max: maxTimerMs }),
    variable: "CONTEXTIQ_MAX_CONNECTION_AGE_GRACE",
    summary: "seconds an aged connection's calls get before it is cut",
  },
  maxWatchers: {
    kind: wholeNumber({ min: 1, max: 2_147_483_647, of: "watches" }),
    variable: "CONTEXTIQ_MAX_WATCHERS",
    default: 1000,
    summary: "WatchEvents streams the Sessions service runs at once",
  },
  // Long enough for a reader busy with one event (a model call); a reader that is gone is found
  // by the heartbeats' keepalive sooner.
  watchStallTimeoutMs: {
    kind: duration({ min: 1, max: maxTimerMs }),
    variable: "CONTEXTIQ_WATCH_STALL_TIMEOUT",
    default: 30_000,
    summary: "seconds a watcher may leave an event unread before it is cut",
  },
  port: { kind: wholeNumber({ min: 0, max: 65_535 }), default: 0 },
  sessionsPort: { kind: wholeNumber({ min: 0, max: 65_535 }), default: 0 },
  memoryPort: { kind: wholeNumber({ min: 0, max: 65_535 }), default: 0 },
});

/** The service option table's entries, in order. */
export const serviceOptionEntries: readonly OptionEntry<unknown>[] =
  Object.values(serviceOptionTable);

/** Every limit of a service, in force. */
export interface ServiceLimits {
  readonly maxConcurrentStreams: number;
  readonly requestTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly maxConnections: number;
  readonly readMaxBytes: number;
  /** `false`: no response is compressed. */
  readonly compressMinBytes: number | false;
  /** Undefined: connections live as long as they are used. */
  readonly maxConnectionAgeMs: number | undefined;
  /** Undefined: an aged connection's calls take as long as they take. */
  readonly maxConnectionAgeGraceMs: number | undefined;
  readonly maxWatchers: number;
  readonly watchStallTimeoutMs: number;
}

/** The entries of the limits: the options with a variable for `contextiq serve`. */
export const serviceLimitEntries = serviceOptionEntries.filter(
  (entry) => entry.variable !== undefined,
);

/**
 * The limits given to `of` ("serve", "startServices"), each checked; defaults for the rest. A bad
 * one throws an InvalidOptionError naming it.
 */
export function resolveServiceLimits(options: ServiceLimitOptions, of: string): ServiceLimits {
  return limitsFrom(optionReader(options, undefined, of));
}

/**
 * The limits from their CONTEXTIQ_* variables, each checked; defaults for the rest. A bad one
 * throws an InvalidOptionError naming the variable.
 */
export function readServiceLimits(values: OptionEnvironment["values"]): ServiceLimits {
  return limitsFrom(optionReader({}, { values }));
}

/** The port option `name` given to `of`, checked: 0, the default, picks an ephemeral port. */
export function resolvePort(
  options: object,
  name: "port" | "sessionsPort" | "memoryPort",
  of: string,
): number {
  return optionReader(options, undefined, of).read(serviceOptionTable[name]);
}

function limitsFrom({ read }: OptionReader): ServiceLimits {
  const table = serviceOptionTable;
  return {
    maxConcurrentStreams: read(table.maxConcurrentStreams),
    requestTimeoutMs: read(table.requestTimeoutMs),
    handshakeTimeoutMs: read(table.handshakeTimeoutMs),
    idleTimeoutMs: read(table.idleTimeoutMs),
    drainTimeoutMs: read(table.drainTimeoutMs),
    maxConnections: read(table.maxConnections),
    readMaxBytes: read(table.readMaxBytes),
    compressMinBytes: read(table.compressMinBytes),
    maxConnectionAgeMs: read(table.maxConnectionAgeMs),
    maxConnectionAgeGraceMs: read(table.maxConnectionAgeGraceMs),
    maxWatchers: read(table.maxWatchers),
    watchStallTimeoutMs: read(table.watchStallTimeoutMs),
  };
}
