import type { Memory, MemoryRevision } from "../../../../gen/contextiq/memory/v1/memory_pb.js";
import { notFound } from "../../errors.js";
import { AccessCounts } from "../access-counts.js";

import { assignmentsOf, insertOf } from "../columns.js";
import { float32Of, numbersOf } from "../float32.js";
import { listMemoriesQueries, listRevisionsQueries } from "../list-queries.js";
import { live, searchFilter } from "../memory-filter.js";
import {
  changesAnything,
  type MemoryColumns,
  memoryCodec,
  memoryColumns,
  memoryColumnsButEmbedding,
  memoryOf,
  memoryUpdate,
  newMemoryRow,
  pruneRevisions,
  type RevisionRow,
  revisionColumns,
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
  SearchQuery,
} from "../store.js";
import { writeAccessCounts } from "./access-counts.js";
import { type PostgresOptions, schemaOf } from "./connection.js";
import type { Sql } from "./database.js";
import { realArray } from "./float32.js";
import { type OpenedDatabase, openDatabase, PostgresStore } from "./postgres-store.js";
import {
  indexAnswers,
  type Ranked,
  rankHere,
  rankInDatabase,
  rankWithIndex,
  smallScope,
} from "./ranking.js";
import { oncePerRequestId, requestLogTable } from "./request-log.js";
import {
  ensureVectorIndex,
  type VectorIndexSettings,
  vectorIndexSettings,
} from "./vector-index.js";
import { pgvectorSchema } from "./vector-search.js";

// Column for column the SQLite schema. Embeddings are real[] (float32, the contract's precision),
// which pgvector casts to its vector type when it ranks, so the tables are the same with or
// without the extension and it can be installed later.
const migrations = [
  `
  CREATE TABLE memories (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               text NOT NULL UNIQUE,
    scope            json NOT NULL,
    fact             text NOT NULL,
    topic            text NOT NULL,
    embedding        real[],
    dimensions       integer NOT NULL,
    norm             double precision NOT NULL,
    confidence       double precision NOT NULL,
    importance       double precision NOT NULL,
    access_count     bigint NOT NULL DEFAULT 0,
    last_accessed_at bigint,
    source_type      integer NOT NULL,
    source_id        text NOT NULL,
    expires_at       bigint NOT NULL,
    deleted_at       bigint,
    deletion_reason  text NOT NULL DEFAULT '',
    created_at       bigint NOT NULL,
    updated_at       bigint NOT NULL,
    last_revision    integer NOT NULL DEFAULT 0
  );
  CREATE TABLE memories_scope (
    owner bigint NOT NULL REFERENCES memories (seq) ON DELETE CASCADE,
    key   text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (key, value, owner)
  );
  CREATE INDEX memories_scope_by_owner ON memories_scope (owner);
  CREATE TABLE revisions (
    id              text PRIMARY KEY,
    memory_id       text NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    revision_number integer NOT NULL,
    previous_fact   text NOT NULL,
    new_fact        text NOT NULL,
    change_reason   text NOT NULL,
    created_at      bigint NOT NULL,
    UNIQUE (memory_id, revision_number)
  );
  ${requestLogTable("memory_requests")}
  `,
];

type MemoryRow = MemoryColumns<number[]>;

const toMemory = (row: MemoryRow): Memory => memoryOf(row, row.embedding ?? []);

/**
 * The Memory store on PostgreSQL (pg), for several replicas on one database. A write locks the
 * rows it changes, in id order, so counters add up and concurrent writers cannot deadlock.
 * SearchMemories ranks with pgvector when it is there (see PostgresOptions.vectorSearch).
 */
export class PostgresMemoryStore extends PostgresStore implements MemoryStore {
  /** Where pgvector lives (quoted), or undefined when searches rank in this process. */
  readonly vectorSchema: string | undefined;
  /** Accesses counted after the reads answer, written in batches. */
  readonly accesses: AccessCounts;

  /** The HNSW index's settings when searches may ask it (see vector-index.ts). */
  readonly vectorIndex: VectorIndexSettings | undefined;

  /** Connects, creates or migrates the tables, finds pgvector and builds the index if missing. */
  static async open(options: PostgresOptions): Promise<PostgresMemoryStore> {
    const settings = vectorIndexSettings(options.vectorIndex);
    const schema = schemaOf(options);
    return new PostgresMemoryStore(
      await openDatabase(options, "memory", migrations, async (client) => {
        const vector = await pgvectorSchema(client, options.vectorSearch ?? "auto");
        const indexed =
          vector !== undefined &&
          settings !== undefined &&
          (await ensureVectorIndex(client, schema, vector, settings));
        return { vector, index: indexed ? settings : undefined };
      }),
    );
  }

  /** The request log, schema-qualified: its name also keys the advisory locks of request_ids. */
  private readonly requests: string;

  private constructor(
    opened: OpenedDatabase<{ vector: string | undefined; index: VectorIndexSettings | undefined }>,
  ) {
    super(opened);
    this.requests = `${opened.schema}.memory_requests`;
    this.vectorSchema = opened.extra.vector;
    this.vectorIndex = opened.extra.index;
    this.accesses = new AccessCounts({ write: writeAccessCounts(this.db) });
  }

  createMemory(memory: Memory, key: RequestKey | undefined, now: number) {
    return this.db.write((sql) =>
      oncePerRequestId(sql, this.requests, key, now, memoryCodec, async () => {
        // The memory and its scope entries in one statement: one round trip.
        // The embedding is not read back: it is `values`, and its text would be parsed again.
        const entries = Object.entries(memory.scope);
        const values = float32Of(memory.embedding);
        const insert = insertOf("memories", newMemoryRow(memory, values, realArray));
        const row = (await sql.one<MemoryRow>(
          `WITH m AS (${insert.text} RETURNING ${memoryColumnsButEmbedding}),
           s AS (
             INSERT INTO memories_scope (owner, key, value)
               SELECT m.seq, e.k, e.v FROM m, unnest(?::text[], ?::text[]) AS e (k, v))
           SELECT ${memoryColumnsButEmbedding} FROM m`,
          ...insert.values,
          entries.map(([k]) => k),
          entries.map(([, v]) => v),
        )) as MemoryRow;
        return memoryOf(row, numbersOf(values));
      }),
    );
  }

  async readMemories(ids: readonly string[], now: number) {
    // One statement sees one snapshot, so no transaction is needed; it takes no lock.
    const rows = await this.sql.read.all<MemoryRow>(
      `SELECT ${memoryColumns("m")} FROM memories m WHERE m.id = ANY(?::text[]) AND ${live}`,
      [...new Set(ids)],
      now,
    );
    const found = new Map(rows.map((row) => [row.id, row]));
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) throw notFound("memory", missing);
    this.accesses.record(ids, now);
    return ids.map((id) => toMemory(found.get(id) as MemoryRow));
  }

  listMemories(
    query: MemoryQuery & { includeDeleted: boolean },
    now: number,
    page: PageRequest,
  ): Promise<Listed<Memory>> {
    const queries = listMemoriesQueries(query, query.includeDeleted ? undefined : now, page);
    return this.db.read(async (sql) => {
      const { total, rows } = await this.page<MemoryRow>(sql, queries);
      const seqs = new Map(rows.map((r) => [r.id, r.seq]));
      return paged(rows.map(toMemory), page.limit, total, (m) => [seqs.get(m.id) ?? 0]);
    });
  }

  searchMemories(query: SearchQuery, now: number) {
    return this.db.read(async (sql) => {
      const ranked = await this.rank(sql, query, now);
      const rows = await sql.all<MemoryRow>(
        `SELECT ${memoryColumns("m")} FROM memories m WHERE m.id = ANY(?::text[])`,
        ranked.map((r) => r.id),
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      this.accesses.record(
        ranked.map((r) => r.id),
        now,
      );
      return ranked.map(({ id, similarityScore }) => ({
        memory: toMemory(byId.get(id) as MemoryRow),
        similarityScore,
      }));
    });
  }

  /**
   * The winners of a search: from the index when there is one and it can answer, unless the scope
   * is small or the index found fewer than `limit` (its scan gave up on a rare filter), then
   * exactly: so a page is full whenever enough memories match.
   */
  private async rank(sql: Sql, query: SearchQuery, now: number): Promise<Ranked[]> {
    const vector = this.vectorSchema;
    const { where, params } = searchFilter(query, now);
    if (vector === undefined) return rankHere(sql, where, params, query.embedding, query.limit);
    const index = this.vectorIndex;
    if (index !== undefined && indexAnswers(query) && !(await smallScope(sql, query.scope))) {
      const probed = searchFilter(query, now, true);
      const found = await rankWithIndex(sql, vector, probed.where, probed.params, query, index);
      if (found.length === query.limit) return found;
    }
    return rankInDatabase(sql, vector, where, params, query);
  }

  updateMemory(id: string, changes: MemoryChanges, changeReason: string, now: number) {
    return this.db.write(async (sql) => {
      const row = await sql.one<MemoryRow>(
        `SELECT ${memoryColumns("m")} FROM memories m WHERE m.id = ? AND ${live} FOR UPDATE`,
        id,
        now,
      );
      if (!row) throw notFound("memory", id);
      const current = toMemory(row);
      if (!changesAnything(current, changes)) return current;
      const { set, revision } = memoryUpdate(row, changes, changeReason, now, realArray);
      const assignments = assignmentsOf(set);
      const updated = (await sql.one<MemoryRow>(
        `UPDATE memories SET ${assignments.text} WHERE id = ? RETURNING ${memoryColumns()}`,
        ...assignments.values,
        id,
      )) as MemoryRow;
      if (revision) {
        const insert = insertOf("revisions", revision);
        await sql.run(insert.text, ...insert.values);
        await sql.run(pruneRevisions, id, revision.revision_number - revisionsKept);
      }
      return toMemory(updated);
    });
  }

  async deleteMemory(id: string, reason: string, now: number) {
    // One statement: a memory already deleted keeps its first deleted_at and reason.
    const row = await this.sql.write.one<MemoryRow>(
      `UPDATE memories SET
           deletion_reason = CASE WHEN deleted_at IS NULL THEN ? ELSE deletion_reason END,
           updated_at = CASE WHEN deleted_at IS NULL THEN ? ELSE updated_at END,
           deleted_at = COALESCE(deleted_at, ?)
         WHERE id = ? RETURNING ${memoryColumns()}`,
      reason,
      now,
      now,
      id,
    );
    if (!row) throw notFound("memory", id);
    return toMemory(row);
  }

  override async close(): Promise<void> {
    // The pending counts are written while the pool is still open.
    await this.accesses.close();
    await super.close();
  }

  listRevisions(memoryId: string, now: number, page: PageRequest): Promise<Listed<MemoryRevision>> {
    return this.db.read(async (sql) => {
      await liveOrNotFound(sql, memoryId, now);
      const { total, rows } = await this.page<RevisionRow>(
        sql,
        listRevisionsQueries(memoryId, page),
      );
      return paged(rows.map(toRevision), page.limit, total, (r) => [r.revisionNumber]);
    });
  }

  getRevision(memoryId: string, revisionNumber: number, now: number) {
    return this.db.read(async (sql) => {
      await liveOrNotFound(sql, memoryId, now);
      const row = await sql.one<RevisionRow>(
        `SELECT ${revisionColumns} FROM revisions WHERE memory_id = ? AND revision_number = ?`,
        memoryId,
        revisionNumber,
      );
      if (!row) throw revisionNotFound(memoryId, revisionNumber);
      return toRevision(row);
    });
  }
}

async function liveOrNotFound(sql: Sql, id: string, now: number): Promise<void> {
  if (!(await sql.one(`SELECT 1 FROM memories m WHERE m.id = ? AND ${live}`, id, now))) {
    throw notFound("memory", id);
  }
}
