// toBinaryBulk must write what fromBinary reads back as the message, and refuse what toBinary
// refuses. Random messages come from a printed seed (TO_BINARY_SEED repeats them).
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CreateMemoryRequestSchema,
  ListMemoriesResponseSchema,
  MemorySchema,
  SearchMemoriesRequestSchema,
  SearchMemoriesResponseSchema,
  UpdateMemoryRequestSchema,
} from "../../gen/contextiq/memory/v1/memory_pb.js";
import { CreateEventRequestSchema } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { toBinaryBulk } from "../../src/transport/to-binary-bulk.js";
import { seededRandom } from "../support/seeded-random.js";

const random = seededRandom("TO_BINARY_SEED", "toBinaryBulk");

const specials = [0, -0, Number.NaN, Infinity, -Infinity, 3.4028234663852886e38, 1e-45, 0.1];

function randomNumbers(max: number): number[] {
  return Array.from({ length: Math.floor(random() * max) }, () =>
    random() < 0.1
      ? (specials[Math.floor(random() * specials.length)] as number)
      : (random() - 0.5) * 1e3,
  );
}

function roundTrips(schema: DescMessage, message: unknown) {
  const typed = message as MessageShape<DescMessage>;
  expect(fromBinary(schema, toBinaryBulk(schema, typed))).toEqual(
    fromBinary(schema, toBinary(schema, typed)),
  );
}

describe("toBinaryBulk", () => {
  it("writes random messages that decode as toBinary's do", () => {
    for (let round = 0; round < 100; round++) {
      const memories = Array.from({ length: Math.floor(random() * 4) }, () =>
        create(MemorySchema, {
          fact: "f",
          embedding: randomNumbers(50),
          scope: { u: "1" },
        }),
      );
      roundTrips(
        CreateMemoryRequestSchema,
        create(CreateMemoryRequestSchema, {
          scope: { user_id: "u" },
          fact: "x".repeat(Math.floor(random() * 300)),
          embedding: randomNumbers(3000),
          requestId: "r",
        }),
      );
      roundTrips(
        SearchMemoriesRequestSchema,
        create(SearchMemoriesRequestSchema, { queryEmbedding: randomNumbers(20), limit: 3 }),
      );
      roundTrips(
        UpdateMemoryRequestSchema,
        create(UpdateMemoryRequestSchema, {
          memory: { id: "m", embedding: randomNumbers(10) },
          changeReason: "r",
        }),
      );
      roundTrips(ListMemoriesResponseSchema, create(ListMemoriesResponseSchema, { memories }));
      roundTrips(
        SearchMemoriesResponseSchema,
        create(SearchMemoriesResponseSchema, {
          results: memories.map((memory) => ({ memory, similarityScore: random() })),
        }),
      );
      roundTrips(CreateEventRequestSchema, create(CreateEventRequestSchema, { sessionId: "s" }));
    }
  });

  it("refuses a float out of float32's range as toBinary does, and takes what it takes", () => {
    const tooLarge = create(CreateMemoryRequestSchema, { embedding: [1, 3.5e38] });
    expect(() => toBinary(CreateMemoryRequestSchema, tooLarge)).toThrow(/invalid float32/);
    expect(() => toBinaryBulk(CreateMemoryRequestSchema, tooLarge)).toThrow(/invalid float32/);
    const nested = create(ListMemoriesResponseSchema, {
      memories: [create(MemorySchema, { embedding: [-3.5e38] })],
    });
    expect(() => toBinaryBulk(ListMemoriesResponseSchema, nested)).toThrow(/invalid float32/);
    // protobuf-es also takes numbers as strings; so does this, by handing the list to it.
    const strings = create(CreateMemoryRequestSchema, {
      embedding: ["1.5", 2] as unknown as number[],
    });
    roundTrips(CreateMemoryRequestSchema, strings);
  });

  it("leaves the message as it was", () => {
    const message = create(ListMemoriesResponseSchema, {
      memories: [create(MemorySchema, { embedding: [1, 2], fact: "f" })],
    });
    const before = structuredClone(message);
    toBinaryBulk(ListMemoriesResponseSchema, message);
    expect(message).toEqual(before);
  });
});
