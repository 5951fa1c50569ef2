import type { Memory, MemoryRevision } from "../../../../gen/contextiq/memory/v1/memory_pb.js";
import { notFound } from "../../errors.js";
import { AccessCounts } from "../access-counts.js";
import { assignmentsOf, insertOf } from "../columns.js";
import { bytesOf, float32Of, floatsOf, numbersOf } from "../float32.js";
import { listMemoriesQueries, listRevisionsQueries } from "../list-queries.js";
import { live } from "../memory-filter.js";
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
import { signSketch } from "../sign-sketch.js";
import type {
  Listed,
  MemoryChanges,
  MemoryQuery,
  MemoryStore,
  PageRequest,
  RequestKey,
  SearchQuery,
} from "../store.js";
import { writeAccessCounts } from "./access-counts.js";
import { commonSchema } from "./database.js";
import { oncePerRequestId } from "./request-log.js";
import { SqliteStore } from "./sqlite-store.js";
import { addVectorFunctions } from "./vector-functions.js";
import { rankMemories, searchIndex } from "./vector-search.js";

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
  // Searches scan sign sketches in a covering index instead of the embeddings (vector-search.ts).
  `
  ALTER TABLE memories ADD COLUMN sketch BLOB;
  UPDATE memories SET sketch = contextiq_sign_sketch(embedding) WHERE embedding IS NOT NULL;
  ${searchIndex};
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

/** The sign sketch of an embedding in its stored form, or null for none. */
function sketchOf(embedding: Buffer | null | undefined): Buffer | null {
  return embedding ? signSketch(floatsOf(embedding)) : null;
}

/**
 * The Memory store on SQLite (better-sqlite3): a file, or ":memory:". Every method runs one
 * synchronous transaction; see SqliteSessionsStore.
 */
export class SqliteMemoryStore extends SqliteStore implements MemoryStore {
  /** Accesses counted after the reads answer, written in batches. */
  readonly accesses: AccessCounts;

  constructor(path: string) {
    super(path, migrations, addVectorFunctions);
    this.accesses = new AccessCounts({ write: writeAccessCounts(this.db, this.sql) });
    // An exact search reads every candidate's embedding: mapped, SQLite reads them in place
    // instead of copying each page into its cache (address space, not memory; see docs/search.md).
    this.db.pragma("mmap_size = 1073741824");
  }

  async createMemory(memory: Memory, key: RequestKey | undefined, now: number) {
    return this.write(() =>
      oncePerRequestId(this.sql, key, now, memoryCodec, () => {
        const values = float32Of(memory.embedding);
        const row = newMemoryRow(memory, values, bytesOf);
        const insert = insertOf("memories", { ...row, sketch: sketchOf(row.embedding) });
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
    const memories = this.read(() =>
      ids.map((id) => {
        const row = this.liveRow(id, now);
        if (!row) throw notFound("memory", id);
        return toMemory(row);
      }),
    );
    this.accesses.record(ids, now);
    return memories;
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

  async searchMemories(query: SearchQuery, now: number) {
    const found = this.read(() =>
      // Only seqs, ids and distances come back to rank; full messages are built for the winners.
      rankMemories(this.sql, query, now).map(({ id, similarityScore }) => ({
        memory: toMemory(this.row(id) as MemoryRow),
        similarityScore,
      })),
    );
    this.accesses.record(
      found.map((r) => r.memory.id),
      now,
    );
    return found;
  }

  async updateMemory(id: string, changes: MemoryChanges, changeReason: string, now: number) {
    return this.write(() => {
      const row = this.liveRow(id, now);
      if (!row) throw notFound("memory", id);
      const current = toMemory(row);
      if (!changesAnything(current, changes)) return current;
      const { set, revision } = memoryUpdate(row, changes, changeReason, now, bytesOf);
      const assignments = assignmentsOf(
        set.embedding === undefined ? set : { ...set, sketch: sketchOf(set.embedding) },
      );
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

  override async close(): Promise<void> {
    // The pending counts are written while the database is still open.
    if (this.db.open) await this.accesses.close();
    await super.close();
  }

  private row(id: string): MemoryRow | undefined {
    return this.sql("SELECT * FROM memories WHERE id = ?").get(id) as MemoryRow | undefined;
  }

  private liveRow(id: string, now: number): MemoryRow | undefined {
    return this.sql(`SELECT * FROM memories m WHERE m.id = ? AND ${live}`).get(id, now) as
      | MemoryRow
      | undefined;
  }
}
