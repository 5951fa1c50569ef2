import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type {
  Event,
  WatchEventsRequestSchema,
  WatchEventsResponse,
} from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { failureKind, isTransient } from "../policy/transient.js";

/** How to watch a session's events; see `SessionsServiceClient.watchEvents`. */
export interface WatchEventsOptions {
  /** Start after this event (the last one handled). Defaults to the session's first event. */
  afterEventId?: string;
  /** Only events of this type. */
  eventType?: string;
  /** Stops the watch: the iteration then fails with CANCELED. */
  signal?: AbortSignal;
  /**
   * A deadline for the whole watch, reconnections included, in ms: DEADLINE_EXCEEDED when it
   * passes. Defaults to none: a watch lives until its session ends or the caller stops it.
   */
  timeoutMs?: number;
  /**
   * Seconds without an event after which the server sends a heartbeat, 1-300. A watch that hears
   * nothing, heartbeat or event, for twice as long (plus a second) takes its connection for dead
   * and reconnects. Defaults to 15.
   */
  heartbeatSeconds?: number;
  /** Extra request headers of each (re)connection. */
  headers?: Headers | Record<string, string> | [string, string][];
  /** Told of each reconnection, before its backoff: for logs and metrics. */
  onReconnect?: (event: WatchReconnectEvent) => void;
}

/** A watch that lost its stream and is about to open it again after the last event delivered. */
export interface WatchReconnectEvent {
  /** Reconnections since the last message received, this one included. */
  readonly attempt: number;
  /** What ended the stream. */
  readonly error: ConnectError;
  /** The id of the last event delivered, where the new stream starts; "" for the start. */
  readonly afterEventId: string;
  /** How long the watch waits before it reconnects. */
  readonly delayMs: number;
}

/** Opens one WatchEvents stream. */
export type OpenWatch = (
  request: MessageInitShape<typeof WatchEventsRequestSchema>,
  options: { signal: AbortSignal; timeoutMs?: number; headers?: WatchEventsOptions["headers"] },
) => AsyncIterable<WatchEventsResponse>;

/** What a watch needs of its client. */
export interface WatchDeps {
  readonly open: OpenWatch;
  /** Backoff after the first failure in a row, doubling to `maxRetryDelayMs`, with full jitter. */
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  /** Aborted when the client closes: the watch then fails with its reason (FAILED_PRECONDITION). */
  readonly closed: AbortSignal;
}

const defaultHeartbeatSeconds = 15;

/**
 * The events of a session as they are stored: the backlog after the cursor, then the live tail,
 * until the session ends. After a transient failure (a reset or refused connection, UNAVAILABLE,
 * a replica shutting down, RESOURCE_EXHAUSTED from a server that cut a slow reader, a silent
 * connection) it opens the stream again after the last event it delivered, with backoff: no event
 * is missed, none is delivered twice, and they come in order. Any other error ends the iteration.
 */
export async function* watchSessionEvents(
  sessionId: string,
  options: WatchEventsOptions,
  deps: WatchDeps,
): AsyncGenerator<Event, void, undefined> {
  const heartbeatSeconds = options.heartbeatSeconds ?? defaultHeartbeatSeconds;
  const silenceMs = heartbeatSeconds * 2_000 + 1_000;
  const stops = [deps.closed, ...(options.signal ? [options.signal] : [])];
  const deadline =
    options.timeoutMs === undefined ? undefined : performance.now() + options.timeoutMs;
  let cursor = options.afterEventId ?? "";
  let failures = 0;

  for (;;) {
    throwIfStopped(stops);
    const remaining = deadline === undefined ? undefined : Math.floor(deadline - performance.now());
    if (remaining !== undefined && remaining < 1) {
      throw new ConnectError("the watch's deadline passed", Code.DeadlineExceeded);
    }
    const attempt = new AbortController();
    const stopAttempt = () => attempt.abort();
    for (const stop of stops) stop.addEventListener("abort", stopAttempt, { once: true });
    let silent = false;
    let quiet: NodeJS.Timeout | undefined;
    const heard = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        silent = true;
        // UNAVAILABLE as the reason: the HTTP/2 transports then suspect the connection, which
        // takes no new stream until it answers a ping, so the next attempt goes elsewhere.
        attempt.abort(
          new ConnectError(
            `no event or heartbeat for ${silenceMs} ms: the connection is taken for dead`,
            Code.Unavailable,
          ),
        );
      }, silenceMs);
    };
    try {
      heard();
      const stream = deps.open(
        { sessionId, afterEventId: cursor, eventType: options.eventType ?? "", heartbeatSeconds },
        {
          signal: attempt.signal,
          ...(remaining === undefined ? {} : { timeoutMs: remaining }),
          ...(options.headers === undefined ? {} : { headers: options.headers }),
        },
      );
      for await (const response of stream) {
        failures = 0;
        if (response.event === undefined) {
          heard();
          continue;
        }
        cursor = response.event.id;
        // The caller's time with the event is not the connection's silence.
        clearTimeout(quiet);
        yield response.event;
        heard();
      }
      return;
    } catch (thrown) {
      throwIfStopped(stops);
      const error = silent ? ConnectError.from(attempt.signal.reason) : ConnectError.from(thrown);
      if (!reconnectable(error)) throw error;
      failures++;
      const ceiling = Math.min(deps.maxRetryDelayMs, deps.retryDelayMs * 2 ** (failures - 1));
      const delayMs = Math.round(Math.random() * ceiling);
      options.onReconnect?.({ attempt: failures, error, afterEventId: cursor, delayMs });
      await sleep(delayMs, stops);
    } finally {
      clearTimeout(quiet);
      for (const stop of stops) stop.removeEventListener("abort", stopAttempt);
      attempt.abort();
    }
  }
}

/**
 * Whether a watch that ended with `error` opens again: what the unary calls retry (a read may be
 * repeated), and RESOURCE_EXHAUSTED, which the contract answers to a watcher that read too slowly
 * or a server at its watchers' bound, and HTTP/2's ENHANCE_YOUR_CALM reads as.
 */
function reconnectable(error: ConnectError): boolean {
  if (failureKind(error) === "tls") return false;
  return error.code === Code.ResourceExhausted || isTransient(error, true, undefined);
}

function throwIfStopped(stops: readonly AbortSignal[]): void {
  for (const stop of stops) {
    if (stop.aborted) throw ConnectError.from(stop.reason, Code.Canceled);
  }
}

/** Waits `ms`, or until one of `stops` aborts (the caller then finds it stopped). */
function sleep(ms: number, stops: readonly AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const stop of stops) stop.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const stop of stops) stop.addEventListener("abort", done, { once: true });
  });
}
