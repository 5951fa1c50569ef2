import { describe, expect, it } from "vitest";
import {
  Code,
  ConnectError,
  isServiceUnavailableError,
  ServiceUnavailableError,
} from "../../src/index.js";

describe("ServiceUnavailableError", () => {
  const cause = new ConnectError("connect ECONNREFUSED 127.0.0.1:1", Code.Unavailable);
  const error = new ServiceUnavailableError(
    "contextiq.sessions.v1.SessionsService",
    "http://127.0.0.1:1",
    4,
    cause,
  );

  it("is a ConnectError with Code.Unavailable that ConnectError.from keeps as it is", () => {
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.code).toBe(Code.Unavailable);
    expect(ConnectError.from(error)).toBe(error);
  });

  it("says where, how many attempts and why, and carries the context", () => {
    expect(error.message).toBe(
      "[unavailable] Service at http://127.0.0.1:1 is unavailable after 4 attempts: connect ECONNREFUSED 127.0.0.1:1",
    );
    expect(error).toMatchObject({
      service: "contextiq.sessions.v1.SessionsService",
      attempts: 4,
      cause,
    });
  });

  it("names the code of the last failure only when it is not UNAVAILABLE", () => {
    const reset = new ConnectError("stream reset by the server", Code.Internal);
    const internal = new ServiceUnavailableError("s", "http://127.0.0.1:1", 2, reset);
    expect(internal.message).toBe(
      "[unavailable] Service at http://127.0.0.1:1 is unavailable after 2 attempts: [internal] stream reset by the server",
    );
    const open = new ServiceUnavailableError(
      "s",
      "http://127.0.0.1:1",
      0,
      cause,
      "circuit-open",
      999.2,
    );
    expect(open.message).toBe(
      "[unavailable] Service at http://127.0.0.1:1 is unavailable: the circuit is open after repeated failures and lets a probe call through in 1000 ms; last failure: connect ECONNREFUSED 127.0.0.1:1",
    );
  });

  it("is told apart from other ConnectErrors", () => {
    expect(cause instanceof ServiceUnavailableError).toBe(false);
    expect(isServiceUnavailableError(cause)).toBe(false);
    expect(error instanceof ServiceUnavailableError).toBe(true);
    expect(isServiceUnavailableError(error)).toBe(true);
  });
});
