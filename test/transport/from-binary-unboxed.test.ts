// fromBinaryUnboxed must decode exactly what fromBinary decodes, whatever the encoder chose:
// packed or unpacked numbers, fields in any order, a singular message sent twice, unknown fields,
// broken input. Random messages come from a printed seed (FROM_BINARY_SEED repeats them).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  BatchGetMemoriesResponseSchema,
  CreateMemoryRequestSchema,
  GetMemoryResponseSchema,
  ListMemoriesResponseSchema,
  type Memory,
  MemorySchema,
  ScoredMemorySchema,
  SearchMemoriesRequestSchema,
  SearchMemoriesResponseSchema,
  SourceType,
} from "../../gen/contextiq/memory/v1/memory_pb.js";
import { CreateEventRequestSchema } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { fromBinaryUnboxed } from "../../src/transport/from-binary-unboxed.js";
import { seededRandom } from "../support/seeded-random.js";

const random = seededRandom("FROM_BINARY_SEED", "fromBinaryUnboxed");

const specials = [
  0,
  -0,
  Number.NaN,
  Infinity,
  -Infinity,
  3.4028234663852886e38,
  1.401298464324817e-45,
];

function randomFloats(max: number): number[] {
  return Array.from({ length: Math.floor(random() * max) }, () =>
    random() < 0.1
      ? (specials[Math.floor(random() * specials.length)] as number)
      : Math.fround((random() - 0.5) * 10),
  );
}

function randomMemory(): Memory {
  return create(MemorySchema, {
    id: `id-${Math.floor(random() * 1e6)}`,
    scope: random() < 0.5 ? { user_id: "u", org: "o" } : {},
    fact: "f".repeat(Math.floor(random() * 40)),
    embedding: randomFloats(40),
    confidence: random(),
    accessCount: BigInt(Math.floor(random() * 2 ** 40)),
    sourceType: SourceType.EXTRACTED,
    createdAt: timestampFromMs(Math.floor(random() * 2e12)),
  });
}

function samples(): [DescMessage, unknown][] {
  const memories = Array.from({ length: Math.floor(random() * 5) }, randomMemory);
  return [
    [ListMemoriesResponseSchema, create(ListMemoriesResponseSchema, { memories, totalSize: 7 })],
    [BatchGetMemoriesResponseSchema, create(BatchGetMemoriesResponseSchema, { memories })],
    [GetMemoryResponseSchema, create(GetMemoryResponseSchema, { memory: randomMemory() })],
    [GetMemoryResponseSchema, create(GetMemoryResponseSchema, {})],
    [
      SearchMemoriesResponseSchema,
      create(SearchMemoriesResponseSchema, {
        results: memories.map((memory) =>
          create(ScoredMemorySchema, { memory, similarityScore: random() }),
        ),
      }),
    ],
    [
      CreateMemoryRequestSchema,
      create(CreateMemoryRequestSchema, { fact: "f", embedding: randomFloats(2000) }),
    ],
    [
      SearchMemoriesRequestSchema,
      create(SearchMemoriesRequestSchema, { queryEmbedding: randomFloats(20), limit: 3 }),
    ],
    [
      CreateEventRequestSchema,
      create(CreateEventRequestSchema, { sessionId: "s", data: { a: 1 } }),
    ],
  ];
}

function expectSameDecoding(schema: DescMessage, bytes: Uint8Array) {
  const expected = fromBinary(schema, bytes);
  const actual = fromBinaryUnboxed(schema, bytes);
  // toEqual tells NaN from a number and -0 from 0; unknown fields are compared re-encoded.
  expect(actual).toEqual(expected);
  expect(toBinary(schema, actual as MessageShape<DescMessage>)).toEqual(toBinary(schema, expected));
}

/** A Memory whose embedding is written number by number (unpacked), as an old encoder may. */
function unpackedMemory(embedding: number[], packedToo: boolean): Uint8Array {
  const writer = new BinaryWriter();
  writer.tag(3, WireType.LengthDelimited).string("fact");
  for (const value of embedding) writer.tag(5, WireType.Bit32).float(value);
  if (packedToo) writer.tag(5, WireType.LengthDelimited).fork().float(1.5).float(2.5).join();
  return writer.finish();
}

describe("fromBinaryUnboxed", () => {
  it("decodes random messages exactly as fromBinary", () => {
    for (let round = 0; round < 100; round++) {
      for (const [schema, message] of samples()) {
        expectSameDecoding(schema, toBinary(schema, message as MessageShape<DescMessage>));
      }
    }
  });

  it("decodes numbers written unpacked, or both ways in one message", () => {
    expectSameDecoding(MemorySchema, unpackedMemory([0.5, -1, 3], false));
    expectSameDecoding(MemorySchema, unpackedMemory([0.5, -1, 3], true));
    const page = new BinaryWriter();
    page.tag(1, WireType.LengthDelimited).bytes(unpackedMemory([0.25], true));
    expectSameDecoding(ListMemoriesResponseSchema, page.finish());
  });

  it("merges a singular message sent twice, and joins packed runs of one list", () => {
    const first = toBinary(MemorySchema, create(MemorySchema, { fact: "a", embedding: [1, 2] }));
    const second = toBinary(MemorySchema, create(MemorySchema, { topic: "t", embedding: [3] }));
    const twice = new BinaryWriter();
    twice.tag(1, WireType.LengthDelimited).bytes(first);
    twice.tag(1, WireType.LengthDelimited).bytes(second);
    expectSameDecoding(GetMemoryResponseSchema, twice.finish());
    expectSameDecoding(MemorySchema, new Uint8Array([...first, ...second]));
  });

  it("keeps unknown fields, wherever they come", () => {
    const memory = toBinary(MemorySchema, create(MemorySchema, { fact: "a", embedding: [1, 2] }));
    const writer = new BinaryWriter();
    writer.tag(99, WireType.Varint).uint32(7);
    writer.tag(1, WireType.LengthDelimited).bytes(memory);
    writer.tag(98, WireType.LengthDelimited).string("later");
    const bytes = writer.finish();
    const decoded = fromBinaryUnboxed(GetMemoryResponseSchema, bytes);
    expect(decoded.$unknown?.map((field) => field.no)).toEqual([99, 98]);
    expectSameDecoding(GetMemoryResponseSchema, bytes);
  });

  it("refuses broken input as fromBinary does", () => {
    const bytes = toBinary(
      GetMemoryResponseSchema,
      create(GetMemoryResponseSchema, { memory: create(MemorySchema, { embedding: [1, 2, 3] }) }),
    );
    for (let cut = 1; cut < bytes.length; cut++) {
      const truncated = bytes.subarray(0, cut);
      const expected = (() => {
        try {
          fromBinary(GetMemoryResponseSchema, truncated);
          return "decoded";
        } catch {
          return "refused";
        }
      })();
      if (expected === "refused") {
        expect(() => fromBinaryUnboxed(GetMemoryResponseSchema, truncated)).toThrow();
      } else {
        expectSameDecoding(GetMemoryResponseSchema, truncated);
      }
    }
    // A packed float list whose length is not a multiple of 4.
    const odd = new BinaryWriter();
    odd.tag(5, WireType.LengthDelimited).bytes(new Uint8Array([0, 0, 128]));
    const oddBytes = odd.finish();
    expect(() => fromBinary(MemorySchema, oddBytes)).toThrow();
    expect(() => fromBinaryUnboxed(MemorySchema, oddBytes)).toThrow();
  });

  it("gives V8 arrays of raw doubles, where protobuf-es's hold a heap object per number", async () => {
    const script = fileURLToPath(new URL("./fixtures/elements-kind.ts", import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--allow-natives-syntax", "--import", "tsx", script],
      { cwd: fileURLToPath(new URL("../../", import.meta.url)) },
    );
    // protobuf-es's figures are the reason for these decoders; if it stops boxing, they can go.
    expect(JSON.parse(stdout)).toEqual({
      fromBinary: false,
      fromBinaryUnboxed: true,
      fromJson: false,
      fromJsonUnboxed: true,
    });
  });
});
