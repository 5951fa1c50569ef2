import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectError } from "@connectrpc/connect";
import {
  type Memory,
  type MemoryRevision,
  MemoryRevisionSchema,
  MemorySchema,
} from "../../../gen/contextiq/memory/v1/memory_pb.js";
import { notFound } from "../errors.js";
import { norm } from "../memory/similarity.js";
import { binaryCodec, msOf } from "./codec.js";
import { columnList } from "./columns.js";
import { float32Of } from "./float32.js";
import type { MemoryChanges } from "./store.js";

// The Memory store's rows, as every engine returns them: times and counters as numbers, scope as
// JSON text. Only the embedding's form depends on the engine.

/** Revisions kept per memory; older ones are pruned, their numbers never reused. */
export const revisionsKept = 50;

/** A row of `memories`, its embedding in the engine's own form (null when there is none). */
export interface MemoryColumns<Embedding> {
  seq: number;
  id: string;
  scope: string;
  fact: string;
  topic: string;
  embedding: Embedding | null;
  dimensions: number;
  norm: number;
  confidence: number;
  importance: number;
  access_count: number;
  last_accessed_at: number | null;
  source_type: number;
  source_id: string;
  expires_at: number;
  deleted_at: number | null;
  deletion_reason: string;
  created_at: number;
  updated_at: number;
  last_revision: number;
}

/** A row of `revisions`. */
export interface RevisionRow {
  id: string;
  memory_id: string;
  revision_number: number;
  previous_fact: string;
  new_fact: string;
  change_reason: string;
  created_at: number;
}

const memoryKeys: Record<keyof MemoryColumns<unknown>, true> = {
  seq: true,
  id: true,
  scope: true,
  fact: true,
  topic: true,
  embedding: true,
  dimensions: true,
  norm: true,
  confidence: true,
  importance: true,
  access_count: true,
  last_accessed_at: true,
  source_type: true,
  source_id: true,
  expires_at: true,
  deleted_at: true,
  deletion_reason: true,
  created_at: true,
  updated_at: true,
  last_revision: true,
};

/** The columns of `memories`, as a select list; qualified by `alias` when given. */
export const memoryColumns = (alias?: string) => columnList(memoryKeys, alias);

/** The columns of `memories` but the embedding: for a write that holds it already. */
export const memoryColumnsButEmbedding = memoryColumns()
  .split(", ")
  .filter((column) => column !== "embedding")
  .join(", ");

const revisionKeys: Record<keyof RevisionRow, true> = {
  id: true,
  memory_id: true,
  revision_number: true,
  previous_fact: true,
  new_fact: true,
  change_reason: true,
  created_at: true,
};

/** The columns of `revisions`, as a select list. */
export const revisionColumns = columnList(revisionKeys);

const optionalTime = (name: string, value: number | null) =>
  value === null ? {} : { [name]: timestampFromMs(value) };

/** The Memory a row holds, given its embedding decoded. */
export function memoryOf(row: MemoryColumns<unknown>, embedding: number[]): Memory {
  return create(MemorySchema, {
    id: row.id,
    scope: JSON.parse(row.scope) as Record<string, string>,
    fact: row.fact,
    topic: row.topic,
    embedding,
    confidence: row.confidence,
    importance: row.importance,
    accessCount: BigInt(row.access_count),
    ...optionalTime("lastAccessedAt", row.last_accessed_at),
    sourceType: row.source_type,
    sourceId: row.source_id,
    expiresAt: timestampFromMs(row.expires_at),
    ...optionalTime("deletedAt", row.deleted_at),
    deletionReason: row.deletion_reason,
    createdAt: timestampFromMs(row.created_at),
    updatedAt: timestampFromMs(row.updated_at),
  });
}

/** The MemoryRevision a row holds. */
export function toRevision(row: RevisionRow): MemoryRevision {
  return create(MemoryRevisionSchema, {
    id: row.id,
    memoryId: row.memory_id,
    revisionNumber: row.revision_number,
    previousFact: row.previous_fact,
    newFact: row.new_fact,
    changeReason: row.change_reason,
    createdAt: timestampFromMs(row.created_at),
  });
}

/**
 * The columns a new memory is inserted with: its embedding `values` (memory.embedding as float32,
 * rounded once by the caller) in the engine's form by `encode` (null when there are none), their
 * norm, and the memory's other fields; the other columns take their defaults.
 */
export function newMemoryRow<Embedding>(
  memory: Memory,
  values: Float32Array,
  encode: (values: Float32Array) => Embedding,
) {
  return {
    id: memory.id,
    scope: JSON.stringify(memory.scope),
    fact: memory.fact,
    topic: memory.topic,
    embedding: values.length === 0 ? null : encode(values),
    dimensions: values.length,
    norm: norm(values),
    confidence: memory.confidence,
    importance: memory.importance,
    source_type: memory.sourceType,
    source_id: memory.sourceId,
    expires_at: msOf(memory.expiresAt),
    created_at: msOf(memory.createdAt),
    updated_at: msOf(memory.updatedAt),
  } satisfies Partial<MemoryColumns<Embedding>>;
}

/**
 * What an UpdateMemory of `row` writes: the columns that change, with `updated_at` (the
 * embedding rounded to float32 and put in the engine's form by `encode`, null for none), and,
 * when the fact changes, the revision to insert. Both stores run it under the memory's write
 * lock, so revision numbers follow one another. The caller has checked that `changes` change
 * anything.
 */
export function memoryUpdate<Embedding>(
  row: MemoryColumns<unknown>,
  changes: MemoryChanges,
  changeReason: string,
  now: number,
  encode: (values: Float32Array) => Embedding,
): { set: Partial<MemoryColumns<Embedding>>; revision: RevisionRow | undefined } {
  const set: Partial<MemoryColumns<Embedding>> = {};
  if (changes.fact !== undefined) set.fact = changes.fact;
  if (changes.topic !== undefined) set.topic = changes.topic;
  if (changes.embedding !== undefined) {
    const values = float32Of(changes.embedding);
    set.embedding = values.length === 0 ? null : encode(values);
    set.dimensions = values.length;
    set.norm = norm(values);
  }
  if (changes.confidence !== undefined) set.confidence = changes.confidence;
  if (changes.importance !== undefined) set.importance = changes.importance;
  set.updated_at = now;
  if (changes.fact === undefined || changes.fact === row.fact) return { set, revision: undefined };
  set.last_revision = row.last_revision + 1;
  const revision: RevisionRow = {
    id: randomUUID(),
    memory_id: row.id,
    revision_number: set.last_revision,
    previous_fact: row.fact,
    new_fact: changes.fact,
    change_reason: changeReason,
    created_at: now,
  };
  return { set, revision };
}

/** Removes the revisions of memory ? older than the newest `revisionsKept` up to number ?. */
export const pruneRevisions = "DELETE FROM revisions WHERE memory_id = ? AND revision_number <= ?";

/** NOT_FOUND for a revision that never was, or was pruned. */
export function revisionNotFound(memoryId: string, revisionNumber: number): ConnectError {
  return notFound(
    "revision",
    String(revisionNumber),
    `of memory ${memoryId} not found (only the newest ${revisionsKept} are kept)`,
  );
}

/** Memory as stored in the request log. */
export const memoryCodec = binaryCodec(MemorySchema);

/**
 * Whether `changes` change anything in `current`. Embeddings compare at float32 precision, the
 * precision they are stored at, so re-sending a memory as read back changes nothing.
 */
export function changesAnything(current: Memory, changes: MemoryChanges): boolean {
  return (Object.keys(changes) as (keyof MemoryChanges)[]).some(
    (field) => !sameValue(current[field], changes[field]),
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => Math.fround(x) === Math.fround(b[i]));
  }
  return a === b;
}
