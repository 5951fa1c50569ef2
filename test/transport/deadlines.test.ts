// Deadlines: the call's timeout goes on the wire as grpc-timeout, and a call the server does not
// answer in time ends with DEADLINE_EXCEEDED, its stream reset so the server stops too.
import { constants } from "node:http2";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { rejection } from "../support/errors.js";
import { getSessionBody, unknownId, useTransportFixtures } from "./fixtures.js";
import { respondGrpc } from "./grpc-peer.js";

const open = useTransportFixtures();
const answer = () => open.startPeer((stream) => respondGrpc(stream, { body: getSessionBody() }));
const stall = () => open.startPeer(() => {});
/** Slack for a loaded machine: the bound is the point, not its tightness. */
const slackMs = 1_500;

describe("grpc-timeout", () => {
  it("carries the call's timeoutMs", async () => {
    const peer = await answer();
    await open
      .sessionsClient({ baseUrl: peer.url })
      .getSession({ id: unknownId }, { timeoutMs: 1_500 });
    expect(peer.streams[0]?.headers["grpc-timeout"]).toBe("1500m");
  });

  it("carries the transport's defaultTimeoutMs, which a call's own timeoutMs overrides", async () => {
    const peer = await answer();
    const sessions = open.sessionsClient({ baseUrl: peer.url, defaultTimeoutMs: 2_500 });
    await sessions.getSession({ id: unknownId });
    await sessions.getSession({ id: unknownId }, { timeoutMs: 700 });
    expect(peer.streams.map((s) => s.headers["grpc-timeout"])).toEqual(["2500m", "700m"]);
  });

  it("is absent from a call without a deadline", async () => {
    const peer = await answer();
    await open.sessionsClient({ baseUrl: peer.url }).getSession({ id: unknownId });
    expect(peer.streams[0]?.headers).not.toHaveProperty("grpc-timeout");
  });

  it("is absent, and no deadline applies, when a call's timeoutMs is 0", async () => {
    const peer = await open.startPeer((stream) => {
      setTimeout(() => respondGrpc(stream, { body: getSessionBody() }), 150);
    });
    const sessions = open.sessionsClient({ baseUrl: peer.url, defaultTimeoutMs: 50 });
    await sessions.getSession({ id: unknownId }, { timeoutMs: 0 });
    expect(peer.streams[0]?.headers).not.toHaveProperty("grpc-timeout");
  });

  // Not a 0 ms timer that fails every call at once.
  it("treats a defaultTimeoutMs of 0 as no deadline, as documented", async () => {
    const peer = await answer();
    const sessions = open.sessionsClient({ baseUrl: peer.url, defaultTimeoutMs: 0 });
    await sessions.getSession({ id: unknownId });
    expect(peer.streams[0]?.headers).not.toHaveProperty("grpc-timeout");
  });
});

describe("a server that does not answer", () => {
  it("fails the call with DEADLINE_EXCEEDED near its deadline and resets the stream", async () => {
    const peer = await stall();
    const started = performance.now();
    await rejection(
      open.sessionsClient({ baseUrl: peer.url }).getSession({ id: unknownId }, { timeoutMs: 200 }),
      Code.DeadlineExceeded,
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(200 + slackMs);
    expect(await peer.streams[0]?.closed).toBe(constants.NGHTTP2_CANCEL);
  });

  it("fails the call at the transport's defaultTimeoutMs", async () => {
    const peer = await stall();
    const sessions = open.sessionsClient({ baseUrl: peer.url, defaultTimeoutMs: 150 });
    const started = performance.now();
    await rejection(sessions.getSession({ id: unknownId }), Code.DeadlineExceeded);
    expect(performance.now() - started).toBeLessThan(150 + slackMs);
    expect(await peer.streams[0]?.closed).toBe(constants.NGHTTP2_CANCEL);
  });
});
