import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Event,
  EventSchema,
  type Session,
  SessionSchema,
} from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { expiresAtMs } from "../sessions/lifecycle.js";
import { binaryCodec, msOf } from "./codec.js";
import { columnList } from "./columns.js";

// The Sessions store's rows, as every engine returns them: times and counters as numbers, scope,
// state and data as JSON text.

/** A row of `sessions`. */
export interface SessionRow {
  id: string;
  scope: string;
  title: string;
  description: string;
  state: string;
  started_at: number;
  last_activity_at: number;
  ended_at: number | null;
  ttl_seconds: number;
  event_count: number;
  total_input_tokens: number;
  total_output_tokens: number;
  deleted_at: number | null;
}

/** A row of `events`. */
export interface EventRow {
  seq: number;
  id: string;
  session_id: string;
  event_type: string;
  data: string;
  input_tokens: number;
  output_tokens: number;
  timestamp: number;
}

const sessionKeys: Record<keyof SessionRow, true> = {
  id: true,
  scope: true,
  title: true,
  description: true,
  state: true,
  started_at: true,
  last_activity_at: true,
  ended_at: true,
  ttl_seconds: true,
  event_count: true,
  total_input_tokens: true,
  total_output_tokens: true,
  deleted_at: true,
};

/** The columns of `sessions`, as a select list. */
export const sessionColumns = columnList(sessionKeys);

const eventKeys: Record<keyof EventRow, true> = {
  seq: true,
  id: true,
  session_id: true,
  event_type: true,
  data: true,
  input_tokens: true,
  output_tokens: true,
  timestamp: true,
};

/** The columns of `events`, as a select list. */
export const eventColumns = columnList(eventKeys);

/** The Session a row holds. */
export function toSession(row: SessionRow): Session {
  return create(SessionSchema, {
    id: row.id,
    scope: JSON.parse(row.scope) as Record<string, string>,
    title: row.title,
    description: row.description,
    state: JSON.parse(row.state) as JsonObject,
    startedAt: timestampFromMs(row.started_at),
    lastActivityAt: timestampFromMs(row.last_activity_at),
    ...(row.ended_at === null ? {} : { endedAt: timestampFromMs(row.ended_at) }),
    ttlSeconds: row.ttl_seconds,
    expiresAt: timestampFromMs(expiresAtMs(row.last_activity_at, row.ttl_seconds)),
    eventCount: row.event_count,
    totalInputTokens: BigInt(row.total_input_tokens),
    totalOutputTokens: BigInt(row.total_output_tokens),
  });
}

/** The Event a row holds. */
export function toEvent(row: EventRow): Event {
  return create(EventSchema, {
    id: row.id,
    sessionId: row.session_id,
    eventType: row.event_type,
    data: JSON.parse(row.data) as JsonObject,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    timestamp: timestampFromMs(row.timestamp),
  });
}

/** The columns a new session is inserted with; the others take their defaults. */
export function newSessionRow(session: Session) {
  return {
    id: session.id,
    scope: JSON.stringify(session.scope),
    title: session.title,
    description: session.description,
    state: JSON.stringify(session.state ?? {}),
    started_at: msOf(session.startedAt),
    last_activity_at: msOf(session.lastActivityAt),
    ttl_seconds: session.ttlSeconds,
  } satisfies Partial<SessionRow>;
}

/** The columns a new event is inserted with; `seq` is the store's. */
export function newEventRow(event: Event) {
  return {
    id: event.id,
    session_id: event.sessionId,
    event_type: event.eventType,
    data: JSON.stringify(event.data ?? {}),
    input_tokens: event.inputTokens,
    output_tokens: event.outputTokens,
    timestamp: msOf(event.timestamp),
  } satisfies Partial<EventRow>;
}

/** Session and Event as stored in the request log. */
export const sessionCodec = binaryCodec(SessionSchema);
export const eventCodec = binaryCodec(EventSchema);
