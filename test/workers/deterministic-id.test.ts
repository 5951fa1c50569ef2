// The request ids the workers derive: UUIDs the server accepts, the same for the same work.
import { describe, expect, it } from "vitest";
import { deterministicUuid } from "../../src/workers/deterministic-id.js";

const SHA256_A_NEWLINE_B = "7e18f737311b2dc3b2f269dd78396b0351f14fb66efa879f768cb23181883c78";

describe("deterministicUuid", () => {
  it("is a UUID of version 8 (RFC 9562's version for a hash other than MD5 and SHA-1) and the RFC variant", () => {
    expect(deterministicUuid("a", "b")).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("is the first 122 bits of the SHA-256 of the parts, with the version and variant bits set", () => {
    // Computed outside: printf 'a\nb' | sha256sum
    const hex = deterministicUuid("a", "b").replaceAll("-", "");
    expect(hex).toHaveLength(32);
    expect(hex.slice(0, 12)).toBe(SHA256_A_NEWLINE_B.slice(0, 12));
    expect(hex.slice(13, 16)).toBe(SHA256_A_NEWLINE_B.slice(13, 16));
    expect(hex.slice(18, 32)).toBe(SHA256_A_NEWLINE_B.slice(18, 32));
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
