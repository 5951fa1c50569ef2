import { randomUUID } from "node:crypto";
import type { JsonObject } from "@bufbuild/protobuf";
import {
  type Event,
  type Session,
  SessionsService,
} from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { InvalidOptionError } from "../errors/invalid-option-error.js";
import type { CallOptions, ClientOptions } from "./client-options.js";
import { type WatchEventsOptions, watchSessionEvents } from "./event-watch.js";
import { tagFailure } from "./request-id.js";
import { eachItem, type Page, required, ServiceClient } from "./service-client.js";

/** What a new session holds. */
export interface NewSession {
  /** Who the session belongs to, e.g. `{ user_id: "123" }`. */
  scope?: Record<string, string>;
  /** At most 500 characters. */
  title?: string;
  /** At most 10,000 characters. */
  description?: string;
  /** Initial state, any JSON object. */
  state?: JsonObject;
  /** Inactivity before the session expires, 1-86400 s; the server's default is 3600. */
  ttlSeconds?: number;
  /** Makes the create idempotent; generated once per call when absent. */
  requestId?: string | undefined;
}

/** An event to append to a session. */
export interface NewEvent {
  sessionId: string;
  /** E.g. "message": 1-100 characters. */
  eventType: string;
  /** Payload, any JSON object. */
  data?: JsonObject;
  /** >= 0. */
  inputTokens?: number;
  /** >= 0. */
  outputTokens?: number;
  /** Makes the create idempotent; generated once per call when absent. */
  requestId?: string | undefined;
}

/** Which sessions to list. */
export interface SessionFilter {
  /** Sessions whose scope holds every one of these entries. */
  scope?: Record<string, string>;
  /** Include ended and expired sessions too. */
  includeInactive?: boolean;
  /** Sessions per page fetched, 1-1000; the server's default is 100. */
  pageSize?: number;
}

/** Which events of a session to list. */
export interface EventFilter {
  /** Only events of this type. */
  eventType?: string;
  /** Events per page fetched, 1-1000; the server's default is 100. */
  pageSize?: number;
}

const sessionsDefaults = { envPrefix: "SESSIONS_SERVICE", baseUrl: "http://localhost:8001" };

/**
 * Client of ContextIQ's Sessions service, over gRPC or HTTP/JSON (the Connect protocol).
 *
 * ```ts
 * await using sessions = new SessionsServiceClient(); // SESSIONS_SERVICE_* env, then defaults
 * const session = await sessions.createSession({ scope: { user_id: "123" }, title: "Test Session" });
 * ```
 *
 * Every method fails with a ConnectError: its code says what went wrong (INVALID_ARGUMENT names the
 * field, NOT_FOUND, FAILED_PRECONDITION for an ended or expired session, ...), and a
 * ServiceUnavailableError (Code.Unavailable) when the service could not be reached in the
 * attempts allowed. DEADLINE_EXCEEDED when the call's deadline passed; CANCELED when its signal did.
 */
export class SessionsServiceClient extends ServiceClient<typeof SessionsService> {
  constructor(options: ClientOptions = {}) {
    super(SessionsService, sessionsDefaults, options);
  }

  /** Creates a session. Retries are safe: the request carries one `request_id` for all attempts. */
  createSession(session: NewSession = {}, options?: CallOptions): Promise<Session> {
    const request = { ...session, requestId: session.requestId ?? randomUUID() };
    return this.run(() =>
      tagFailure(request.requestId, async () => {
        const { session: created } = await this.rpc.createSession(
          request,
          this.connectOptions(options),
        );
        return required(created, "session");
      }),
    );
  }

  /**
   * Returns a session. An ended or expired one is FAILED_PRECONDITION unless `includeInactive`;
   * NOT_FOUND when unknown or deleted.
   */
  getSession(id: string, options?: CallOptions & { includeInactive?: boolean }): Promise<Session> {
    return this.run(async () => {
      const { session } = await this.rpc.getSession(
        { id, includeInactive: options?.includeInactive ?? false },
        this.connectOptions(options),
      );
      return required(session, "session");
    });
  }

  /** Every session matching `filter`, most recent activity first, all pages fetched. */
  listSessions(filter: SessionFilter = {}, options?: CallOptions): Promise<Session[]> {
    return this.allItems((pageToken, page) => this.sessionsPage(filter, pageToken, page), options);
  }

  /** The sessions matching `filter`, fetched a page at a time as you iterate. */
  iterateSessions(filter: SessionFilter = {}, options?: CallOptions): AsyncGenerator<Session> {
    return eachItem((pageToken) => this.sessionsPage(filter, pageToken, options));
  }

  private sessionsPage(
    filter: SessionFilter,
    pageToken: string,
    options: CallOptions | undefined,
  ): Promise<Page<Session>> {
    return this.run(async () => {
      const page = await this.rpc.listSessions(
        { ...filter, pageToken },
        this.connectOptions(options),
      );
      return { items: page.sessions, nextPageToken: page.nextPageToken };
    });
  }

  /** Replaces the session's state, or shallow-merges into it with `merge: true`. */
  updateSessionState(
    id: string,
    state: JsonObject,
    options?: CallOptions & { merge?: boolean },
  ): Promise<Session> {
    return this.run(async () => {
      const { session } = await this.rpc.updateSessionState(
        { id, state, merge: options?.merge ?? false },
        this.connectOptions(options),
      );
      return required(session, "session");
    });
  }

  /** Ends a session; ending it again keeps the first `endedAt`. */
  endSession(id: string, options?: CallOptions): Promise<Session> {
    return this.run(async () => {
      const { session } = await this.rpc.endSession({ id }, this.connectOptions(options));
      return required(session, "session");
    });
  }

  /** Deletes a session and its events; deleting it again succeeds. */
  deleteSession(id: string, options?: CallOptions): Promise<void> {
    return this.run(async () => {
      await this.rpc.deleteSession({ id }, this.connectOptions(options));
    });
  }

  /**
   * Appends an event to an active session, which updates its counters. Retries are safe: the
   * request carries one `request_id` for all attempts.
   */
  createEvent(event: NewEvent, options?: CallOptions): Promise<Event> {
    const request = { ...event, requestId: event.requestId ?? randomUUID() };
    return this.run(() =>
      tagFailure(request.requestId, async () => {
        const { event: created } = await this.rpc.createEvent(
          request,
          this.connectOptions(options),
        );
        return required(created, "event");
      }),
    );
  }

  /** Returns one event of a session. */
  getEvent(sessionId: string, eventId: string, options?: CallOptions): Promise<Event> {
    return this.run(async () => {
      const { event } = await this.rpc.getEvent(
        { sessionId, id: eventId },
        this.connectOptions(options),
      );
      return required(event, "event");
    });
  }

  /** Every event of a session, oldest first, all pages fetched. */
  listEvents(sessionId: string, filter: EventFilter = {}, options?: CallOptions): Promise<Event[]> {
    return this.allItems(
      (pageToken, page) => this.eventsPage(sessionId, filter, pageToken, page),
      options,
    );
  }

  /** The events of a session, oldest first, fetched a page at a time as you iterate. */
  iterateEvents(
    sessionId: string,
    filter: EventFilter = {},
    options?: CallOptions,
  ): AsyncGenerator<Event> {
    return eachItem((pageToken) => this.eventsPage(sessionId, filter, pageToken, options));
  }

  /**
   * The events of a session as they are stored, for as long as you iterate: the events after
   * `afterEventId` (from the first, without it), then each new one, until the session ends (the
   * iteration then finishes) or is deleted (NOT_FOUND). After a transient failure (a replica
   * going away, a broken or silent connection) the watch reconnects with backoff and resumes
   * after the last event it delivered: none is missed or repeated, and they come in order.
   *
   * ```ts
   * for await (const event of sessions.watchEvents(sessionId, { signal })) {
   *   console.log(event.eventType, event.data);
   * }
   * ```
   *
   * No deadline unless `timeoutMs` is given; `signal` or `break` stops it.
   */
  watchEvents(sessionId: string, options: WatchEventsOptions = {}): AsyncGenerator<Event> {
    checkWatchOptions(options);
    return watchSessionEvents(sessionId, options, {
      open: (request, callOptions) => this.rpc.watchEvents(request, callOptions),
      retryDelayMs: this.options.retryDelayMs,
      maxRetryDelayMs: this.options.maxRetryDelayMs,
      closed: this.closed.signal,
    });
  }

  private eventsPage(
    sessionId: string,
    filter: EventFilter,
    pageToken: string,
    options: CallOptions | undefined,
  ): Promise<Page<Event>> {
    return this.run(async () => {
      const page = await this.rpc.listEvents(
        { ...filter, sessionId, pageToken },
        this.connectOptions(options),
      );
      return { items: page.events, nextPageToken: page.nextPageToken };
    });
  }
}

/** Refuses watch options the server or the timers would take wrongly, naming the option. */
function checkWatchOptions({ timeoutMs, heartbeatSeconds }: WatchEventsOptions): void {
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 1)) {
    throw new InvalidOptionError(
      { option: "timeoutMs", fromEnvironment: false, of: "watchEvents" },
      `watchEvents option \`timeoutMs\` must be a number of ms, at least 1, got ${timeoutMs}`,
    );
  }
  if (
    heartbeatSeconds !== undefined &&
    !(Number.isInteger(heartbeatSeconds) && heartbeatSeconds >= 1 && heartbeatSeconds <= 300)
  ) {
    throw new InvalidOptionError(
      { option: "heartbeatSeconds", fromEnvironment: false, of: "watchEvents" },
      `watchEvents option \`heartbeatSeconds\` must be a whole number of seconds from 1 to 300, got ${heartbeatSeconds}`,
    );
  }
}
