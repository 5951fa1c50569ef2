import type { JsonObject } from "@bufbuild/protobuf";
import type { Memory, MemoryRevision } from "../../../gen/contextiq/memory/v1/memory_pb.js";
import type { Event, Session } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import type { Cursor } from "../page-token.js";
import type { RequestKey } from "./request-log.js";

export type { RequestKey };

/** One page of a list: its items, the size of the whole list, and where the next page starts. */
export interface Listed<T> {
  readonly items: T[];
  readonly totalSize: number;
  /** Absent on the last page. */
  readonly next?: Cursor;
  /** The cursor after any item, so that a page can be cut shorter than the store made it. */
  readonly cursorOf: (item: T) => Cursor;
}

/** Where a page starts and how long it is. */
export interface PageRequest {
  readonly after?: Cursor | undefined;
  readonly limit: number;
}

/** An event and its position in its session: the order ListEvents and WatchEvents follow. */
export interface PositionedEvent {
  readonly event: Event;
  /** Grows with each event stored in the session; not contiguous. */
  readonly position: number;
}

/** Things every store does. */
export interface StoreBase {
  /** Key for signing this store's page tokens; stable across restarts of a persistent store. */
  readonly pageTokenKey: Uint8Array;
  /** Whether the store can take calls now. */
  ready(): Promise<boolean>;
  /** Releases the store; later calls fail. */
  close(): Promise<void>;
}

/**
 * Storage of the Sessions service. Each method is one transaction. Times are ms since the epoch.
 * Methods throw ConnectErrors: NOT_FOUND for an unknown or deleted session or event,
 * FAILED_PRECONDITION for a write to an ended or expired one, ALREADY_EXISTS for a reused
 * request_id with other content.
 */
export interface SessionsStore extends StoreBase {
  /** Stores a new session, once per request key. */
  createSession(session: Session, key: RequestKey | undefined, now: number): Promise<Session>;
  /** The session, or undefined when unknown or deleted. */
  getSession(id: string): Promise<Session | undefined>;
  /** Sessions whose scope holds every entry of `scope`, most recent activity first. */
  listSessions(
    query: { scope: Record<string, string>; activeAt?: number | undefined },
    page: PageRequest,
  ): Promise<Listed<Session>>;
  /**
   * Sets the state of an active session to `update(current state)` and counts as activity. `now`
   * is read once the session is locked: a write that waited for the lock past the session's
   * expiry is refused, as a watch that ended on the expiry expects.
   */
  updateSessionState(
    id: string,
    update: (state: JsonObject) => JsonObject,
    now: () => number,
  ): Promise<Session>;
  /** Ends a session; a session already ended keeps its first `ended_at`. */
  endSession(id: string, now: number): Promise<Session>;
  /** Deletes a session and its events; succeeds for one already deleted. */
  deleteSession(id: string, now: number): Promise<void>;
  /**
   * Appends an event to an active session and updates its counters, once per request key. `now`
   * is read once the session is locked, as for updateSessionState.
   */
  createEvent(event: Event, key: RequestKey | undefined, now: () => number): Promise<Event>;
  /** One event of a live session. */
  getEvent(sessionId: string, id: string): Promise<Event>;
  /** Events of a live session, oldest first. */
  listEvents(
    query: { sessionId: string; eventType: string },
    page: PageRequest,
  ): Promise<Listed<Event>>;
  /** The position of an event of a live session; NOT_FOUND for an unknown session or event. */
  eventPosition(sessionId: string, eventId: string): Promise<number>;
  /**
   * The session as it is now (undefined when unknown or deleted), then up to `limit` of its
   * events after `position`, oldest first, read after it: if the session had ended, no event past
   * these can come. `last` is the position of the session's last event of any type then.
   */
  eventsAfter(
    query: { sessionId: string; eventType: string },
    position: number,
    limit: number,
  ): Promise<{ session: Session | undefined; events: PositionedEvent[]; last: number }>;
  /**
   * Waits for the writes to the session that hold its lock now to commit or roll back; a write
   * after them sees the session as it is then (see createEvent).
   */
  settleWrites(sessionId: string): Promise<void>;
  /**
   * Calls `changed` after every change to the session commits, through whichever replica made it
   * (an event, its state, its end, its deletion), until the returned stop is called. Resolves once
   * listening: a change committed after that is never missed.
   */
  onSessionChange(sessionId: string, changed: () => void): Promise<() => void>;
}

/** Which memories a list or search covers. */
export interface MemoryQuery {
  readonly scope: Record<string, string>;
  readonly topic: string;
}

/** A SearchMemories, validated: the scope holds at least one entry, the limit is 1-100. */
export interface SearchQuery extends MemoryQuery {
  readonly embedding: readonly number[];
  readonly minConfidence: number;
  readonly limit: number;
  /** Rank every candidate, not only those an approximate index finds. */
  readonly exact: boolean;
}

/** The fields UpdateMemory may change; absent fields stay as they are. */
export interface MemoryChanges {
  fact?: string;
  topic?: string;
  embedding?: number[];
  confidence?: number;
  importance?: number;
}

/**
 * Storage of the Memory service. Each method is one transaction. Times are ms since the epoch. A
 * memory is gone once deleted or past `expires_at`; gone memories are NOT_FOUND except where a
 * method says otherwise.
 */
export interface MemoryStore extends StoreBase {
  /** Stores a new memory, once per request key. */
  createMemory(memory: Memory, key: RequestKey | undefined, now: number): Promise<Memory>;
  /**
   * The memories with these ids in order; NOT_FOUND names the first gone id. A read takes no lock
   * and writes nothing: the access of each is counted after it answers (see AccessCounts).
   */
  readMemories(ids: readonly string[], now: number): Promise<Memory[]>;
  /** Memories of a scope, newest first; gone ones only with `includeDeleted`. */
  listMemories(
    query: MemoryQuery & { includeDeleted: boolean },
    now: number,
    page: PageRequest,
  ): Promise<Listed<Memory>>;
  /**
   * The `limit` live memories of a scope most similar to `embedding` by cosine similarity, among
   * those with an embedding of the same dimension and at least `minConfidence`, most similar
   * first, with exact scores; `limit` of them whenever that many match. Approximate unless
   * `exact`. Counts an access of each one returned, after the read.
   */
  searchMemories(
    query: SearchQuery,
    now: number,
  ): Promise<{ memory: Memory; similarityScore: number }[]>;
  /** Applies `changes`; records a revision when the fact changes; writes nothing when nothing changes. */
  updateMemory(
    id: string,
    changes: MemoryChanges,
    changeReason: string,
    now: number,
  ): Promise<Memory>;
  /** Soft-deletes a memory for `reason`; one already deleted keeps its first `deleted_at` and reason. */
  deleteMemory(id: string, reason: string, now: number): Promise<Memory>;
  /** Revisions of a live memory, newest first. */
  listRevisions(memoryId: string, now: number, page: PageRequest): Promise<Listed<MemoryRevision>>;
  /** One revision of a live memory. */
  getRevision(memoryId: string, revisionNumber: number, now: number): Promise<MemoryRevision>;
}
