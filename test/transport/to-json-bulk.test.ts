// toJsonBulk must write the JSON toJson writes (key order aside), for any message and options.
// Random messages come from a printed seed (TO_JSON_SEED repeats them).
import { create, type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
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
import { toJsonBulk } from "../../src/transport/to-json-bulk.js";
import { seededRandom } from "../support/seeded-random.js";

const random = seededRandom("TO_JSON_SEED", "toJsonBulk");

const specials = [0, -0, Number.NaN, Infinity, -Infinity, 1e-45, 0.1];

function randomNumbers(max: number): number[] {
  return Array.from({ length: Math.floor(random() * max) }, () =>
    random() < 0.05
      ? (specials[Math.floor(random() * specials.length)] as number)
      : (random() - 0.5) * 1e3,
  );
}

function writesAsToJson(schema: DescMessage, message: unknown) {
  const typed = message as MessageShape<DescMessage>;
  for (const options of [undefined, { useProtoFieldName: true }, { alwaysEmitImplicit: true }]) {
    // Compared as JSON text: what goes on the wire.
    const expected = JSON.parse(JSON.stringify(toJson(schema, typed, options)));
    expect(JSON.parse(JSON.stringify(toJsonBulk(schema, typed, options)))).toEqual(expected);
  }
}

describe("toJsonBulk", () => {
  it("writes random messages as toJson does", () => {
    for (let round = 0; round < 100; round++) {
      const memories = Array.from({ length: Math.floor(random() * 4) }, () =>
        create(MemorySchema, { fact: "f", embedding: randomNumbers(40), scope: { u: "1" } }),
      );
      writesAsToJson(
        CreateMemoryRequestSchema,
        create(CreateMemoryRequestSchema, {
          scope: { user_id: "u" },
          fact: "x",
          embedding: randomNumbers(2000),
          requestId: "r",
        }),
      );
      writesAsToJson(
        SearchMemoriesRequestSchema,
        create(SearchMemoriesRequestSchema, { queryEmbedding: randomNumbers(20), limit: 3 }),
      );
      writesAsToJson(
        UpdateMemoryRequestSchema,
        create(UpdateMemoryRequestSchema, { memory: { id: "m", embedding: randomNumbers(10) } }),
      );
      writesAsToJson(ListMemoriesResponseSchema, create(ListMemoriesResponseSchema, { memories }));
      writesAsToJson(
        SearchMemoriesResponseSchema,
        create(SearchMemoriesResponseSchema, {
          results: memories.map((memory) => ({ memory, similarityScore: random() })),
        }),
      );
      writesAsToJson(
        CreateEventRequestSchema,
        create(CreateEventRequestSchema, { sessionId: "s" }),
      );
    }
  });

  it("leaves the message as it was", () => {
    const message = create(ListMemoriesResponseSchema, {
      memories: [create(MemorySchema, { embedding: [1, 2], fact: "f" })],
    });
    const before = structuredClone(message);
    JSON.stringify(toJsonBulk(ListMemoriesResponseSchema, message));
    expect(message).toEqual(before);
  });
});
