import type { Memory, MemoryRevision } from "../../../../gen/contextiq/memory/v1/memory_pb.js";
import { notFound } from "../../errors.js";
import { rankBySimilarity } from "../../memory/similarity.js";
import { assignmentsOf, insertOf } from "../columns.js";
import { bytesOf, float32Of, floatsOf, numbersOf } from "../float32.js";
import { listMemoriesQueries, listRevisionsQueries } from "../list-queries.js";
import { live, searchFilter } from "../memory-filter.js";
import {
  changesAnything,
  type MemoryColumns,
  memoryCodec,
  memoryOf,
  memoryUpdate,
  newMemoryRow,
  pruneRevisions,
  type RevisionRow,
  revisionNotFound,
  revisionsKept,
  toRevision,
} from "../memory-rows.js";
import { paged } from "../paging.js";
import type {
  Listed,
  MemoryChanges,
  MemoryQuery,
  MemoryStore,
  PageRequest,
  RequestKey,
} from "../store.js";
import { commonSchema } from "./database.js";
import { oncePerRequestId } from "./request-log.js";
import { SqliteStore } from "./sqlite-store.js";

const migrations = [
  `${commonSchema}
  CREATE TABLE memories (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    scope            TEXT NOT NULL,
    fact             TEXT NOT NULL,
    topic            TEXT NOT NULL,
    embedding        BLOB,
    dimensions       INTEGER NOT NULL,
    norm             REAL NOT NULL,
    confidence       REAL NOT NULL,
    importance       REAL NOT NULL,
    access_count     INTEGER NOT NULL DEFAULT 0,
    last_accessed_at INTEGER,
    source_type      INTEGER NOT NULL,
    source_id        TEXT NOT NULL,
    expires_at       INTEGER NOT NULL,
    deleted_at       INTEGER,
    deletion_reason  TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    last_revision    INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE memories_scope (
    owner INTEGER NOT NULL REFERENCES memories (seq) ON DELETE CASCADE,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (key, value, owner)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX memories_scope_by_owner ON memories_scope (owner);
  CREATE TABLE revisions (
    id              TEXT PRIMARY KEY,
    memory_id       TEXT NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    revision_number INTEGER NOT NULL,
    previous_fact   TEXT NOT NULL,
    new_fact        TEXT NOT NULL,
    change_reason   TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (memory_id, revision_number)
  ) STRICT;
  `,
];

type MemoryRow = MemoryColumns<Buffer>;

function toMemory(row: MemoryRow): Memory {
  return memoryOf(row, row.embedding ? decodeEmbedding(row.embedding) : []);
}

// Embeddings are stored as their float32 bytes (see float32.ts).

function decodeEmbedding(blob: Buffer): number[] {
  return numbersOf(floatsOf(blob));
}

/** Rows of id, stored embedding and norm, as search candidates, one at a time. */
function* asCandidates(rows: Iterable<{ id: string; embedding: Buffer; norm: number }>) {
  for (const row of rows) yield { ...row, embedding: floatsOf(row.embedding) };
}

/**
 * The Memory store on SQLite (better-sqlite3): a file, or ":memory:". Every method runs one
 * synchronous transaction; see SqliteSessionsStore.
 */
export class SqliteMemoryStore extends SqliteStore implements MemoryStore {
  constructor(path: string) {
    super(path, migrations);
  }

  async createMemory(memory: Memory, key: RequestKey | undefined, now: number) {
    return this.write(() =>
      oncePerRequestId(this.sql, key, now, memoryCodec, () => {
        const values = float32Of(memory.embedding);
        const insert = insertOf("memories", newMemoryRow(memory, values, bytesOf));
        const { lastInsertRowid } = this.sql(insert.text).run(...insert.values);
        const insertScope = this.sql(
          "INSERT INTO memories_scope (owner, key, value) VALUES (?, ?, ?)",
        );
        for (const [k, v] of Object.entries(memory.scope)) insertScope.run(lastInsertRowid, k, v);
        return toMemory(this.row(memory.id) as MemoryRow);
      }),
    );
  }

  async readMemories(ids: readonly string[], now: number) {
    return this.write(() => {
      const rows = ids.map((id) => {
        const row = this.liveRow(id, now);
        if (!row) throw notFound("memory", id);
        return row;
      });
      this.touch(
        rows.map((r) => r.id),
        now,
      );
      return ids.map((id) => toMemory(this.row(id) as MemoryRow));
    });
  }

  async listMemories(
    query: MemoryQuery & { includeDeleted: boolean },
    now: number,
    page: PageRequest,
  ): Promise<Listed<Memory>> {
    return this.read(() => {
      const liveAt = query.includeDeleted ? undefined : now;
      const { total, rows } = this.page<MemoryRow>(listMemoriesQueries(query, liveAt, page));
      const seqs = new Map(rows.map((r) => [r.id, r.seq]));
      return paged(rows.map(toMemory), page.limit, total, (m) => [seqs.get(m.id) ?? 0]);
    });
  }

  async searchMemories(
    query: MemoryQuery & { embedding: readonly number[]; minConfidence: number; limit: number },
    now: number,
  ) {
    return this.write(() => {
      const { where, params } = searchFilter(query, now);
      // Only ids, vectors and their norms are read to rank, one row at a time, each vector viewed
      // in place; full messages are built for the winners alone. Oldest first, so that a tie goes
      // to the older memory (the sort is stable), as on PostgreSQL.
      const rows = this.sql(
        `SELECT m.id, m.embedding, m.norm FROM memories m
           WHERE ${where.join(" AND ")} ORDER BY m.seq`,
      ).iterate(...params) as IterableIterator<{
        id: string;
        embedding: Buffer;
        norm: number;
      }>;
      const ranked = rankBySimilarity(query.embedding, asCandidates(rows), query.limit);
      this.touch(
        ranked.map((r) => r.id),
        now,
      );
      return ranked.map(({ id, similarityScore }) => ({
        memory: toMemory(this.row(id) as MemoryRow),
        similarityScore,
      }));
    });
  }

  async updateMemory(id: string, changes: MemoryChanges, changeReason: string, now: number) {
    return this.write(() => {
      const row = this.liveRow(id, now);
      if (!row) throw notFound("memory", id);
      const current = toMemory(row);
      if (!changesAnything(current, changes)) return current;
      const { set, revision } = memoryUpdate(row, changes, changeReason, now, bytesOf);
      const assignments = assignmentsOf(set);
      this.sql(`UPDATE memories SET ${assignments.text} WHERE id = ?`).run(
        ...assignments.values,
        id,
      );
      if (revision) {
        const insert = insertOf("revisions", revision);
        this.sql(insert.text).run(...insert.values);
        this.sql(pruneRevisions).run(id, revision.revision_number - revisionsKept);
      }
      return toMemory(this.row(id) as MemoryRow);
    });
  }

  async deleteMemory(id: string, reason: string, now: number) {
    return this.write(() => {
      if (!this.row(id)) throw notFound("memory", id);
      this.sql(
        `UPDATE memories SET deleted_at = ?, deletion_reason = ?, updated_at = ?
         WHERE id = ? AND deleted_at IS NULL`,
      ).run(now, reason, now, id);
      return toMemory(this.row(id) as MemoryRow);
    });
  }

  async listRevisions(
    memoryId: string,
    now: number,
    page: PageRequest,
  ): Promise<Listed<MemoryRevision>> {
    return this.read(() => {
      if (!this.liveRow(memoryId, now)) throw notFound("memory", memoryId);
      const { total, rows } = this.page<RevisionRow>(listRevisionsQueries(memoryId, page));
      return paged(rows.map(toRevision), page.limit, total, (r) => [r.revisionNumber]);
    });
  }

  async getRevision(memoryId: string, revisionNumber: number, now: number) {
    return this.read(() => {
      if (!this.liveRow(memoryId, now)) throw notFound("memory", memoryId);
      const row = this.sql(
        "SELECT * FROM revisions WHERE memory_id = ? AND revision_number = ?",
      ).get(memoryId, revisionNumber) as RevisionRow | undefined;
      if (!row) throw revisionNotFound(memoryId, revisionNumber);
      return toRevision(row);
    });
  }

  private row(id: string): MemoryRow | undefined {
    return this.sql("SELECT * FROM memories WHERE id = ?").get(id) as MemoryRow | undefined;
  }

  private liveRow(id: string, now: number): MemoryRow | undefined {
    return this.sql(`SELECT * FROM memories m WHERE m.id = ? AND ${live}`).get(id, now) as
      | MemoryRow
      | undefined;
  }

  private touch(ids: readonly string[], now: number) {
    const update = this.sql(
      "UPDATE memories SET access_count = access_count + 1, last_accessed_at = ? WHERE id = ?",
    );
    for (const id of ids) update.run(now, id);
  }
}
