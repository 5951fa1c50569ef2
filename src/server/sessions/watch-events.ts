import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import {
  type Session,
  type WatchEventsRequest,
  WatchEventsResponseSchema,
} from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { notFound } from "../errors.js";
import { callBacklog, cutCall, serverDraining } from "../serve/call-context.js";
import type { SessionsStore } from "../store/store.js";
import { checkLength, checkRange, checkUuid, uuidField } from "../validation/rules.js";
import { Violations } from "../validation/violations.js";
import { expiresAtMs } from "./lifecycle.js";
import { Wakeup } from "./wakeup.js";

/** How many watches one service runs at once, and how long one may go unread. */
export interface WatchLimits {
  /** Watches at once; one more is RESOURCE_EXHAUSTED. */
  readonly maxWatchers: number;
  /** How long a watch may make no progress in writing (its reader's windows full) before it is cut. */
  readonly stallTimeoutMs: number;
  /**
   * The longest heartbeat interval served, whatever a watch asks for: below the server's idle
   * timeout, so that a quiet watch's connection is never taken for idle. Defaults to 300 s.
   */
  readonly maxHeartbeatMs?: number;
}

/** Heartbeat interval of a watch that asks for none. */
const defaultHeartbeatSeconds = 15;
/**
 * Events read from the store at a time: what a watcher's server side holds at most, besides the
 * one message being written, however far behind it reads.
 */
const pageSize = 32;
/**
 * How long after its expiry an expired session's watch ends: the replicas' clocks may differ by
 * as much. Writers check expiry once they hold the session's lock, and the watch waits for the
 * writers holding it before its last read (see SessionsStore.settleWrites).
 */
const expiryGraceMs = 2_000;

type Response = MessageInitShape<typeof WatchEventsResponseSchema>;

/**
 * The WatchEvents handler: the events after the cursor, then each new one. It never buffers: it
 * reads a page from the store only when the last was written, so a watcher that reads slowly
 * slows its own watch, and one that makes no progress for `stallTimeoutMs` is cut. No event falls
 * between the backlog and the live tail: the watch listens for changes before its first read and
 * reads again, after its last position, on every change.
 */
export function createEventWatch(
  store: SessionsStore,
  now: () => number,
  limits: WatchLimits,
): (req: WatchEventsRequest, ctx: HandlerContext) => AsyncIterable<Response> {
  let watchers = 0;
  const maxHeartbeatMs = limits.maxHeartbeatMs ?? 300_000;

  return async function* watchEvents(req, ctx) {
    const v = new Violations();
    const sessionId = uuidField(v, "session_id", req.sessionId);
    checkUuid(v, "after_event_id", req.afterEventId, true);
    checkLength(v, "event_type", req.eventType, 100);
    if (req.heartbeatSeconds !== 0) {
      checkRange(v, "heartbeat_seconds", req.heartbeatSeconds, 1, 300, " s");
    }
    v.throwIfAny();
    if (watchers >= limits.maxWatchers) {
      throw new ConnectError(
        `this server already runs ${limits.maxWatchers} watches: try again later or elsewhere`,
        Code.ResourceExhausted,
      );
    }
    watchers++;
    const wakeup = new Wakeup();
    let stopListening: (() => void) | undefined;
    let released = false;
    // Once, whichever comes first: the generator's end, or the call's. A stream that closes while
    // connect-node waits to write to it never resumes this generator (its write waits for a
    // 'drain' that Node does not emit on a closed stream), so the call's end gives the slot back.
    const release = () => {
      if (released) return;
      released = true;
      watchers--;
      stopListening?.();
      ctx.signal.removeEventListener("abort", release);
    };
    ctx.signal.addEventListener("abort", release, { once: true });
    const draining = ctx.values.get(serverDraining);
    const signals = [ctx.signal, draining];
    const write = writer(
      limits.stallTimeoutMs,
      ctx.values.get(cutCall),
      ctx.values.get(callBacklog),
    );
    /** Ends the watch as the contract says once the server drains; cancels it with its call. */
    const stopIfAsked = (reason?: unknown) => {
      if (draining.aborted) {
        throw new ConnectError(
          "the server is shutting down: watch again after the last event received",
          Code.Unavailable,
        );
      }
      if (ctx.signal.aborted || reason !== undefined) {
        throw ConnectError.from(reason ?? ctx.signal.reason, Code.Canceled);
      }
    };
    try {
      // Listening first: a change committed after this is heard, whatever the reads below see.
      stopListening = await store.onSessionChange(sessionId, () => wakeup.notify());
      if (released) stopListening();
      let position = req.afterEventId
        ? await store.eventPosition(sessionId, req.afterEventId.toLowerCase())
        : 0;
      const filter = { sessionId, eventType: req.eventType };
      const heartbeatMs = Math.min(
        (req.heartbeatSeconds || defaultHeartbeatSeconds) * 1000,
        maxHeartbeatMs,
      );
      let lastSent: number | undefined;
      /** Whether the writers that held the session's lock were waited for since it expired. */
      let settled = false;

      for (;;) {
        stopIfAsked();
        wakeup.clear();
        const { session, events, last } = await store.eventsAfter(filter, position, pageSize);
        if (session === undefined) throw notFound("session", sessionId);
        for (const { event, position: at } of events) {
          stopIfAsked();
          yield* write({ event });
          position = at;
          lastSent = Date.now();
        }
        if (events.length === pageSize) continue;
        // Past every event of the snapshot, those of other types too: a later event has a later
        // position, since a session's writes commit one at a time in position order.
        position = Math.max(position, last);
        // The session was read before these events: if it had ended then, there are no more.
        const endsInMs = msUntilEnd(session, now());
        if (endsInMs <= 0) {
          if (session.endedAt || settled) return;
          // Expired: a writer that took the session's lock before the expiry may still commit.
          await store.settleWrites(sessionId);
          settled = true;
          continue;
        }
        settled = false;
        // The first message goes out at once, a heartbeat when there is no event: the response
        // headers go with it, so the caller knows the watch is open.
        if (lastSent === undefined) {
          yield* write({});
          lastSent = Date.now();
        }
        let timeout = Math.min(endsInMs, lastSent + heartbeatMs - Date.now());
        while (
          timeout <= 0 ||
          (await waitOrStop(wakeup, timeout, signals, stopIfAsked)) === "timeout"
        ) {
          if (lastSent + heartbeatMs <= Date.now()) {
            yield* write({});
            lastSent = Date.now();
          }
          const ends = msUntilEnd(session, now());
          if (ends <= 0) break;
          timeout = Math.min(ends, lastSent + heartbeatMs - Date.now());
        }
      }
    } finally {
      release();
    }
  };
}

/** Waits for a change or `timeoutMs`; a draining server or the call's end throws as they say. */
async function waitOrStop(
  wakeup: Wakeup,
  timeoutMs: number,
  signals: readonly AbortSignal[],
  stopIfAsked: (reason?: unknown) => void,
): Promise<"changed" | "timeout"> {
  try {
    return await wakeup.wait(timeoutMs, signals);
  } catch (reason) {
    stopIfAsked(reason);
    throw reason;
  }
}

/**
 * Writes messages as the handler's output, cutting the call when one stays unwritten and nothing
 * of what is queued before it leaves either, for `stallTimeoutMs`: a reader that reads slowly but
 * steadily frees window all along and is never cut, one that has stopped is. The queue is sampled
 * twice per `stallTimeoutMs`; a sample below the one before is progress.
 */
function writer(
  stallTimeoutMs: number,
  cut: () => void,
  backlog: () => number,
): (message: Response) => AsyncGenerator<Response> {
  const sampleMs = Math.max(1, stallTimeoutMs / 2);
  return async function* write(message) {
    let progressAt = performance.now();
    // What was queued before this message: the first sample, with it queued too, is no lower
    // unless the reader made room.
    let previous = backlog();
    let timer: NodeJS.Timeout | undefined;
    const sample = () => {
      const queued = backlog();
      const now = performance.now();
      if (queued < previous) progressAt = now;
      previous = queued;
      if (now - progressAt >= stallTimeoutMs) cut();
      else timer = setTimeout(sample, sampleMs).unref();
    };
    timer = setTimeout(sample, sampleMs).unref();
    try {
      yield create(WatchEventsResponseSchema, message);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Ms until a watch of `session` ends: 0 or less once it ended, or expired a grace ago. */
function msUntilEnd(session: Session, now: number): number {
  if (session.endedAt) return 0;
  const lastActivity = session.lastActivityAt ? timestampMs(session.lastActivityAt) : 0;
  return expiresAtMs(lastActivity, session.ttlSeconds) + expiryGraceMs - now;
}
