// Cancellation: the caller's signal ends a call with CANCELED and resets its stream. The call's
// AbortSignal is made only when an interceptor reads it, and must then work as well as the
// transport's own listening does; an interceptor may also replace it with a signal of its own.
import { getEventListeners } from "node:events";
import { constants } from "node:http2";
import { Code, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { rejection } from "../support/errors.js";
import { getSessionBody, unknownId, useTransportFixtures } from "./fixtures.js";
import { respondGrpc } from "./grpc-peer.js";

const open = useTransportFixtures();
const stall = () => open.startPeer(() => {});

describe("the caller's signal", () => {
  it("cancels a call in flight with CANCELED, and the server sees the stream reset", async () => {
    const peer = await stall();
    const controller = new AbortController();
    const call = open
      .sessionsClient({ baseUrl: peer.url })
      .getSession({ id: unknownId }, { signal: controller.signal });
    await expect.poll(() => peer.streams.length).toBe(1);
    controller.abort();
    await rejection(call, Code.Canceled);
    expect(await peer.streams[0]?.closed).toBe(constants.NGHTTP2_CANCEL);
  });

  it("fails a call at once with CANCELED when already aborted, opening no stream", async () => {
    const peer = await stall();
    const sessions = open.sessionsClient({ baseUrl: peer.url });
    const call = sessions.getSession({ id: unknownId }, { signal: AbortSignal.abort() });
    await rejection(call, Code.Canceled);
    expect(peer.streams).toHaveLength(0);
    expect(peer.sessionsOpened).toBe(0);
  });

  it("keeps no abort listener on a long-lived signal once calls are done", async () => {
    const peer = await open.startPeer((stream) => respondGrpc(stream, { body: getSessionBody() }));
    const sessions = open.sessionsClient({ baseUrl: peer.url });
    const signal = new AbortController().signal;
    for (let i = 0; i < 5; i++) await sessions.getSession({ id: unknownId }, { signal });
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });
});

describe("req.signal in interceptors", () => {
  it("is aborted on the deadline once an interceptor has read it, and the stream is reset", async () => {
    const peer = await stall();
    let seen: AbortSignal | undefined;
    const readsSignal: Interceptor = (next) => (req) => {
      seen = req.signal;
      return next(req);
    };
    const sessions = open.sessionsClient({ baseUrl: peer.url, interceptors: [readsSignal] });
    await rejection(
      sessions.getSession({ id: unknownId }, { timeoutMs: 150 }),
      Code.DeadlineExceeded,
    );
    expect(seen?.aborted).toBe(true);
    expect(await peer.streams[0]?.closed).toBe(constants.NGHTTP2_CANCEL);
  });

  it("is aborted by the caller's signal once an interceptor has read it", async () => {
    const peer = await stall();
    let seen: AbortSignal | undefined;
    const readsSignal: Interceptor = (next) => (req) => {
      seen = req.signal;
      return next(req);
    };
    const controller = new AbortController();
    const sessions = open.sessionsClient({ baseUrl: peer.url, interceptors: [readsSignal] });
    const call = sessions.getSession({ id: unknownId }, { signal: controller.signal });
    await expect.poll(() => peer.streams.length).toBe(1);
    controller.abort();
    await rejection(call, Code.Canceled);
    expect(seen?.aborted).toBe(true);
    expect(await peer.streams[0]?.closed).toBe(constants.NGHTTP2_CANCEL);
  });

  it("cancels the call when an interceptor's replacement signal aborts", async () => {
    const peer = await stall();
    const own = new AbortController();
    const replacesSignal: Interceptor = (next) => (req) => next({ ...req, signal: own.signal });
    const sessions = open.sessionsClient({ baseUrl: peer.url, interceptors: [replacesSignal] });
    const call = sessions.getSession({ id: unknownId });
    await expect.poll(() => peer.streams.length).toBe(1);
    own.abort();
    await rejection(call, Code.Canceled);
    expect(await peer.streams[0]?.closed).toBe(constants.NGHTTP2_CANCEL);
  });
});
