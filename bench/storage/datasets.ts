/**
 * The data searched: memories in one scope or spread over many, each with a topic and a
 * confidence, and an embedding from vectors.ts. A memory is a function of its dataset and index,
 * so every engine holds the same data and a dataset can grow (0 → 10,000 → 100,000).
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Memory, MemorySchema, SourceType } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { mulberry32 } from "../../test/support/mulberry32.js";
import { embedding, streams, topicCount } from "./vectors.js";

/** Where a dataset's memories are: all in one scope, or spread evenly over `scopes` of them. */
export interface Dataset {
  /** "one-scope" or "scopes": also the schema and folder names' purpose. */
  readonly kind: "one-scope" | "scopes";
  readonly scopes: number;
}

export const oneScope: Dataset = { kind: "one-scope", scopes: 1 };

export function spreadOver(scopes: number): Dataset {
  return { kind: "scopes", scopes };
}

/** The topics' names, `topic` of the memories drawn from them: topicCount of them. */
export const topicNames = [
  "travel",
  "food",
  "work",
  "family",
  "health",
  "music",
  "sport",
  "finance",
  "housing",
  "reading",
  "films",
  "languages",
  "pets",
  "gardening",
  "cars",
  "education",
  "shopping",
  "technology",
  "events",
  "hobbies",
] as const;
if (topicNames.length !== topicCount) throw new Error("a name per topic of vectors.ts");

/** The scope of the memory of `index`; scopes take memories in turn, so all fill alike. */
export function scopeOf(dataset: Dataset, index: number): Record<string, string> {
  return dataset.scopes === 1
    ? { user_id: "bench-search" }
    : { user_id: `bench-user-${index % dataset.scopes}` };
}

/** A seeded generator of its own for `index`, beside the vectors' streams (see vectors.ts). */
function generator(stream: number, index: number): () => number {
  return mulberry32(Math.imul(index + 1, 0x9e3779b9) ^ Math.imul(stream, 0x85ebca6b));
}

/** A seeded confidence in [0, 1), uniform: a filter `minConfidence: c` keeps 1 - c of them. */
export function confidenceOf(index: number): number {
  return generator(4, index)();
}

/**
 * The id of the memory of `index`: a version-4 UUID, seeded rather than random, so that the reads
 * can pick loaded memories by index without the load handing 100,000 ids around.
 */
export function idOf(dataset: Dataset, index: number): string {
  const next = generator(dataset.kind === "one-scope" ? 5 : 6, index);
  const hex = Array.from({ length: 4 }, () =>
    Math.floor(next() * 2 ** 32)
      .toString(16)
      .padStart(8, "0"),
  ).join("");
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
}

const dayMs = 86_400_000;

/** The memory of `index`, as CreateMemory would store it at `now` (a year to live). */
export function memoryAt(dataset: Dataset, index: number, now: number): Memory {
  const drawn = embedding(streams.memories, index);
  return create(MemorySchema, {
    id: idOf(dataset, index),
    scope: scopeOf(dataset, index),
    fact: `Benchmark fact number ${index}.`,
    topic: topicNames[drawn.topic] as string,
    embedding: drawn.values,
    confidence: confidenceOf(index),
    importance: 0.5,
    sourceType: SourceType.DIRECT,
    expiresAt: timestampFromMs(now + 365 * dayMs),
    createdAt: timestampFromMs(now),
    updatedAt: timestampFromMs(now),
  });
}
