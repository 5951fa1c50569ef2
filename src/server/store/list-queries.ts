import { memoryFilter } from "./memory-filter.js";
import { memoryColumns, revisionColumns } from "./memory-rows.js";
import { scopeFilter } from "./scope-filter.js";
import { eventColumns, sessionColumns } from "./session-rows.js";
import type { MemoryQuery, PageRequest } from "./store.js";

// The SQL of every list, written once for both engines (with `?` placeholders): the count of the
// whole list, and its page from the cursor on, one row more than asked so that the store knows
// whether another page follows. Each engine runs the two in one snapshot.

/** A statement and its parameters. */
export interface Statement {
  readonly text: string;
  readonly params: readonly (string | number)[];
}

/** The statements of one page of a list. */
export interface PageQueries {
  /** One row with one column, `total`. */
  readonly count: Statement;
  /** Up to `limit + 1` rows, in the list's order. */
  readonly rows: Statement;
}

/** `where` and `params` as a count, and as a page ordered by `order` after `after`. */
function pageOf(
  table: string,
  columns: string,
  where: string[],
  params: (string | number)[],
  after: { condition: string; params: readonly (string | number)[] } | undefined,
  order: string,
  limit: number,
): PageQueries {
  const conditions = where.length === 0 ? ["1 = 1"] : where;
  const paged = after === undefined ? conditions : [...conditions, after.condition];
  return {
    count: {
      text: `SELECT COUNT(*) AS total FROM ${table} WHERE ${conditions.join(" AND ")}`,
      params,
    },
    rows: {
      text: `SELECT ${columns} FROM ${table} WHERE ${paged.join(" AND ")} ORDER BY ${order} LIMIT ?`,
      params: [...params, ...(after?.params ?? []), limit + 1],
    },
  };
}

/** Sessions of a scope (active at `activeAt` only, if given), most recent activity first. */
export function listSessionsQueries(
  query: { scope: Record<string, string>; activeAt?: number | undefined },
  page: PageRequest,
): PageQueries {
  const scope = scopeFilter("sessions_scope", "s.id", query.scope);
  const where = ["s.deleted_at IS NULL", ...scope.conditions];
  const params: (string | number)[] = [...scope.params];
  if (query.activeAt !== undefined) {
    where.push("s.ended_at IS NULL", "s.last_activity_at + s.ttl_seconds * 1000 > ?");
    params.push(query.activeAt);
  }
  const after = page.after && {
    condition: "(s.last_activity_at, s.id) < (?, ?)",
    params: page.after,
  };
  return pageOf(
    "sessions s",
    sessionColumns,
    where,
    params,
    after,
    "s.last_activity_at DESC, s.id DESC",
    page.limit,
  );
}

/** Events of a session (of one type, if given), oldest first. */
export function listEventsQueries(
  query: { sessionId: string; eventType: string },
  page: PageRequest,
): PageQueries {
  const where = ["session_id = ?", ...(query.eventType ? ["event_type = ?"] : [])];
  const params = [query.sessionId, ...(query.eventType ? [query.eventType] : [])];
  const after = page.after && { condition: "seq > ?", params: page.after };
  return pageOf("events", eventColumns, where, params, after, "seq", page.limit);
}

/** Memories of a scope and topic (live at `liveAt` only, unless undefined), newest first. */
export function listMemoriesQueries(
  query: MemoryQuery,
  liveAt: number | undefined,
  page: PageRequest,
): PageQueries {
  const { where, params } = memoryFilter(query, liveAt);
  const after = page.after && { condition: "m.seq < ?", params: page.after };
  return pageOf("memories m", memoryColumns("m"), where, params, after, "m.seq DESC", page.limit);
}

/** Revisions of a memory, newest first. */
export function listRevisionsQueries(memoryId: string, page: PageRequest): PageQueries {
  const after = page.after && { condition: "revision_number < ?", params: page.after };
  return pageOf(
    "revisions",
    revisionColumns,
    ["memory_id = ?"],
    [memoryId],
    after,
    "revision_number DESC",
    page.limit,
  );
}

/** Up to `limit` events of a session (of one type, if given) after `position`, oldest first. */
export function eventsAfterQuery(
  query: { sessionId: string; eventType: string },
  position: number,
  limit: number,
): Statement {
  const where = ["session_id = ?", ...(query.eventType ? ["event_type = ?"] : []), "seq > ?"];
  const params = [query.sessionId, ...(query.eventType ? [query.eventType] : []), position, limit];
  return {
    text: `SELECT ${eventColumns} FROM events WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ?`,
    params,
  };
}

/** The position of a session's last event (`last`, 0 for none), with one `?`: the session id. */
export const lastPositionSql =
  "SELECT COALESCE(MAX(seq), 0) AS last FROM events WHERE session_id = ?";
