// SessionsService against the real reference server, over every protocol and HTTP version: each
// RPC's success and each error the contract documents for it.
import { randomUUID } from "node:crypto";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { invalid, reasonOf, rejection } from "../support/errors.js";
import { useClients, useServices } from "../support/services.js";
import { describeEachStore } from "../support/stores.js";
import { transports } from "../support/transports.js";

const unknownId = "00000000-0000-4000-8000-000000000000";

describeEachStore("SessionsService", (store) => {
  const fixture = useServices({ store });

  describe.each(transports)("over $name", (transport) => {
    const clients = useClients(transport, fixture);
    const scope = () => ({ user_id: randomUUID() });
    const newSession = async (extra: { ttlSeconds?: number } = {}) =>
      (await clients().sessions.createSession({ scope: scope(), title: "t", ...extra })).session ??
      expect.fail("no session");

    describe("CreateSession", () => {
      it("creates an active session with the documented defaults", async () => {
        const before = Date.now();
        const { session } = await clients().sessions.createSession({
          scope: { user_id: "123" },
          title: "Test Session",
          state: { step: 1, tags: ["a"] },
        });
        expect(session?.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(session).toMatchObject({
          scope: { user_id: "123" },
          title: "Test Session",
          state: { step: 1, tags: ["a"] },
          ttlSeconds: 3600,
          eventCount: 0,
          totalInputTokens: 0n,
          totalOutputTokens: 0n,
        });
        expect(session?.endedAt).toBeUndefined();
        const last = timestampMs(session?.lastActivityAt ?? expect.fail());
        expect(last).toBeGreaterThanOrEqual(before);
        expect(timestampMs(session?.expiresAt ?? expect.fail())).toBe(last + 3600_000);
      });

      it("refuses a too-long title, an out-of-range TTL and a malformed request_id, writing nothing", async () => {
        const s = scope();
        await invalid(
          clients().sessions.createSession({
            scope: s,
            title: "x".repeat(501),
            ttlSeconds: 86_401,
            requestId: "not-a-uuid",
          }),
          "title",
          "ttl_seconds",
          "request_id",
        );
        await invalid(clients().sessions.createSession({ ttlSeconds: -1 }), "ttl_seconds");
        const { totalSize } = await clients().sessions.listSessions({
          scope: s,
          includeInactive: true,
        });
        expect(totalSize).toBe(0);
      });

      it("refuses U+0000 in text and scope, writing nothing, but keeps it inside state", async () => {
        const s = scope();
        await invalid(
          clients().sessions.createSession({
            scope: { ...s, "bad\0key": "v" },
            title: "a\0b",
            description: "\0",
          }),
          'scope["bad\\u0000key"]',
          "title",
          "description",
        );
        const { totalSize } = await clients().sessions.listSessions({ scope: s });
        expect(totalSize).toBe(0);
        // In a Struct it is JSON (\u0000), which every store keeps.
        const { session } = await clients().sessions.createSession({
          scope: s,
          state: { text: "a\0b" },
        });
        const { session: read } = await clients().sessions.getSession({ id: session?.id ?? "" });
        expect(read?.state).toEqual({ text: "a\0b" });
      });

      it("refuses a scope with too many entries and state over 256 KiB", async () => {
        const big = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
        await invalid(
          clients().sessions.createSession({ scope: big, state: { blob: "x".repeat(262_144) } }),
          "scope",
          "state",
        );
      });

      it("refuses state nested more than 32 levels, writing nothing, and keeps 32", async () => {
        // `levels` objects and lists, alternating, with an object outermost.
        const nest = (levels: number) => {
          let value: JsonValue = { leaf: 1 };
          for (let i = 1; i < levels; i++) value = (levels - i) % 2 ? { a: value } : [value];
          return value as JsonObject;
        };
        const s = scope();
        await invalid(clients().sessions.createSession({ scope: s, state: nest(33) }), "state");
        expect((await clients().sessions.listSessions({ scope: s })).totalSize).toBe(0);
        const { session } = await clients().sessions.createSession({ scope: s, state: nest(32) });
        expect(session?.state).toEqual(nest(32));
      });

      it("returns the stored session for a repeated request_id, and ALREADY_EXISTS for other content", async () => {
        const requestId = randomUUID();
        const s = scope();
        const first = await clients().sessions.createSession({ scope: s, title: "a", requestId });
        const again = await clients().sessions.createSession({ scope: s, title: "a", requestId });
        expect(again.session?.id).toBe(first.session?.id);
        const other = await rejection(
          clients().sessions.createSession({ scope: s, title: "b", requestId }),
          Code.AlreadyExists,
        );
        expect(other.rawMessage).toContain(requestId);
        const { totalSize } = await clients().sessions.listSessions({ scope: s });
        expect(totalSize).toBe(1);
      });

      it("still answers a repeated request_id 23 hours later", async () => {
        const request = { scope: scope(), title: "kept", requestId: randomUUID() };
        const first = await clients().sessions.createSession(request);
        fixture().advance(23 * 60 * 60 * 1000);
        const again = await clients().sessions.createSession(request);
        expect(again.session?.id).toBe(first.session?.id);
      });

      it("forgets a request_id after 24 hours: it then creates anew, whatever the content", async () => {
        const s = scope();
        const requestId = randomUUID();
        const first = await clients().sessions.createSession({ scope: s, title: "a", requestId });
        fixture().advance(24 * 60 * 60 * 1000 + 1);
        // A create in between sweeps results past their 24 hours (all of them on SQLite, a hundred
        // at a time on PostgreSQL); swept or not, the old result no longer answers.
        await clients().sessions.createSession({
          scope: s,
          title: "other",
          requestId: randomUUID(),
        });
        const second = await clients().sessions.createSession({ scope: s, title: "b", requestId });
        expect(second.session?.id).not.toBe(first.session?.id);
        const repeat = await clients().sessions.createSession({ scope: s, title: "b", requestId });
        expect(repeat.session?.id).toBe(second.session?.id);
        const listed = await clients().sessions.listSessions({ scope: s, includeInactive: true });
        expect(listed.totalSize).toBe(3);
      });

      it("stores one session for concurrent repeats of one request_id", async () => {
        const requestId = randomUUID();
        const s = scope();
        const results = await Promise.all(
          Array.from({ length: 8 }, () =>
            clients().sessions.createSession({ scope: s, title: "race", requestId }),
          ),
        );
        expect(new Set(results.map((r) => r.session?.id)).size).toBe(1);
        expect((await clients().sessions.listSessions({ scope: s })).totalSize).toBe(1);
      });
    });

    describe("GetSession", () => {
      it("returns an active session", async () => {
        const session = await newSession();
        const got = await clients().sessions.getSession({ id: session.id });
        expect(got.session?.id).toBe(session.id);
      });

      it("answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for a malformed one", async () => {
        await rejection(clients().sessions.getSession({ id: unknownId }), Code.NotFound);
        await invalid(clients().sessions.getSession({ id: "123" }), "id");
      });

      it("answers FAILED_PRECONDITION for an ended session unless include_inactive", async () => {
        const session = await newSession();
        await clients().sessions.endSession({ id: session.id });
        const error = await rejection(
          clients().sessions.getSession({ id: session.id }),
          Code.FailedPrecondition,
        );
        expect(error.rawMessage).toContain("ended");
        expect(reasonOf(error)).toBe("SESSION_ENDED");
        const got = await clients().sessions.getSession({ id: session.id, includeInactive: true });
        expect(got.session?.endedAt).toBeDefined();
      });

      it("answers FAILED_PRECONDITION once the sliding TTL has passed", async () => {
        const session = await newSession({ ttlSeconds: 60 });
        fixture().advance(61_000);
        const error = await rejection(
          clients().sessions.getSession({ id: session.id }),
          Code.FailedPrecondition,
        );
        expect(error.rawMessage).toContain("expired");
        expect(reasonOf(error)).toBe("SESSION_EXPIRED");
      });
    });

    describe("ListSessions", () => {
      it("pages through a scope, most recent activity first, with total_size", async () => {
        const s = scope();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push(
            (await clients().sessions.createSession({ scope: s, title: `${i}` })).session?.id ?? "",
          );
          fixture().advance(1);
        }
        const seen: string[] = [];
        let pageToken = "";
        do {
          const page = await clients().sessions.listSessions({ scope: s, pageSize: 2, pageToken });
          expect(page.totalSize).toBe(5);
          expect(page.sessions.length).toBeLessThanOrEqual(2);
          seen.push(...page.sessions.map((x) => x.id));
          pageToken = page.nextPageToken;
        } while (pageToken);
        expect(seen).toEqual(ids.reverse());
      });

      it("lists only active sessions unless include_inactive", async () => {
        const s = scope();
        const ended = (await clients().sessions.createSession({ scope: s })).session?.id ?? "";
        await clients().sessions.createSession({ scope: s });
        await clients().sessions.endSession({ id: ended });
        expect((await clients().sessions.listSessions({ scope: s })).totalSize).toBe(1);
        const all = await clients().sessions.listSessions({ scope: s, includeInactive: true });
        expect(all.totalSize).toBe(2);
      });

      it("refuses a forged page token, one issued for other filters, and page_size over 1000", async () => {
        const s = scope();
        for (let i = 0; i < 3; i++) await clients().sessions.createSession({ scope: s });
        const { nextPageToken } = await clients().sessions.listSessions({ scope: s, pageSize: 1 });
        expect(nextPageToken).not.toBe("");
        // Another first character of the signature: the last ones carry padding bits, so
        // replacing them could leave the signature as it was (1 time in 256 with "AA").
        const [payload = "", signature = ""] = nextPageToken.split(".");
        const forged = `${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
        await invalid(
          clients().sessions.listSessions({ scope: s, pageToken: forged }),
          "page_token",
        );
        const other = await invalid(
          clients().sessions.listSessions({ scope: scope(), pageToken: nextPageToken }),
          "page_token",
        );
        expect(other.rawMessage).toContain("other filters");
        await invalid(clients().sessions.listSessions({ scope: s, pageSize: 1001 }), "page_size");
      });

      it("refuses a page token older than 24 hours", async () => {
        const s = scope();
        for (let i = 0; i < 2; i++)
          await clients().sessions.createSession({ scope: s, ttlSeconds: 86_400 });
        const { nextPageToken } = await clients().sessions.listSessions({
          scope: s,
          pageSize: 1,
          includeInactive: true,
        });
        fixture().advance(24 * 60 * 60 * 1000 + 1);
        const stale = await invalid(
          clients().sessions.listSessions({
            scope: s,
            pageSize: 1,
            includeInactive: true,
            pageToken: nextPageToken,
          }),
          "page_token",
        );
        expect(stale.rawMessage).toContain("expired");
      });
    });

    describe("UpdateSessionState", () => {
      it("replaces the state, or shallow-merges it, and counts as activity", async () => {
        const { session } = await clients().sessions.createSession({
          scope: scope(),
          state: { a: 1, nested: { x: 1 } },
        });
        const id = session?.id ?? "";
        fixture().advance(1000);
        const merged = await clients().sessions.updateSessionState({
          id,
          state: { b: 2, nested: { y: 2 } },
          merge: true,
        });
        expect(merged.session?.state).toEqual({ a: 1, b: 2, nested: { y: 2 } });
        expect(timestampMs(merged.session?.lastActivityAt ?? expect.fail())).toBeGreaterThan(
          timestampMs(session?.lastActivityAt ?? expect.fail()),
        );
        const replaced = await clients().sessions.updateSessionState({ id, state: { c: 3 } });
        expect(replaced.session?.state).toEqual({ c: 3 });
      });

      it("answers FAILED_PRECONDITION on an ended session and NOT_FOUND on an unknown one", async () => {
        const session = await newSession();
        await clients().sessions.endSession({ id: session.id });
        await rejection(
          clients().sessions.updateSessionState({ id: session.id, state: {} }),
          Code.FailedPrecondition,
        );
        await rejection(
          clients().sessions.updateSessionState({ id: unknownId, state: {} }),
          Code.NotFound,
        );
      });
    });

    describe("EndSession", () => {
      it("ends a session once: a repeat keeps the first ended_at", async () => {
        const session = await newSession();
        const first = await clients().sessions.endSession({ id: session.id });
        fixture().advance(1000);
        const again = await clients().sessions.endSession({ id: session.id });
        expect(first.session?.endedAt).toBeDefined();
        expect(again.session?.endedAt).toEqual(first.session?.endedAt);
      });

      it("answers NOT_FOUND for an unknown session", async () => {
        await rejection(clients().sessions.endSession({ id: unknownId }), Code.NotFound);
      });
    });

    describe("DeleteSession", () => {
      it("deletes the session and its events; a repeat succeeds", async () => {
        const session = await newSession();
        await clients().sessions.createEvent({ sessionId: session.id, eventType: "message" });
        await clients().sessions.deleteSession({ id: session.id });
        await rejection(clients().sessions.getSession({ id: session.id }), Code.NotFound);
        await rejection(clients().sessions.listEvents({ sessionId: session.id }), Code.NotFound);
        await clients().sessions.deleteSession({ id: session.id });
      });

      it("answers NOT_FOUND for a session that never existed", async () => {
        await rejection(clients().sessions.deleteSession({ id: unknownId }), Code.NotFound);
      });
    });

    describe("CreateEvent", () => {
      it("appends an event and updates event_count and the token totals", async () => {
        const session = await newSession();
        const { event } = await clients().sessions.createEvent({
          sessionId: session.id,
          eventType: "message",
          data: { content: "Hello" },
          inputTokens: 10,
        });
        expect(event).toMatchObject({
          sessionId: session.id,
          eventType: "message",
          inputTokens: 10,
        });
        expect(event?.data).toEqual({ content: "Hello" });
        await clients().sessions.createEvent({
          sessionId: session.id,
          eventType: "response",
          inputTokens: 5,
          outputTokens: 7,
        });
        const { session: after } = await clients().sessions.getSession({ id: session.id });
        expect(after).toMatchObject({
          eventCount: 2,
          totalInputTokens: 15n,
          totalOutputTokens: 7n,
        });
      });

      it("refuses an empty or too-long event_type and negative tokens, writing nothing", async () => {
        const session = await newSession();
        await invalid(
          clients().sessions.createEvent({ sessionId: session.id, eventType: "", inputTokens: -1 }),
          "event_type",
          "input_tokens",
        );
        await invalid(
          clients().sessions.createEvent({
            sessionId: session.id,
            eventType: "x".repeat(101),
            outputTokens: -5,
          }),
          "event_type",
          "output_tokens",
        );
        const { session: after } = await clients().sessions.getSession({ id: session.id });
        expect(after?.eventCount).toBe(0);
      });

      it("answers NOT_FOUND for an unknown session and FAILED_PRECONDITION for an ended one", async () => {
        await rejection(
          clients().sessions.createEvent({ sessionId: unknownId, eventType: "message" }),
          Code.NotFound,
        );
        const session = await newSession();
        await clients().sessions.endSession({ id: session.id });
        await rejection(
          clients().sessions.createEvent({ sessionId: session.id, eventType: "message" }),
          Code.FailedPrecondition,
        );
      });

      it("counts a create repeated with its request_id once, even after the session ended", async () => {
        const session = await newSession();
        const request = {
          sessionId: session.id,
          eventType: "message",
          inputTokens: 3,
          requestId: randomUUID(),
        };
        const first = await clients().sessions.createEvent(request);
        await clients().sessions.endSession({ id: session.id });
        const again = await clients().sessions.createEvent(request);
        expect(again.event?.id).toBe(first.event?.id);
        const { session: after } = await clients().sessions.getSession({
          id: session.id,
          includeInactive: true,
        });
        expect(after).toMatchObject({ eventCount: 1, totalInputTokens: 3n });
      });
    });

    describe("GetEvent", () => {
      it("returns an event of its session, and NOT_FOUND from another session", async () => {
        const session = await newSession();
        const other = await newSession();
        const { event } = await clients().sessions.createEvent({
          sessionId: session.id,
          eventType: "message",
        });
        const id = event?.id ?? "";
        expect((await clients().sessions.getEvent({ sessionId: session.id, id })).event?.id).toBe(
          id,
        );
        await rejection(clients().sessions.getEvent({ sessionId: other.id, id }), Code.NotFound);
        await invalid(clients().sessions.getEvent({ sessionId: session.id, id: "x" }), "id");
      });
    });

    describe("ListEvents", () => {
      it("pages oldest first, filters by event_type, and works on an ended session", async () => {
        const session = await newSession();
        const types = ["message", "tool", "message", "message", "tool"];
        const ids: string[] = [];
        for (const eventType of types) {
          const { event } = await clients().sessions.createEvent({
            sessionId: session.id,
            eventType,
          });
          ids.push(event?.id ?? "");
        }
        await clients().sessions.endSession({ id: session.id });
        const first = await clients().sessions.listEvents({ sessionId: session.id, pageSize: 3 });
        const second = await clients().sessions.listEvents({
          sessionId: session.id,
          pageSize: 3,
          pageToken: first.nextPageToken,
        });
        expect([...first.events, ...second.events].map((e) => e.id)).toEqual(ids);
        expect(first.totalSize).toBe(5);
        expect(second.nextPageToken).toBe("");
        const messages = await clients().sessions.listEvents({
          sessionId: session.id,
          eventType: "message",
        });
        expect(messages.events.map((e) => e.id)).toEqual([ids[0], ids[2], ids[3]]);
        expect(messages.totalSize).toBe(3);
      });

      it("answers NOT_FOUND for the events of an unknown session", async () => {
        await rejection(clients().sessions.listEvents({ sessionId: unknownId }), Code.NotFound);
      });
    });
  });
});
