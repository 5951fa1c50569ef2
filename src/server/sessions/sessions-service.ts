import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  CreateEventRequestSchema,
  CreateSessionRequestSchema,
  EventSchema,
  SessionSchema,
  type SessionsService,
} from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { notFound } from "../errors.js";
import { jsonSizer } from "../item-size.js";
import { PageTokens } from "../page-token.js";
import { requestKey } from "../request-key.js";
import type { SessionsStore } from "../store/store.js";
import {
  checkLength,
  checkPageSize,
  checkRange,
  checkScope,
  checkStruct,
  uuidField,
} from "../validation/rules.js";
import { Violations } from "../validation/violations.js";
import { defaultTtlSeconds, expiresAtMs, inactiveError } from "./lifecycle.js";
import { createEventWatch, type WatchLimits } from "./watch-events.js";

/** What the Sessions handlers run on. */
export interface SessionsServiceDeps {
  readonly store: SessionsStore;
  /** Current time in ms since the epoch. Defaults to Date.now. */
  readonly now?: () => number;
  /** Bounds of WatchEvents. Defaults to 1000 watches and 30 s unread. */
  readonly watch?: WatchLimits;
}

/**
 * The handlers of contextiq.sessions.v1.SessionsService: each validates its whole request before
 * it touches the store, then runs one store transaction.
 */
export function createSessionsService({
  store,
  now = Date.now,
  watch = { maxWatchers: 1000, stallTimeoutMs: 30_000 },
}: SessionsServiceDeps): ServiceImpl<typeof SessionsService> {
  const tokens = new PageTokens(store.pageTokenKey, now);

  return {
    async createSession(req) {
      const v = new Violations();
      checkScope(v, "scope", req.scope);
      checkLength(v, "title", req.title, 500);
      checkLength(v, "description", req.description, 10_000);
      checkStruct(v, "state", req.state);
      if (req.ttlSeconds !== 0) checkRange(v, "ttl_seconds", req.ttlSeconds, 1, 86_400, " s");
      const key = requestKey(v, CreateSessionRequestSchema, req);
      v.throwIfAny();
      const at = now();
      const ttlSeconds = req.ttlSeconds || defaultTtlSeconds;
      const session = create(SessionSchema, {
        id: randomUUID(),
        scope: req.scope,
        title: req.title,
        description: req.description,
        state: req.state ?? {},
        startedAt: timestampFromMs(at),
        lastActivityAt: timestampFromMs(at),
        ttlSeconds,
        expiresAt: timestampFromMs(expiresAtMs(at, ttlSeconds)),
      });
      return { session: await store.createSession(session, key, at) };
    },

    async getSession(req) {
      const v = new Violations();
      const sessionId = uuidField(v, "id", req.id);
      v.throwIfAny();
      const session = await store.getSession(sessionId);
      if (!session) throw notFound("session", sessionId);
      const inactive = req.includeInactive ? undefined : inactiveError(session, now());
      if (inactive) throw inactive;
      return { session };
    },

    async listSessions(req) {
      const v = new Violations();
      checkScope(v, "scope", req.scope);
      const limit = checkPageSize(v, req.pageSize);
      v.throwIfAny();
      const filter = { scope: req.scope, includeInactive: req.includeInactive };
      const activeAt = req.includeInactive ? undefined : now();
      const { items, ...page } = await tokens.page(
        req.pageToken,
        filter,
        limit,
        (p) => store.listSessions({ scope: req.scope, activeAt }, p),
        jsonSizer(SessionSchema),
      );
      return { sessions: items, ...page };
    },

    async updateSessionState(req) {
      const v = new Violations();
      const sessionId = uuidField(v, "id", req.id);
      checkStruct(v, "state", req.state);
      v.throwIfAny();
      const session = await store.updateSessionState(
        sessionId,
        (current) => {
          const state = req.merge ? { ...current, ...req.state } : (req.state ?? {});
          const merged = new Violations();
          checkStruct(merged, "state", state);
          merged.throwIfAny();
          return state;
        },
        now,
      );
      return { session };
    },

    async endSession(req) {
      const v = new Violations();
      const sessionId = uuidField(v, "id", req.id);
      v.throwIfAny();
      return { session: await store.endSession(sessionId, now()) };
    },

    async deleteSession(req) {
      const v = new Violations();
      const sessionId = uuidField(v, "id", req.id);
      v.throwIfAny();
      await store.deleteSession(sessionId, now());
      return {};
    },

    async createEvent(req) {
      const v = new Violations();
      const sessionId = uuidField(v, "session_id", req.sessionId);
      checkLength(v, "event_type", req.eventType, 100, 1);
      checkStruct(v, "data", req.data);
      checkRange(v, "input_tokens", req.inputTokens, 0, 2 ** 31 - 1);
      checkRange(v, "output_tokens", req.outputTokens, 0, 2 ** 31 - 1);
      const key = requestKey(v, CreateEventRequestSchema, req);
      v.throwIfAny();
      const at = now();
      const event = create(EventSchema, {
        id: randomUUID(),
        sessionId,
        eventType: req.eventType,
        data: req.data ?? {},
        inputTokens: req.inputTokens,
        outputTokens: req.outputTokens,
        timestamp: timestampFromMs(at),
      });
      return { event: await store.createEvent(event, key, now) };
    },

    async getEvent(req) {
      const v = new Violations();
      const sessionId = uuidField(v, "session_id", req.sessionId);
      const eventId = uuidField(v, "id", req.id);
      v.throwIfAny();
      return { event: await store.getEvent(sessionId, eventId) };
    },

    async listEvents(req) {
      const v = new Violations();
      const sessionId = uuidField(v, "session_id", req.sessionId);
      checkLength(v, "event_type", req.eventType, 100);
      const limit = checkPageSize(v, req.pageSize);
      v.throwIfAny();
      const filter = { sessionId, eventType: req.eventType };
      const { items, ...page } = await tokens.page(
        req.pageToken,
        filter,
        limit,
        (p) => store.listEvents(filter, p),
        jsonSizer(EventSchema),
      );
      return { events: items, ...page };
    },

    watchEvents: createEventWatch(store, now, watch),
  };
}
