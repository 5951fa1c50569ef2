// The values the retry layer reads from and writes to the wire: timeouts and server pushback.
import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "../../src/index.js";
import { readTimeoutMs, writeTimeoutMs } from "../../src/policy/deadline-header.js";
import { pushbackMs } from "../../src/policy/pushback.js";

describe("the timeout header", () => {
  it.each([
    ["grpc-timeout", "29995m", 29_995],
    ["grpc-timeout", "2S", 2_000],
    ["grpc-timeout", "1H", 3_600_000],
    ["grpc-timeout", "1500u", 1.5],
    ["connect-timeout-ms", "750", 750],
  ])("reads %s: %s as %d ms", (name, value, ms) => {
    expect(readTimeoutMs(new Headers({ [name]: value }))).toBe(ms);
  });

  it("reads no timeout from a request without one, or with a malformed grpc-timeout", () => {
    expect(readTimeoutMs(new Headers())).toBeUndefined();
    expect(readTimeoutMs(new Headers({ "grpc-timeout": "123456789m" }))).toBeUndefined();
  });

  it("rewrites whichever header the protocol used, rounding up to whole ms", () => {
    const grpc = new Headers({ "grpc-timeout": "30000m" });
    writeTimeoutMs(grpc, 1234.2);
    expect(grpc.get("grpc-timeout")).toBe("1235m");
    const connect = new Headers({ "connect-timeout-ms": "30000" });
    writeTimeoutMs(connect, 0.2);
    expect(connect.get("connect-timeout-ms")).toBe("1");
    const none = new Headers();
    writeTimeoutMs(none, 100);
    expect([...none.keys()]).toEqual([]);
  });

  it("switches grpc-timeout to seconds past eight digits of ms", () => {
    const header = new Headers({ "grpc-timeout": "1m" });
    writeTimeoutMs(header, 200_000_000);
    expect(header.get("grpc-timeout")).toBe("200000S");
  });
});

describe("server pushback", () => {
  const failed = (headers: Record<string, string>) =>
    new ConnectError("busy", Code.Unavailable, headers);

  it("reads grpc-retry-pushback-ms, and a negative or malformed one as stop", () => {
    expect(pushbackMs(failed({ "grpc-retry-pushback-ms": "150" }))).toBe(150);
    expect(pushbackMs(failed({ "grpc-retry-pushback-ms": "-1" }))).toBe("stop");
    expect(pushbackMs(failed({ "grpc-retry-pushback-ms": "soon" }))).toBe("stop");
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(pushbackMs(failed({ "retry-after": "2" }))).toBe(2000);
    const now = Date.parse("2026-11-27T10:00:00Z");
    expect(pushbackMs(failed({ "retry-after": "Fri, 27 Nov 2026 10:00:03 GMT" }), now)).toBe(3000);
    expect(pushbackMs(failed({}))).toBeUndefined();
  });
});
