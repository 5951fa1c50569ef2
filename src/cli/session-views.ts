// How sessions and events read in a terminal (`--json` prints the messages instead, via toJson).
import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type Event,
  EventSchema,
  type Session,
  SessionSchema,
} from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { formatJson, formatScope, formatTime, orDash, truncate } from "./format.js";
import { type Column, renderDetails, renderRow, renderTable } from "./table.js";

/** Where a session is in its life: the service reports timestamps, not this word. */
export type SessionLifecycle = "active" | "ended" | "expired";

/** Whether `session` is active, ended or expired at `now` (ms since the epoch). */
export function lifecycleOf(session: Session, now = Date.now()): SessionLifecycle {
  if (session.endedAt) return "ended";
  if (session.expiresAt && timestampMs(session.expiresAt) <= now) return "expired";
  return "active";
}

const sessionColumns: readonly Column<Session>[] = [
  { header: "ID", value: (s) => s.id },
  { header: "TITLE", value: (s) => orDash(truncate(s.title, 40)) },
  { header: "EVENTS", value: (s) => String(s.eventCount), align: "right" },
  {
    header: "TOKENS IN/OUT",
    value: (s) => `${s.totalInputTokens}/${s.totalOutputTokens}`,
    align: "right",
  },
  { header: "LAST ACTIVITY", value: (s) => formatTime(s.lastActivityAt) },
  { header: "STATE", value: (s) => lifecycleOf(s) },
];

const eventColumns: readonly Column<Event>[] = [
  { header: "ID", value: (e) => e.id },
  { header: "TYPE", value: (e) => e.eventType },
  { header: "TOKENS IN/OUT", value: (e) => `${e.inputTokens}/${e.outputTokens}`, align: "right" },
  { header: "TIME", value: (e) => formatTime(e.timestamp) },
  { header: "DATA", value: (e) => truncate(formatJson(e.data), 60) },
];

/** A table of sessions. */
export function sessionsTable(sessions: readonly Session[]): string {
  return renderTable(sessionColumns, sessions);
}

/** Every field of one session. */
export function sessionDetails(session: Session): string {
  return renderDetails([
    ["id", session.id],
    ["title", orDash(session.title)],
    ["description", orDash(session.description)],
    ["scope", formatScope(session.scope)],
    ["state", lifecycleOf(session)],
    ["events", String(session.eventCount)],
    ["tokens in/out", `${session.totalInputTokens}/${session.totalOutputTokens}`],
    ["started", formatTime(session.startedAt)],
    ["last activity", formatTime(session.lastActivityAt)],
    ["ended", formatTime(session.endedAt)],
    ["expires", formatTime(session.expiresAt)],
    ["ttl", `${session.ttlSeconds} s`],
    ["state data", formatJson(session.state)],
  ]);
}

/** A table of events. */
export function eventsTable(events: readonly Event[]): string {
  return renderTable(eventColumns, events);
}

/** One event on one line, the columns of {@link eventsTable} in order: for events printed as they come. */
export function eventLine(event: Event): string {
  return renderRow(eventColumns, event);
}

/** Every field of one event. */
export function eventDetails(event: Event): string {
  return renderDetails([
    ["id", event.id],
    ["session", event.sessionId],
    ["type", event.eventType],
    ["tokens in/out", `${event.inputTokens}/${event.outputTokens}`],
    ["time", formatTime(event.timestamp)],
    ["data", formatJson(event.data)],
  ]);
}

// Every field, defaults included: a script should not have to know that 0 events means absent.
const jsonOptions = { alwaysEmitImplicit: true } as const;

/** A session as proto3 JSON (int64 token totals as strings). */
export function sessionJson(session: Session): JsonValue {
  return toJson(SessionSchema, session, jsonOptions);
}

/** An event as proto3 JSON. */
export function eventJson(event: Event): JsonValue {
  return toJson(EventSchema, event, jsonOptions);
}
