// How memories, search results and revisions read in a terminal (`--json` prints the messages).
import { type JsonValue, toJson } from "@bufbuild/protobuf";
import {
  type Memory,
  type MemoryRevision,
  MemoryRevisionSchema,
  MemorySchema,
  type ScoredMemory,
  ScoredMemorySchema,
  SourceType,
} from "../../gen/contextiq/memory/v1/memory_pb.js";
import { formatScope, formatScore, formatTime, orDash, truncate } from "./format.js";
import { type Column, renderDetails, renderTable } from "./table.js";

/** "extracted", "consolidated", "direct", as `--source` takes it. */
export function sourceName(source: SourceType): string {
  return (SourceType[source] ?? String(source)).toLowerCase();
}

const memoryColumns: readonly Column<Memory>[] = [
  { header: "ID", value: (m) => m.id },
  { header: "FACT", value: (m) => truncate(m.fact, 50) },
  { header: "TOPIC", value: (m) => orDash(m.topic) },
  { header: "SOURCE", value: (m) => sourceName(m.sourceType) },
  { header: "CONFIDENCE", value: (m) => formatScore(m.confidence), align: "right" },
  { header: "IMPORTANCE", value: (m) => formatScore(m.importance), align: "right" },
  { header: "CREATED", value: (m) => formatTime(m.createdAt) },
];

const deletedColumn: Column<Memory> = { header: "DELETED", value: (m) => formatTime(m.deletedAt) };

const scoredColumns: readonly Column<ScoredMemory>[] = [
  { header: "SCORE", value: (s) => formatScore(s.similarityScore, 3), align: "right" },
  ...memoryColumns.map(
    (column): Column<ScoredMemory> => ({
      ...column,
      value: (s) => (s.memory ? column.value(s.memory) : "-"),
    }),
  ),
];

const revisionColumns: readonly Column<MemoryRevision>[] = [
  { header: "REVISION", value: (r) => String(r.revisionNumber), align: "right" },
  { header: "PREVIOUS FACT", value: (r) => truncate(r.previousFact, 40) },
  { header: "NEW FACT", value: (r) => truncate(r.newFact, 40) },
  { header: "REASON", value: (r) => orDash(truncate(r.changeReason, 30)) },
  { header: "CREATED", value: (r) => formatTime(r.createdAt) },
];

/** A table of memories; with `deleted`, a column of when each was deleted. */
export function memoriesTable(
  memories: readonly Memory[],
  options: { deleted?: boolean } = {},
): string {
  return renderTable(options.deleted ? [...memoryColumns, deletedColumn] : memoryColumns, memories);
}

/** Every field of one memory. */
export function memoryDetails(memory: Memory): string {
  return renderDetails([
    ["id", memory.id],
    ["fact", memory.fact],
    ["topic", orDash(memory.topic)],
    ["scope", formatScope(memory.scope)],
    ["source", sourceName(memory.sourceType)],
    ["source id", orDash(memory.sourceId)],
    ["confidence", formatScore(memory.confidence)],
    ["importance", formatScore(memory.importance)],
    ["embedding", memory.embedding.length === 0 ? "-" : `${memory.embedding.length} dimensions`],
    ["accesses", String(memory.accessCount)],
    ["created", formatTime(memory.createdAt)],
    ["updated", formatTime(memory.updatedAt)],
    ["last accessed", formatTime(memory.lastAccessedAt)],
    ["expires", formatTime(memory.expiresAt)],
    ["deleted", formatTime(memory.deletedAt)],
  ]);
}

/** A table of search results, most similar first. */
export function searchTable(results: readonly ScoredMemory[]): string {
  return renderTable(scoredColumns, results);
}

/** A table of revisions. */
export function revisionsTable(revisions: readonly MemoryRevision[]): string {
  return renderTable(revisionColumns, revisions);
}

// Every field, defaults included: a script should not have to know that 0 means absent.
const jsonOptions = { alwaysEmitImplicit: true } as const;

/** A memory as proto3 JSON (`accessCount` as a string, `sourceType` as its enum name). */
export function memoryJson(memory: Memory): JsonValue {
  return toJson(MemorySchema, memory, jsonOptions);
}

/** A search result as proto3 JSON. */
export function scoredJson(result: ScoredMemory): JsonValue {
  return toJson(ScoredMemorySchema, result, jsonOptions);
}

/** A revision as proto3 JSON. */
export function revisionJson(revision: MemoryRevision): JsonValue {
  return toJson(MemoryRevisionSchema, revision, jsonOptions);
}
