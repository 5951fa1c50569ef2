import type { JsonObject } from "@bufbuild/protobuf";
import type { Event, Session } from "../../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { notFound } from "../../errors.js";
import { inactiveError } from "../../sessions/lifecycle.js";
import { ChangeListeners } from "../change-listeners.js";
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
  newEventRow,
  newSessionRow,
  type SessionRow,
  sessionCodec,
  toEvent,
  toSession,
} from "../session-rows.js";
import type { Listed, PageRequest, PositionedEvent, RequestKey, SessionsStore } from "../store.js";
import { commonSchema } from "./database.js";
import { oncePerRequestId } from "./request-log.js";
import { SqliteStore } from "./sqlite-store.js";

const migrations = [
  `${commonSchema}
  CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    scope               TEXT NOT NULL,
    title               TEXT NOT NULL,
    description         TEXT NOT NULL,
    state               TEXT NOT NULL,
    started_at          INTEGER NOT NULL,
    last_activity_at    INTEGER NOT NULL,
    ended_at            INTEGER,
    ttl_seconds         INTEGER NOT NULL,
    event_count         INTEGER NOT NULL DEFAULT 0,
    total_input_tokens  INTEGER NOT NULL DEFAULT 0,
    total_output_tokens INTEGER NOT NULL DEFAULT 0,
    deleted_at          INTEGER
  ) STRICT;
  CREATE INDEX sessions_by_activity ON sessions (last_activity_at DESC, id DESC)
    WHERE deleted_at IS NULL;
  CREATE TABLE sessions_scope (
    owner TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (key, value, owner)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX sessions_scope_by_owner ON sessions_scope (owner);
  CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    session_id    TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    event_type    TEXT NOT NULL,
    data          TEXT NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    timestamp     INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX events_by_session ON events (session_id, seq);
  `,
];

/**
 * The Sessions store on SQLite (better-sqlite3): a file, or ":memory:". Every method runs one
 * synchronous transaction, so concurrent calls in this process are serialized; BEGIN IMMEDIATE
 * and the busy timeout serialize writers across processes sharing the file.
 */
export class SqliteSessionsStore extends SqliteStore implements SessionsStore {
  /**
   * Watchers of this process. Another process sharing the file is not heard: watch through the
   * server that writes, or run on PostgreSQL.
   */
  private readonly changes = new ChangeListeners();

  constructor(path: string) {
    super(path, migrations);
  }

  async createSession(session: Session, key: RequestKey | undefined, now: number) {
    return this.write(() =>
      oncePerRequestId(this.sql, key, now, sessionCodec, () => {
        const insert = insertOf("sessions", newSessionRow(session));
        this.sql(insert.text).run(...insert.values);
        const insertScope = this.sql(
          "INSERT INTO sessions_scope (owner, key, value) VALUES (?, ?, ?)",
        );
        for (const [k, v] of Object.entries(session.scope)) insertScope.run(session.id, k, v);
        return this.row(session.id) as Session;
      }),
    );
  }

  async getSession(id: string) {
    return this.row(id);
  }

  async listSessions(
    query: { scope: Record<string, string>; activeAt?: number | undefined },
    page: PageRequest,
  ): Promise<Listed<Session>> {
    return this.read(() => {
      const { total, rows } = this.page<SessionRow>(listSessionsQueries(query, page));
      return paged(rows.map(toSession), page.limit, total, (s) => [msOf(s.lastActivityAt), s.id]);
    });
  }

  async updateSessionState(
    id: string,
    update: (state: JsonObject) => JsonObject,
    clock: () => number,
  ) {
    return this.changing(id, () => {
      const now = clock();
      const session = this.activeSession(id, now);
      const state = update(session.state ?? {});
      this.sql("UPDATE sessions SET state = ?, last_activity_at = ? WHERE id = ?").run(
        JSON.stringify(state),
        now,
        id,
      );
      return this.row(id) as Session;
    });
  }

  async endSession(id: string, now: number) {
    return this.changing(id, () => {
      if (!this.row(id)) throw notFound("session", id);
      this.sql("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL").run(now, id);
      return this.row(id) as Session;
    });
  }

  async deleteSession(id: string, now: number) {
    this.changing(id, () => {
      const found = this.sql("SELECT deleted_at FROM sessions WHERE id = ?").get(id);
      if (!found) throw notFound("session", id);
      // A tombstone without content, so that a repeated delete succeeds as the first did.
      this.sql("DELETE FROM events WHERE session_id = ?").run(id);
      this.sql("DELETE FROM sessions_scope WHERE owner = ?").run(id);
      this.sql(
        `UPDATE sessions SET scope = '{}', title = '', description = '', state = '{}',
             deleted_at = COALESCE(deleted_at, ?) WHERE id = ?`,
      ).run(now, id);
    });
  }

  async createEvent(event: Event, key: RequestKey | undefined, clock: () => number) {
    return this.changing(event.sessionId, () => {
      const now = clock();
      return oncePerRequestId(this.sql, key, now, eventCodec, () => {
        this.activeSession(event.sessionId, now);
        const insert = insertOf("events", newEventRow(event));
        this.sql(insert.text).run(...insert.values);
        this.sql(
          `UPDATE sessions SET event_count = event_count + 1,
               total_input_tokens = total_input_tokens + ?,
               total_output_tokens = total_output_tokens + ?,
               last_activity_at = ?
             WHERE id = ?`,
        ).run(event.inputTokens, event.outputTokens, now, event.sessionId);
        return this.event(event.sessionId, event.id);
      });
    });
  }

  async getEvent(sessionId: string, id: string) {
    return this.read(() => {
      if (!this.row(sessionId)) throw notFound("session", sessionId);
      return this.event(sessionId, id);
    });
  }

  async listEvents(
    query: { sessionId: string; eventType: string },
    page: PageRequest,
  ): Promise<Listed<Event>> {
    return this.read(() => {
      if (!this.row(query.sessionId)) throw notFound("session", query.sessionId);
      const { total, rows } = this.page<EventRow>(listEventsQueries(query, page));
      const seqs = new Map(rows.map((r) => [r.id, r.seq]));
      return paged(rows.map(toEvent), page.limit, total, (e) => [seqs.get(e.id) ?? 0]);
    });
  }

  async eventPosition(sessionId: string, eventId: string): Promise<number> {
    return this.read(() => {
      if (!this.row(sessionId)) throw notFound("session", sessionId);
      const row = this.sql("SELECT seq FROM events WHERE id = ? AND session_id = ?").get(
        eventId,
        sessionId,
      ) as { seq: number } | undefined;
      if (!row) throw notFound("event", eventId, `not found in session ${sessionId}`);
      return row.seq;
    });
  }

  async eventsAfter(
    query: { sessionId: string; eventType: string },
    position: number,
    limit: number,
  ): Promise<{ session: Session | undefined; events: PositionedEvent[]; last: number }> {
    return this.read(() => {
      const session = this.row(query.sessionId);
      if (!session) return { session, events: [], last: position };
      const after = eventsAfterQuery(query, position, limit);
      const rows = this.sql(after.text).all(...after.params) as EventRow[];
      const { last } = this.sql(lastPositionSql).get(query.sessionId) as { last: number };
      return {
        session,
        events: rows.map((row) => ({ event: toEvent(row), position: row.seq })),
        last,
      };
    });
  }

  /** Nothing to wait for: every write of this process is one synchronous transaction. */
  async settleWrites(): Promise<void> {}

  async onSessionChange(sessionId: string, changed: () => void): Promise<() => void> {
    return this.changes.listen(sessionId, changed);
  }

  /** A write transaction that changes session `id`, whose watchers hear of it once it commits. */
  private changing<T>(id: string, fn: () => T): T {
    const result = this.write(fn);
    this.changes.notify(id);
    return result;
  }

  /** The live session, or undefined when unknown or deleted. */
  private row(id: string): Session | undefined {
    const row = this.sql("SELECT * FROM sessions WHERE id = ? AND deleted_at IS NULL").get(id) as
      | SessionRow
      | undefined;
    return row && toSession(row);
  }

  /** The session if it can take writes at `now`; NOT_FOUND or FAILED_PRECONDITION otherwise. */
  private activeSession(id: string, now: number): Session {
    const session = this.row(id);
    if (!session) throw notFound("session", id);
    const inactive = inactiveError(session, now);
    if (inactive) throw inactive;
    return session;
  }

  private event(sessionId: string, id: string): Event {
    const row = this.sql("SELECT * FROM events WHERE id = ? AND session_id = ?").get(
      id,
      sessionId,
    ) as EventRow | undefined;
    if (!row) throw notFound("event", id, `not found in session ${sessionId}`);
    return toEvent(row);
  }
}
