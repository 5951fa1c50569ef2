// How a failed attempt is judged, from the errors connect-node 2.1 was seen to report for each
// fault (test/support/fault-proxy.test.ts records them against a real proxy).
import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "../../src/index.js";
import { failureKind, isTransient } from "../../src/policy/transient.js";

const nodeError = (code: string) => Object.assign(new Error(code), { code });

describe("failureKind", () => {
  it.each([
    [
      "a refused connection",
      new ConnectError(
        "connect ECONNREFUSED",
        Code.Unavailable,
        undefined,
        undefined,
        nodeError("ECONNREFUSED"),
      ),
      "refused",
    ],
    [
      "a reset over any transport",
      new ConnectError(
        "read ECONNRESET",
        Code.Aborted,
        undefined,
        undefined,
        nodeError("ECONNRESET"),
      ),
      "reset",
    ],
    [
      "a connection reset while it was being made, by a listener that died as it accepted",
      new ConnectError(
        "connect ECONNRESET",
        Code.Unavailable,
        undefined,
        undefined,
        Object.assign(nodeError("ECONNRESET"), { syscall: "connect" }),
      ),
      "refused",
    ],
    [
      "an HTTP/2 session that died under the stream",
      new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled),
      "reset",
    ],
    [
      "REFUSED_STREAM",
      new ConnectError(
        "Stream closed with error code NGHTTP2_REFUSED_STREAM",
        Code.Internal,
        undefined,
        undefined,
        nodeError("ERR_HTTP2_STREAM_ERROR"),
      ),
      "refused",
    ],
    ["an HTTP/1.1 hang-up", new ConnectError("socket hang up", Code.Aborted), "reset"],
    ["a 503", new ConnectError("HTTP 503", Code.Unavailable), "status"],
    ["a server's ABORTED", new ConnectError("transaction aborted", Code.Aborted), "status"],
  ] as const)("calls %s %s", (_, error, kind) => {
    expect(failureKind(error)).toBe(kind);
  });
});

describe("isTransient", () => {
  const reset = new ConnectError(
    "read ECONNRESET",
    Code.Aborted,
    undefined,
    undefined,
    nodeError("ECONNRESET"),
  );

  it("retries a reset only when the call is safe to repeat", () => {
    expect(isTransient(reset, true, undefined)).toBe(true);
    expect(isTransient(reset, false, undefined)).toBe(false);
  });

  it("retries UNAVAILABLE always, RESOURCE_EXHAUSTED only with pushback, and nothing else", () => {
    expect(isTransient(new ConnectError("x", Code.Unavailable), false, undefined)).toBe(true);
    expect(isTransient(new ConnectError("x", Code.ResourceExhausted), true, undefined)).toBe(false);
    expect(isTransient(new ConnectError("x", Code.ResourceExhausted), true, 0)).toBe(true);
    for (const code of [
      Code.InvalidArgument,
      Code.NotFound,
      Code.AlreadyExists,
      Code.FailedPrecondition,
      Code.Unauthenticated,
      Code.PermissionDenied,
      Code.Internal,
      Code.DeadlineExceeded,
    ]) {
      expect(isTransient(new ConnectError("x", code), true, undefined), Code[code]).toBe(false);
    }
  });
});
