import type { Memory, MemoryRevision } from "../../../../gen/contextiq/memory/v1/memory_pb.js";
import { notFound } from "../../errors.js";

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
} from "../store.js";
import type { PostgresOptions } from "./connection.js";
import type { Sql } from "./database.js";
import { realArray } from "./float32.js";
import { type OpenedDatabase, openDatabase, PostgresStore } from "./postgres-store.js";
import { rankHere, rankInDatabase } from "./ranking.js";
import { oncePerRequestId, requestLogTable } from "./request-log.js";
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

  /** Connects, creates or migrates the tables, and finds pgvector. */
  static async open(options: PostgresOptions): Promise<PostgresMemoryStore> {
    return new PostgresMemoryStore(
      await openDatabase(options, "memory", migrations, (client) =>
        pgvectorSchema(client, options.vectorSearch ?? "auto"),
      ),
    );
  }

  /** The request log, schema-qualified: its name also keys the advisory locks of request_ids. */
  private readonly requests: string;

  private constructor(opened: OpenedDatabase<string | undefined>) {
    super(opened);
    this.requests = `${opened.schema}.memory_requests`;
    this.vectorSchema = opened.extra;
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
    if (ids.length === 1) {
      // GetMemory: the check and the count in one statement, outside a transaction.
      const [id] = ids as [string];
      const row = await this.sql.write.one<MemoryRow>(
        `UPDATE memories m SET access_count = m.access_count + 1, last_accessed_at = ?
           WHERE m.id = ? AND ${live} RETURNING ${memoryColumns("m")}`,
        now,
        id,
        now,
      );
      if (!row) throw notFound("memory", id);
      return [toMemory(row)];
    }
    return this.db.write(async (sql) => {
      const found = await lockLive(sql, ids, now);
      const missing = ids.find((id) => !found.has(id));
      if (missing !== undefined) throw notFound("memory", missing);
      const touched = await touch(sql, ids, now);
      return ids.map((id) => toMemory(touched.get(id) as MemoryRow));
    });
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

  searchMemories(
    query: MemoryQuery & { embedding: readonly number[]; minConfidence: number; limit: number },
    now: number,
  ) {
    const { where, params } = searchFilter(query, now);
    return this.db.write(async (sql) => {
      const ranked =
        this.vectorSchema === undefined
          ? await rankHere(sql, where, params, query.embedding, query.limit)
          : await rankInDatabase(sql, this.vectorSchema, where, params, query);
      // A winner deleted by another replica since it was ranked is left out.
      const ids = ranked.map((r) => r.id);
      const stillLive = await lockLive(sql, ids, now);
      const touched = await touch(
        sql,
        ids.filter((id) => stillLive.has(id)),
        now,
      );
      return ranked.flatMap(({ id, similarityScore }) => {
        const row = touched.get(id);
        return row ? [{ memory: toMemory(row), similarityScore }] : [];
      });
    });
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

/**
 * The ids among `ids` of live memories, locked until the transaction ends. Locks are taken in id
 * order, so two writers of overlapping sets cannot deadlock.
 */
async function lockLive(sql: Sql, ids: readonly string[], now: number): Promise<Set<string>> {
  const rows = await sql.all<{ id: string }>(
    `SELECT m.id FROM memories m WHERE m.id = ANY(?::text[]) AND ${live} ORDER BY m.id FOR UPDATE`,
    [...new Set(ids)],
    now,
  );
  return new Set(rows.map((row) => row.id));
}

async function liveOrNotFound(sql: Sql, id: string, now: number): Promise<void> {
  if (!(await sql.one(`SELECT 1 FROM memories m WHERE m.id = ? AND ${live}`, id, now))) {
    throw notFound("memory", id);
  }
}

/**
 * Counts an access of each of `ids` (a repeated id counts each time) and returns the rows as they
 * are after. The caller holds their locks (lockLive), so this takes none out of order.
 */
async function touch(
  sql: Sql,
  ids: readonly string[],
  now: number,
): Promise<Map<string, MemoryRow>> {
  if (ids.length === 0) return new Map();
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const rows = await sql.all<MemoryRow>(
    `UPDATE memories m SET access_count = m.access_count + c.n, last_accessed_at = ?
       FROM unnest(?::text[], ?::int[]) AS c (id, n)
       WHERE m.id = c.id
       RETURNING ${memoryColumns("m")}`,
    now,
    [...counts.keys()],
    [...counts.values()],
  );
  return new Map(rows.map((row) => [row.id, row]));
}
