import type { JsonObject } from "@bufbuild/protobuf";
import type { Event, Session } from "../../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { notFound } from "../../errors.js";
import { inactiveError } from "../../sessions/lifecycle.js";
import { msOf } from "../codec.js";
import { insertOf } from "../columns.js";
import {
  eventsAfterQuery,
  lastPositionSql,
  listEventsQueries,
  listSessionsQueries,
} from "../list-queries.js";
import { paged } from "../paging.js";
import {
  type EventRow,
  eventCodec,
  eventColumns,
  newEventRow,
  newSessionRow,
  type SessionRow,
  sessionCodec,
  sessionColumns,
  toEvent,
  toSession,
} from "../session-rows.js";
import type { Listed, PageRequest, PositionedEvent, RequestKey, SessionsStore } from "../store.js";
import { connectionPool, type PostgresOptions, schemaOf } from "./connection.js";
import type { Sql } from "./database.js";
import { type OpenedDatabase, openDatabase, PostgresStore } from "./postgres-store.js";
import { oncePerRequestId, requestLogTable } from "./request-log.js";
import { SessionNotifications, sessionChannel } from "./session-notifications.js";

// Column for column the SQLite schema, in PostgreSQL's types: times as bigint ms, JSON as json.
const migrations = [
  `
  CREATE TABLE sessions (
    id                  text PRIMARY KEY,
    scope               json NOT NULL,
    title               text NOT NULL,
    description         text NOT NULL,
    state               json NOT NULL,
    started_at          bigint NOT NULL,
    last_activity_at    bigint NOT NULL,
    ended_at            bigint,
    ttl_seconds         integer NOT NULL,
    event_count         integer NOT NULL DEFAULT 0,
    total_input_tokens  bigint NOT NULL DEFAULT 0,
    total_output_tokens bigint NOT NULL DEFAULT 0,
    deleted_at          bigint
  );
  CREATE INDEX sessions_by_activity ON sessions (last_activity_at DESC, id DESC)
    WHERE deleted_at IS NULL;
  CREATE TABLE sessions_scope (
    owner text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    key   text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (key, value, owner)
  );
  CREATE INDEX sessions_scope_by_owner ON sessions_scope (owner);
  CREATE TABLE events (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            text NOT NULL UNIQUE,
    session_id    text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    event_type    text NOT NULL,
    data          json NOT NULL,
    input_tokens  integer NOT NULL,
    output_tokens integer NOT NULL,
    timestamp     bigint NOT NULL
  );
  CREATE INDEX events_by_session ON events (session_id, seq);
  ${requestLogTable("sessions_requests")}
  `,
];

/** The live session row, or undefined; `FOR UPDATE` when the caller goes on to change it. */
const liveSession = `SELECT ${sessionColumns} FROM sessions WHERE id = ? AND deleted_at IS NULL`;

/**
 * The Sessions store on PostgreSQL (pg), for several replicas on one database. Writes to a session
 * lock its row first, so its events are appended one at a time and its counters add up; a create's
 * request_id is held by an advisory lock (see oncePerRequestId).
 */
export class PostgresSessionsStore extends PostgresStore implements SessionsStore {
  /** Connects, and creates or migrates the tables. */
  static async open(options: PostgresOptions): Promise<PostgresSessionsStore> {
    const opened = await openDatabase(options, "sessions", migrations, async () => undefined);
    const channel = sessionChannel(schemaOf(options));
    // A pool of its own for the one listening connection, which it keeps checked out.
    const listening = connectionPool({ ...options, maxConnections: 1 }, "contextiq-sessions-watch");
    return new PostgresSessionsStore(opened, new SessionNotifications(listening, channel), channel);
  }

  /** The request log, schema-qualified: its name also keys the advisory locks of request_ids. */
  private readonly requests: string;

  private constructor(
    opened: OpenedDatabase<unknown>,
    private readonly notifications: SessionNotifications,
    /** Where every write to a session tells the watchers of every replica. */
    private readonly channel: string,
  ) {
    super(opened);
    this.requests = `${opened.schema}.sessions_requests`;
  }

  override async close(): Promise<void> {
    await Promise.all([this.notifications.close(), super.close()]);
  }

  createSession(session: Session, key: RequestKey | undefined, now: number) {
    return this.db.write((sql) =>
      oncePerRequestId(sql, this.requests, key, now, sessionCodec, async () => {
        // The session and its scope entries in one statement: one round trip.
        const entries = Object.entries(session.scope);
        const insert = insertOf("sessions", newSessionRow(session));
        const row = await sql.one<SessionRow>(
          `WITH s AS (${insert.text} RETURNING ${sessionColumns}),
           e AS (
             INSERT INTO sessions_scope (owner, key, value)
               SELECT s.id, e.k, e.v FROM s, unnest(?::text[], ?::text[]) AS e (k, v))
           SELECT ${sessionColumns} FROM s`,
          ...insert.values,
          entries.map(([k]) => k),
          entries.map(([, v]) => v),
        );
        return toSession(row as SessionRow);
      }),
    );
  }

  async getSession(id: string) {
    const row = await this.sql.read.one<SessionRow>(liveSession, id);
    return row && toSession(row);
  }

  listSessions(
    query: { scope: Record<string, string>; activeAt?: number | undefined },
    page: PageRequest,
  ): Promise<Listed<Session>> {
    return this.db.read(async (sql) => {
      const { total, rows } = await this.page<SessionRow>(sql, listSessionsQueries(query, page));
      return paged(rows.map(toSession), page.limit, total, (s) => [msOf(s.lastActivityAt), s.id]);
    });
  }

  updateSessionState(id: string, update: (state: JsonObject) => JsonObject, clock: () => number) {
    return this.db.write(async (sql) => {
      const { session, now } = await activeSession(sql, id, clock);
      const row = await sql.one<SessionRow>(
        `UPDATE sessions SET state = ?, last_activity_at = ? WHERE id = ? RETURNING ${sessionColumns}`,
        JSON.stringify(update(session.state ?? {})),
        now,
        id,
      );
      await this.notify(sql, id);
      return toSession(row as SessionRow);
    });
  }

  async endSession(id: string, now: number) {
    // The notice in the same statement: it goes out when the update commits, and not without it.
    const row = await this.sql.write.one<SessionRow>(
      `WITH s AS (
         UPDATE sessions SET ended_at = COALESCE(ended_at, ?) WHERE id = ? AND deleted_at IS NULL
           RETURNING ${sessionColumns}),
       n AS (SELECT pg_notify(?, s.id) FROM s)
       SELECT s.* FROM s, n`,
      now,
      id,
      this.channel,
    );
    if (!row) throw notFound("session", id);
    return toSession(row);
  }

  async deleteSession(id: string, now: number) {
    await this.db.write(async (sql) => {
      const found = await sql.one("SELECT 1 FROM sessions WHERE id = ? FOR UPDATE", id);
      if (!found) throw notFound("session", id);
      // A tombstone without content, so that a repeated delete succeeds as the first did.
      await sql.run("DELETE FROM events WHERE session_id = ?", id);
      await sql.run("DELETE FROM sessions_scope WHERE owner = ?", id);
      await this.notify(sql, id);
      await sql.run(
        `UPDATE sessions SET scope = '{}', title = '', description = '', state = '{}',
             deleted_at = COALESCE(deleted_at, ?) WHERE id = ?`,
        now,
        id,
      );
    });
  }

  createEvent(event: Event, key: RequestKey | undefined, clock: () => number) {
    return this.db.write((sql) =>
      oncePerRequestId(sql, this.requests, key, clock(), eventCodec, async () => {
        const { now } = await activeSession(sql, event.sessionId, clock);
        // The event, the session's counters and the watchers' notice in one statement: one
        // round trip. The notice goes out when the transaction commits.
        const insert = insertOf("events", newEventRow(event));
        const row = await sql.one<EventRow>(
          `WITH e AS (${insert.text} RETURNING ${eventColumns}),
           s AS (
             UPDATE sessions SET event_count = event_count + 1,
                 total_input_tokens = total_input_tokens + ?,
                 total_output_tokens = total_output_tokens + ?,
                 last_activity_at = ?
               WHERE id = ?),
           n AS (SELECT pg_notify(?, ?))
           SELECT e.* FROM e, n`,
          ...insert.values,
          event.inputTokens,
          event.outputTokens,
          now,
          event.sessionId,
          this.channel,
          event.sessionId,
        );
        return toEvent(row as EventRow);
      }),
    );
  }

  getEvent(sessionId: string, id: string) {
    return this.db.read(async (sql) => {
      if (!(await sql.one(liveSession, sessionId))) throw notFound("session", sessionId);
      const row = await sql.one<EventRow>(
        `SELECT ${eventColumns} FROM events WHERE id = ? AND session_id = ?`,
        id,
        sessionId,
      );
      if (!row) throw notFound("event", id, `not found in session ${sessionId}`);
      return toEvent(row);
    });
  }

  listEvents(
    query: { sessionId: string; eventType: string },
    page: PageRequest,
  ): Promise<Listed<Event>> {
    return this.db.read(async (sql) => {
      if (!(await sql.one(liveSession, query.sessionId))) {
        throw notFound("session", query.sessionId);
      }
      const { total, rows } = await this.page<EventRow>(sql, listEventsQueries(query, page));
      const seqs = new Map(rows.map((r) => [r.id, r.seq]));
      return paged(rows.map(toEvent), page.limit, total, (e) => [seqs.get(e.id) ?? 0]);
    });
  }

  eventPosition(sessionId: string, eventId: string): Promise<number> {
    return this.db.read(async (sql) => {
      if (!(await sql.one(liveSession, sessionId))) throw notFound("session", sessionId);
      const row = await sql.one<{ seq: number }>(
        "SELECT seq FROM events WHERE id = ? AND session_id = ?",
        eventId,
        sessionId,
      );
      if (!row) throw notFound("event", eventId, `not found in session ${sessionId}`);
      return row.seq;
    });
  }

  eventsAfter(
    query: { sessionId: string; eventType: string },
    position: number,
    limit: number,
  ): Promise<{ session: Session | undefined; events: PositionedEvent[]; last: number }> {
    // One snapshot: when it shows the session ended, it holds every event the session has.
    return this.db.read(async (sql) => {
      const row = await sql.one<SessionRow>(liveSession, query.sessionId);
      if (!row) return { session: undefined, events: [], last: position };
      const after = eventsAfterQuery(query, position, limit);
      const rows = await sql.all<EventRow>(after.text, ...after.params);
      const last = await sql.one<{ last: number }>(lastPositionSql, query.sessionId);
      return {
        session: toSession(row),
        events: rows.map((r) => ({ event: toEvent(r), position: r.seq })),
        last: last?.last ?? position,
      };
    });
  }

  async settleWrites(sessionId: string): Promise<void> {
    // Queued behind the writers that hold the row's lock, and released at once.
    await this.db.write((sql) =>
      sql.one("SELECT 1 FROM sessions WHERE id = ? FOR UPDATE", sessionId),
    );
  }

  onSessionChange(sessionId: string, changed: () => void): Promise<() => void> {
    return this.notifications.listen(sessionId, changed);
  }

  /** Tells the watchers of every replica that session `id` changed, once the write commits. */
  private async notify(sql: Sql, id: string): Promise<void> {
    await sql.one("SELECT pg_notify(?, ?)", this.channel, id);
  }
}

/**
 * The session, locked until the transaction ends, if it can take writes at `now`; NOT_FOUND or
 * FAILED_PRECONDITION otherwise. The lock orders concurrent writes to one session.
 */
async function activeSession(
  sql: Sql,
  id: string,
  clock: () => number,
): Promise<{ session: Session; now: number }> {
  const row = await sql.one<SessionRow>(`${liveSession} FOR UPDATE`, id);
  if (!row) throw notFound("session", id);
  // Read once the lock is held: a write that waited for it past the session's expiry is refused,
  // so a watch that ended on the expiry (after settleWrites) has seen every event.
  const now = clock();
  const session = toSession(row);
  const inactive = inactiveError(session, now);
  if (inactive) throw inactive;
  return { session, now };
}
