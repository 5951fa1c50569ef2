// Each resource message survives the binary and the JSON encodings unchanged, with every field set,
// Struct and Timestamp fields included: what the gRPC and the JSON transports will carry.
import {
  create,
  type DescMessage,
  equals,
  fromBinary,
  fromJson,
  fromJsonString,
  isFieldSet,
  type Message,
  toBinary,
  toJson,
  toJsonString,
} from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  EventSchema,
  MemoryRevisionSchema,
  MemorySchema,
  ScoredMemorySchema,
  type Session,
  SessionSchema,
  SourceType,
} from "../../src/index.js";

// Nanoseconds that a millisecond Date could not hold, to catch a lossy conversion.
const at = (iso: string, nanos = 123_456_789) => ({ ...timestampFromDate(new Date(iso)), nanos });

const structValue = {
  content: "Hello",
  nested: { depth: 2, flags: [true, false], empty: {} },
  list: [1, "two", null, { three: 3 }],
  nothing: null,
  ratio: 0.25,
};

const memory = create(MemorySchema, {
  id: "0b0a6a4e-9c1f-4c9e-8f35-2a4f4b1d6c11",
  scope: { user_id: "123", org_id: "acme" },
  fact: "User prefers Python",
  topic: "preferences",
  // float32 values, so that the binary encoding's precision is not what is being tested.
  embedding: [0.5, -0.25, 0.125, Math.fround(0.1)],
  confidence: 0.9,
  importance: 0.5,
  accessCount: 2n ** 40n,
  lastAccessedAt: at("2026-11-20T10:00:00Z"),
  sourceType: SourceType.EXTRACTED,
  sourceId: "6f1c2d3e-4b5a-4c6d-9e8f-7a6b5c4d3e2f",
  expiresAt: at("2027-11-20T10:00:00Z"),
  deletedAt: at("2026-11-21T10:00:00Z"),
  deletionReason: "consolidated into c0ffee00-1234-4abc-8def-0123456789ab",
  createdAt: at("2026-11-20T09:00:00Z"),
  updatedAt: at("2026-11-20T09:30:00Z"),
});

const resources: [string, DescMessage, Message][] = [
  [
    "Session",
    SessionSchema,
    create(SessionSchema, {
      id: "5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b",
      scope: { user_id: "123" },
      title: "Test Session",
      description: "A session with every field set",
      state: structValue,
      startedAt: at("2026-11-20T09:00:00Z"),
      lastActivityAt: at("2026-11-20T09:05:00Z"),
      endedAt: at("2026-11-20T09:06:00Z"),
      ttlSeconds: 3600,
      expiresAt: at("2026-11-20T10:05:00Z"),
      eventCount: 2,
      totalInputTokens: 2n ** 40n,
      totalOutputTokens: 7n,
    }),
  ],
  [
    "Event",
    EventSchema,
    create(EventSchema, {
      id: "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
      sessionId: "5e1b7f0a-3c2d-4e6f-8a9b-0c1d2e3f4a5b",
      eventType: "message",
      data: structValue,
      inputTokens: 10,
      outputTokens: 20,
      timestamp: at("2026-11-20T09:05:00Z"),
    }),
  ],
  ["Memory", MemorySchema, memory],
  [
    "MemoryRevision",
    MemoryRevisionSchema,
    create(MemoryRevisionSchema, {
      id: "c0ffee00-1234-4abc-8def-0123456789ab",
      memoryId: "0b0a6a4e-9c1f-4c9e-8f35-2a4f4b1d6c11",
      revisionNumber: 3,
      previousFact: "User prefers Python",
      newFact: "User prefers Python and TypeScript",
      changeReason: "User provided additional information",
      createdAt: at("2026-11-20T09:30:00Z"),
    }),
  ],
  [
    "ScoredMemory",
    ScoredMemorySchema,
    create(ScoredMemorySchema, { memory, similarityScore: -0.5 }),
  ],
];

describe.each(resources)("%s", (_, schema, message) => {
  it("has every field set in this fixture", () => {
    const unset = schema.fields.filter((f) => !isFieldSet(message, f)).map((f) => f.name);
    expect(unset).toEqual([]);
  });

  it("round-trips through the binary encoding", () => {
    const decoded = fromBinary(schema, toBinary(schema, message));
    expect(equals(schema, decoded, message)).toBe(true);
  });

  it("round-trips through the JSON encoding", () => {
    expect(equals(schema, fromJson(schema, toJson(schema, message)), message)).toBe(true);
    const text = toJsonString(schema, message);
    expect(equals(schema, fromJsonString(schema, text), message)).toBe(true);
  });
});

describe("the JSON encoding", () => {
  it("writes Struct as a plain object, Timestamp as RFC 3339, int64 as a string, enums by name", () => {
    const session = resources[0]?.[2];
    expect(toJson(SessionSchema, session as Session)).toMatchObject({
      state: structValue,
      lastActivityAt: "2026-11-20T09:05:00.123456789Z",
      totalInputTokens: String(2n ** 40n),
    });
    expect(toJson(MemorySchema, memory)).toMatchObject({ sourceType: "SOURCE_TYPE_EXTRACTED" });
  });
});
