// The memory that replaces a group: what it keeps of the originals, and its request id.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Memory, MemorySchema } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { consolidatedMemory } from "../../src/workers/consolidated-memory.js";

const memory = (id: string, fields: MessageInitShape<typeof MemorySchema>): Memory =>
  create(MemorySchema, { id, scope: { user_id: "1" }, topic: "preferences", ...fields });

const group = [
  memory("00000000-0000-4000-8000-000000000002", {
    fact: "User prefers python.",
    confidence: 0.9,
    importance: 0.2,
    embedding: [1, 0.5],
  }),
  memory("00000000-0000-4000-8000-000000000001", {
    fact: "The user prefers Python",
    confidence: 0.5,
    importance: 0.7,
    embedding: [0, 0.1],
  }),
];

describe("consolidatedMemory", () => {
  it("keeps the most informative fact, the highest scores and the mean embedding", () => {
    expect(consolidatedMemory(group)).toEqual({
      scope: { user_id: "1" },
      fact: "The user prefers Python",
      topic: "preferences",
      confidence: 0.9,
      importance: 0.7,
      embedding: [0.5, Math.fround(0.3)],
      sourceType: "consolidated",
      sourceId: "00000000-0000-4000-8000-000000000001",
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it("is the same create whatever the order of the group", () => {
    expect(consolidatedMemory([...group].reverse())).toEqual(consolidatedMemory(group));
  });

  it("is another create when a member has changed", () => {
    const [first, second] = group;
    if (!first || !second) throw new Error("two members expected");
    const changed = [first, { ...second, importance: 0.8 }];
    expect(consolidatedMemory(changed).requestId).not.toBe(consolidatedMemory(group).requestId);
  });

  it("keeps one member's embedding when the members' dimensions differ, none when none has one", () => {
    const [first, second] = group;
    if (!first || !second) throw new Error("two members expected");
    const mixed = [first, { ...second, embedding: [1, 2, 3] }];
    expect(consolidatedMemory(mixed).embedding).toEqual([1, 2, 3]);
    const bare = group.map((m) => ({ ...m, embedding: [] }));
    expect(consolidatedMemory(bare)).not.toHaveProperty("embedding");
  });
});

describe("consolidatedMemory with the embedding of its fact", () => {
  it("takes that embedding rather than the mean, and is another create than with the mean", () => {
    const merged = consolidatedMemory(group, [0.25, -1]);
    expect(merged.embedding).toEqual([0.25, -1]);
    expect(merged.requestId).not.toBe(consolidatedMemory(group).requestId);
  });
});
