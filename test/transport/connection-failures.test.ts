// Connections that cannot be made or break under a call: each fails with the code gRPC maps it to,
// with a cause the retry policy (failureKind) can tell apart: "refused" when the server never saw
// the request, "reset" when it may have. A server that comes back is reached again.
import { constants } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it, onTestFinished } from "vitest";
import { failureKind } from "../../src/policy/transient.js";
import { startServices } from "../../src/server/index.js";
import { closedPort } from "../support/closed-port.js";
import { rejection } from "../support/errors.js";
import { settle, unknownId, useTransportFixtures } from "./fixtures.js";
import { type PeerHandler, respondTrailersOnly } from "./grpc-peer.js";

const open = useTransportFixtures();

/** The codes along an error's chain of causes. */
function causeCodes(error: unknown): unknown[] {
  const codes: unknown[] = [];
  for (let e = error; e instanceof Error; e = e.cause) codes.push((e as { code?: unknown }).code);
  return codes;
}

async function refusedCall() {
  const sessions = open.sessionsClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
  return rejection(sessions.getSession({ id: unknownId }), Code.Unavailable);
}

/** The error of a call to a peer that breaks the call with `handler`: with `code`, if given. */
async function brokenCall(handler: PeerHandler, code?: Code): Promise<ConnectError> {
  const peer = await open.startPeer(handler);
  const call = open.sessionsClient({ baseUrl: peer.url }).getSession({ id: unknownId });
  if (code !== undefined) return rejection(call, code);
  const error = await settle(call);
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

const destroySession: PeerHandler = (stream) => stream.session?.destroy();
const refuseStream: PeerHandler = (stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM);

describe("a refused connection", () => {
  it("fails with UNAVAILABLE, ECONNREFUSED in its chain of causes", async () => {
    const error = await refusedCall();
    expect(causeCodes(error)).toContain("ECONNREFUSED");
  });

  // Node fails the waiting stream with ERR_HTTP2_STREAM_CANCEL, whose cause is the ECONNREFUSED;
  // the transport must surface the refusal, or failureKind would stop at the cancel, a reset.
  it("is classified as refused, so that any call may be retried", async () => {
    expect(failureKind(await refusedCall())).toBe("refused");
  });
});

describe("a connection lost under a call", () => {
  it("fails with UNAVAILABLE, as a reset, when the TCP connection is reset", async () => {
    const peer = await open.startPeer(() => peer.resetConnections());
    const sessions = open.sessionsClient({ baseUrl: peer.url });
    const error = await rejection(sessions.getSession({ id: unknownId }), Code.Unavailable);
    expect(failureKind(error)).toBe("reset");
  });

  it("fails with UNAVAILABLE, as a reset, on a GOAWAY with an error", async () => {
    const error = await brokenCall(
      (stream) => stream.session?.goaway(constants.NGHTTP2_INTERNAL_ERROR, 0),
      Code.Unavailable,
    );
    expect(failureKind(error)).toBe("reset");
  });

  it("is classified as a reset when the server destroys the session", async () => {
    const error = await brokenCall(destroySession);
    expect(failureKind(error)).toBe("reset");
  });

  // Node closes the streams of a session whose socket closed with NGHTTP2_CANCEL and no error:
  // not a cancel by anyone, a lost connection.
  it("fails with UNAVAILABLE when the server destroys the session", async () => {
    await brokenCall(destroySession, Code.Unavailable);
  });
});

describe("a stream the server refuses", () => {
  it("is classified as refused when reset with REFUSED_STREAM", async () => {
    const error = await brokenCall(refuseStream);
    expect(failureKind(error)).toBe("refused");
  });

  // Node also reports a stream error (ERR_HTTP2_STREAM_ERROR); the RST code says more.
  it("fails with UNAVAILABLE when reset with REFUSED_STREAM", async () => {
    await brokenCall(refuseStream, Code.Unavailable);
  });

  // The server never processed it, so the transport sends it again by itself, without a retry
  // interceptor in the chain (gRFC A6); only a server that keeps refusing makes it fail, above.
  it("is sent again at once when refused unprocessed, and answered", async () => {
    let refused = 0;
    const peer = await open.startPeer((stream) => {
      if (refused < 2) {
        refused++;
        stream.close(constants.NGHTTP2_REFUSED_STREAM);
      } else {
        respondTrailersOnly(stream, { "grpc-status": String(Code.NotFound) });
      }
    });
    const sessions = open.sessionsClient({ baseUrl: peer.url });
    await rejection(sessions.getSession({ id: unknownId }), Code.NotFound);
    expect(peer.streams).toHaveLength(3);
  });

  it("is sent on a new connection when refused past a GOAWAY's last stream id", async () => {
    // The first connection's first stream is answered with a GOAWAY that says it was not
    // processed (last stream id 0), then refused; the second connection answers.
    const peer = await open.startPeer((stream) => {
      if (peer.sessionsOpened === 1) {
        stream.session?.goaway(constants.NGHTTP2_NO_ERROR, 0);
        stream.close(constants.NGHTTP2_REFUSED_STREAM);
      } else {
        respondTrailersOnly(stream, { "grpc-status": String(Code.NotFound) });
      }
    });
    const sessions = open.sessionsClient({ baseUrl: peer.url });
    await rejection(sessions.getSession({ id: unknownId }), Code.NotFound);
    expect(peer.sessionsOpened).toBe(2);
  });
});

describe("a server that restarts", () => {
  it("is reached on a new connection once it is back on the same port", async () => {
    const first = await startServices();
    onTestFinished(() => first.close());
    const { port } = new URL(first.sessionsUrl);
    const sessions = open.sessionsClient({ baseUrl: first.sessionsUrl });
    await sessions.createSession({ title: "before" });
    await first.close();
    const second = await startServices({ sessionsPort: Number(port) });
    onTestFinished(() => second.close());
    const { session } = await sessions.createSession({ title: "after" });
    expect(session?.title).toBe("after");
  });
});
