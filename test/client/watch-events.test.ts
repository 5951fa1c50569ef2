// The facade's watchEvents over every transport, against the real services: backlog then live
// tail, the end of a session, and what a watch does when its stream breaks (a cut connection, a
// silent one): it reconnects and resumes after the last event it delivered, none missed or repeated.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Event } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import {
  type SessionsServiceClient as Client,
  InvalidOptionError,
  SessionsServiceClient,
  type WatchReconnectEvent,
} from "../../src/index.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { clientTransports } from "../support/client-transports.js";
import { type CuttingRelay, startCuttingRelay } from "../support/cutting-relay.js";

let services: RunningServices;
beforeAll(async () => {
  services = await startServices();
});
afterAll(() => services.close());

describe.each(clientTransports)("watchEvents over %s", (_, transport) => {
  const clients: Client[] = [];
  const relays: CuttingRelay[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(relays.splice(0).map((r) => r.close()));
  });
  const client = (baseUrl = services.sessionsUrl) => {
    const made = new SessionsServiceClient({ ...transport, baseUrl, retryDelayMs: 20 });
    clients.push(made);
    return made;
  };
  const relay = async () => {
    const made = await startCuttingRelay(services.sessionsUrl);
    relays.push(made);
    return made;
  };
  const newSession = async (sessions: Client) => (await sessions.createSession({})).id;

  it("yields the backlog, then each new event, and finishes when the session ends", async () => {
    const sessions = client();
    const sessionId = await newSession(sessions);
    const made = [await sessions.createEvent({ sessionId, eventType: "message" })];
    const seen: Event[] = [];
    for await (const event of sessions.watchEvents(sessionId)) {
      seen.push(event);
      if (seen.length < 4) made.push(await sessions.createEvent({ sessionId, eventType: "m" }));
      else await sessions.endSession(sessionId);
    }
    expect(seen.map((e) => e.id)).toEqual(made.map((e) => e.id));
  });

  it("starts after afterEventId and keeps to eventType", async () => {
    const sessions = client();
    const sessionId = await newSession(sessions);
    const a = await sessions.createEvent({ sessionId, eventType: "message" });
    await sessions.createEvent({ sessionId, eventType: "tool_call" });
    const c = await sessions.createEvent({ sessionId, eventType: "message" });
    await sessions.endSession(sessionId);
    const seen: string[] = [];
    for await (const event of sessions.watchEvents(sessionId, {
      afterEventId: a.id,
      eventType: "message",
    })) {
      seen.push(event.id);
    }
    expect(seen).toEqual([c.id]);
  });

  it("reconnects after its connection is cut and resumes after the last event delivered", async () => {
    const through = await relay();
    const writer = client();
    const sessions = client(through.url);
    const sessionId = await newSession(writer);
    const made = [(await writer.createEvent({ sessionId, eventType: "m" })).id];
    const reconnects: WatchReconnectEvent[] = [];
    const seen: string[] = [];
    for await (const event of sessions.watchEvents(sessionId, {
      onReconnect: (e) => reconnects.push(e),
    })) {
      seen.push(event.id);
      if (seen.length < made.length) continue;
      if (made.length >= 10) {
        await writer.endSession(sessionId);
        continue;
      }
      // Cut under the watch, then events made while it is down.
      through.cut();
      for (let i = 0; i < 3; i++) {
        made.push((await writer.createEvent({ sessionId, eventType: "m" })).id);
      }
    }
    expect(seen).toEqual(made);
    expect(reconnects.map((r) => r.afterEventId)).toEqual(
      expect.arrayContaining([made[0], made[3], made[6]]),
    );
  });

  it("takes a connection that goes silent for dead, and reconnects", {
    timeout: 20_000,
  }, async () => {
    const through = await relay();
    const writer = client();
    const sessions = client(through.url);
    const sessionId = await newSession(writer);
    const first = await writer.createEvent({ sessionId, eventType: "m" });
    const reconnects: WatchReconnectEvent[] = [];
    const seen: string[] = [];
    let second: Event | undefined;
    for await (const event of sessions.watchEvents(sessionId, {
      heartbeatSeconds: 1,
      onReconnect: (e) => reconnects.push(e),
    })) {
      seen.push(event.id);
      if (seen.length === 1) {
        through.silence();
        second = await writer.createEvent({ sessionId, eventType: "m" });
      } else {
        await writer.endSession(sessionId);
      }
    }
    expect(seen).toEqual([first.id, second?.id]);
    expect(reconnects[0]?.error.rawMessage).toMatch(/no event or heartbeat/);
  });

  it("does not take the caller's time with an event for a silent connection", async () => {
    const sessions = client();
    const sessionId = await newSession(sessions);
    await sessions.createEvent({ sessionId, eventType: "m" });
    const reconnects: WatchReconnectEvent[] = [];
    for await (const _ of sessions.watchEvents(sessionId, {
      heartbeatSeconds: 1,
      onReconnect: (e) => reconnects.push(e),
    })) {
      // Longer than the 3 s of silence that would make the watch reconnect.
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      await sessions.endSession(sessionId);
    }
    expect(reconnects).toEqual([]);
  }, 20_000);

  it("gives its stream back when the caller stops with break", async () => {
    const sessions = client();
    const sessionId = await newSession(sessions);
    await sessions.createEvent({ sessionId, eventType: "m" });
    for (let i = 0; i < 3; i++) {
      for await (const _ of sessions.watchEvents(sessionId)) break;
    }
    expect(sessions.balancer.endpoints.map((e) => e.openStreams)).toEqual([0]);
  });

  it("fails NOT_FOUND when the session is deleted", async () => {
    const sessions = client();
    const sessionId = await newSession(sessions);
    await sessions.createEvent({ sessionId, eventType: "m" });
    const error = await (async () => {
      for await (const _ of sessions.watchEvents(sessionId))
        await sessions.deleteSession(sessionId);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect(Code[(error as ConnectError).code]).toBe("NotFound");
  });

  it("stops with CANCELED on its signal, DEADLINE_EXCEEDED at its timeoutMs, and FAILED_PRECONDITION when the client closes", async () => {
    const sessions = client();
    const sessionId = await newSession(sessions);
    const stopped = new AbortController();
    const codeOf = async (watch: AsyncIterable<Event>, during: () => void) => {
      const outcome = await (async () => {
        for await (const _ of watch) during();
      })().then(
        () => "finished",
        (e: unknown) => Code[ConnectError.from(e).code],
      );
      return outcome;
    };
    await sessions.createEvent({ sessionId, eventType: "m" });
    expect(
      await codeOf(sessions.watchEvents(sessionId, { signal: stopped.signal }), () =>
        stopped.abort(),
      ),
    ).toBe("Canceled");
    expect(await codeOf(sessions.watchEvents(sessionId, { timeoutMs: 300 }), () => {})).toBe(
      "DeadlineExceeded",
    );
    expect(await codeOf(sessions.watchEvents(sessionId), () => void sessions.close())).toBe(
      "FailedPrecondition",
    );
  });

  it("refuses bad options, naming them", () => {
    const sessions = client();
    expect(() => sessions.watchEvents("x", { timeoutMs: 0 })).toThrow(InvalidOptionError);
    expect(() => sessions.watchEvents("x", { heartbeatSeconds: 301 })).toThrow(/heartbeatSeconds/);
  });
});
