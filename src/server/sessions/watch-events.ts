import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import {
  type Session,
  type WatchEventsRequest,
  WatchEventsResponseSchema,
} from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { notFound } from "../errors.js";
import { cutCall, serverDraining } from "../serve/call-context.js";
import type { SessionsStore } from "../store/store.js";
import { checkLength, checkRange, checkUuid, uuidField } from "../validation/rules.js";
import { Violations } from "../validation/violations.js";
import { expiresAtMs } from "./lifecycle.js";
import { Wakeup } from "./wakeup.js";

/** How many watches one service runs at once, and how long one may go unread. */
export interface WatchLimits {
  /** Watches at once; one more is RESOURCE_EXHAUSTED. */
  readonly maxWatchers: number;
  /** How long a watcher may leave a message unread (its windows full) before it is cut. */
  readonly stallTimeoutMs: number;
}

/** Heartbeat interval of a watch that asks for none. */
const defaultHeartbeatSeconds = 15;
/**
 * Events read from the store at a time: what a watcher's server side holds at most, besides the
 * one message being written, however far behind it reads.
 */
const pageSize = 32;
/**
 * How long after its expiry an expired session's watch ends. A CreateEvent that was checked just
 * before the expiry may commit a moment after it, and moves the expiry on; this gives it time.
 */
const expiryGraceMs = 2_000;

type Response = MessageInitShape<typeof WatchEventsResponseSchema>;

/**
 * The WatchEvents handler: the events after the cursor, then each new one. It never buffers: it
 * reads a page from the store only when the last was written, so a watcher that reads slowly
 * slows its own watch, and one that stops reading for `stallTimeoutMs` is cut. No event falls
 * between the backlog and the live tail: the watch listens for changes before its first read and
 * reads again, after its last position, on every change.
 */
export function createEventWatch(
  store: SessionsStore,
  now: () => number,
  limits: WatchLimits,
): (req: WatchEventsRequest, ctx: HandlerContext) => AsyncIterable<Response> {
  let watchers = 0;

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
    try {
      // Listening first: a change committed after this is heard, whatever the reads below see.
      stopListening = await store.onSessionChange(sessionId, () => wakeup.notify());
      let position = req.afterEventId
        ? await store.eventPosition(sessionId, req.afterEventId.toLowerCase())
        : 0;
      const filter = { sessionId, eventType: req.eventType };
      const heartbeatMs = (req.heartbeatSeconds || defaultHeartbeatSeconds) * 1000;
      const signals = [ctx.signal, ctx.values.get(serverDraining)];
      const cut = ctx.values.get(cutCall);
      let lastSent = Date.now();

      for (;;) {
        wakeup.clear();
        const { session, events } = await store.eventsAfter(filter, position, pageSize);
        if (session === undefined) throw notFound("session", sessionId);
        for (const { event, position: at } of events) {
          yield* written({ event }, limits.stallTimeoutMs, cut);
          position = at;
          lastSent = Date.now();
        }
        if (events.length === pageSize) continue;
        // The session was read before these events: if it had ended then, there are no more.
        const endsInMs = msUntilEnd(session, now());
        if (endsInMs <= 0) return;
        const heartbeatInMs = lastSent + heartbeatMs - Date.now();
        if (heartbeatInMs <= 0) {
          yield* written({}, limits.stallTimeoutMs, cut);
          lastSent = Date.now();
          continue;
        }
        try {
          await wakeup.wait(Math.min(endsInMs, heartbeatInMs), signals);
        } catch (reason) {
          if (ctx.values.get(serverDraining).aborted) {
            throw new ConnectError(
              "the server is shutting down: watch again after the last event received",
              Code.Unavailable,
            );
          }
          throw ConnectError.from(reason, Code.Canceled);
        }
      }
    } finally {
      stopListening?.();
      watchers--;
    }
  };
}

/** `message` as the handler's next output, cutting the call if it stays unwritten too long. */
async function* written(
  message: Response,
  stallTimeoutMs: number,
  cut: () => void,
): AsyncGenerator<Response> {
  const stalled = setTimeout(cut, stallTimeoutMs);
  try {
    yield create(WatchEventsResponseSchema, message);
  } finally {
    clearTimeout(stalled);
  }
}

/** Ms until a watch of `session` ends: 0 or less once it ended, or expired a grace ago. */
function msUntilEnd(session: Session, now: number): number {
  if (session.endedAt) return 0;
  const lastActivity = session.lastActivityAt ? timestampMs(session.lastActivityAt) : 0;
  return expiresAtMs(lastActivity, session.ttlSeconds) + expiryGraceMs - now;
}
