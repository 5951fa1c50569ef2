// The request ids the workers derive: UUIDs the server accepts, the same for the same work.
import { describe, expect, it } from "vitest";
import { deterministicUuid } from "../../src/workers/deterministic-id.js";

describe("deterministicUuid", () => {
  it("is a UUID of version 5 and the RFC 4122 variant", () => {
    expect(deterministicUuid("a", "b")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("depends on the parts and nothing else", () => {
    expect(deterministicUuid("s", "User prefers tea")).toBe(
      deterministicUuid("s", "User prefers tea"),
    );
    expect(deterministicUuid("s", "User prefers tea")).not.toBe(
      deterministicUuid("s", "User prefers coffee"),
    );
    // Joined by a newline: the SHA-256 of "s\nUser prefers tea".
    expect(deterministicUuid("s", "User prefers tea")).toBe(
      deterministicUuid("s\nUser prefers tea"),
    );
  });
});
