// fromJsonUnboxed must decode exactly what fromJson decodes, and refuse what it refuses: numbers
// as strings, "NaN" and "Infinity", proto names, nulls, out-of-range floats, unknown fields.
// Random messages come from a printed seed (FROM_JSON_SEED repeats them).
import {
  create,
  type DescMessage,
  fromJson,
  type JsonReadOptions,
  type JsonValue,
  type MessageShape,
  toJson,
} from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  GetMemoryResponseSchema,
  ListMemoriesResponseSchema,
  type Memory,
  MemorySchema,
  ScoredMemorySchema,
  SearchMemoriesRequestSchema,
  SearchMemoriesResponseSchema,
  SourceType,
} from "../../gen/contextiq/memory/v1/memory_pb.js";
import { fromJsonUnboxed } from "../../src/transport/from-json-unboxed.js";
import { seededRandom } from "../support/seeded-random.js";

const random = seededRandom("FROM_JSON_SEED", "fromJsonUnboxed");

function randomMemory(): Memory {
  return create(MemorySchema, {
    id: `id-${Math.floor(random() * 1e6)}`,
    scope: random() < 0.5 ? { user_id: "u" } : {},
    fact: "f".repeat(Math.floor(random() * 20)),
    embedding: Array.from({ length: Math.floor(random() * 30) }, () =>
      random() < 0.1
        ? ([Number.NaN, Infinity, 0, -0][Math.floor(random() * 4)] as number)
        : Math.fround(random() - 0.5),
    ),
    accessCount: BigInt(Math.floor(random() * 2 ** 40)),
    sourceType: SourceType.CONSOLIDATED,
    createdAt: timestampFromMs(Math.floor(random() * 2e12)),
  });
}

type Outcome = { decoded: unknown } | { refused: true };

function outcome(decode: () => unknown): Outcome {
  try {
    return { decoded: decode() };
  } catch {
    return { refused: true };
  }
}

function expectSameDecoding(
  schema: DescMessage,
  json: JsonValue,
  options?: Partial<JsonReadOptions>,
) {
  const before = JSON.stringify(json);
  expect(outcome(() => fromJsonUnboxed(schema, json, options))).toEqual(
    outcome(() => fromJson(schema, json, options)),
  );
  expect(JSON.stringify(json), "the input is left as it was").toBe(before);
}

describe("fromJsonUnboxed", () => {
  it("decodes random messages exactly as fromJson", () => {
    for (let round = 0; round < 100; round++) {
      const memories = Array.from({ length: Math.floor(random() * 4) }, randomMemory);
      const samples: [DescMessage, unknown][] = [
        [
          ListMemoriesResponseSchema,
          create(ListMemoriesResponseSchema, { memories, totalSize: 3 }),
        ],
        [GetMemoryResponseSchema, create(GetMemoryResponseSchema, { memory: randomMemory() })],
        [
          SearchMemoriesResponseSchema,
          create(SearchMemoriesResponseSchema, {
            results: memories.map((memory) =>
              create(ScoredMemorySchema, { memory, similarityScore: 0.5 }),
            ),
          }),
        ],
      ];
      for (const [schema, message] of samples) {
        expectSameDecoding(schema, toJson(schema, message as MessageShape<DescMessage>));
      }
    }
  });

  it("takes numbers as strings, the special values, proto names and nulls as fromJson does", () => {
    const cases: JsonValue[] = [
      { embedding: ["1.5", 2, "NaN", "Infinity", "-Infinity"] },
      { embedding: [1, 2], fact: "f" },
      { embedding: null },
      { embedding: [] },
      { embedding: [1, null] },
      { embedding: [1, "x"] },
      { embedding: [1e39] },
      { embedding: [-1e39] },
      { embedding: 5 },
      { embedding: [3.4028234663852886e38, -3.4028234663852886e38, 1e-50] },
    ];
    for (const json of cases) expectSameDecoding(MemorySchema, json);
    expectSameDecoding(SearchMemoriesRequestSchema, { query_embedding: [1, 2], limit: 3 });
    expectSameDecoding(SearchMemoriesRequestSchema, { queryEmbedding: [1], query_embedding: [2] });
    expectSameDecoding(GetMemoryResponseSchema, { memory: null });
    expectSameDecoding(GetMemoryResponseSchema, { memory: [] });
    expectSameDecoding(ListMemoriesResponseSchema, { memories: [{ embedding: [1] }, null] });
    expectSameDecoding(ListMemoriesResponseSchema, { memories: "x" });
    expectSameDecoding(ListMemoriesResponseSchema, [1, 2]);
  });

  it("refuses or skips unknown fields as fromJson does", () => {
    const json = { memories: [{ embedding: [1], surprise: 1 }], other: true };
    expectSameDecoding(ListMemoriesResponseSchema, json);
    expectSameDecoding(ListMemoriesResponseSchema, json, { ignoreUnknownFields: true });
  });
});
