import {
  type RequestKey,
  type ResultCodec,
  repeatedResult,
  requestRetentionMs,
} from "../request-log.js";
import type { Sql } from "./database.js";

/**
 * Runs `create` at most once per request_id (AIP-155), across every replica. Must be called inside
 * a write transaction: an advisory lock on the request_id, held until the transaction ends, makes
 * a repeat wait for the first request and then find its stored result (the same content gets it
 * again, other content is ALREADY_EXISTS). `table` is the store's request log, schema-qualified,
 * so that stores in other schemas of the database take other locks. Without a key it just runs
 * `create`.
 */
export async function oncePerRequestId<T>(
  sql: Sql,
  table: string,
  key: RequestKey | undefined,
  now: number,
  codec: ResultCodec<T>,
  create: () => Promise<T>,
): Promise<T> {
  if (key === undefined) return create();
  await sql.one(
    "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
    `${table}/${key.requestId}`,
  );
  const prior = await sql.one<{ fingerprint: string; response: Buffer }>(
    `SELECT fingerprint, response FROM ${table} WHERE request_id = ? AND created_at > ?`,
    key.requestId,
    now - requestRetentionMs,
  );
  if (prior) return repeatedResult(key, prior, codec);
  const value = await create();
  // Expired results go a few at a time, in the same statement; SKIP LOCKED keeps replicas out of
  // each other's way, and this request's own row (an id reused after it expired) is left to the
  // INSERT, which replaces it.
  await sql.run(
    `WITH expired AS (
       DELETE FROM ${table} WHERE request_id IN (
         SELECT request_id FROM ${table} WHERE created_at <= ? AND request_id <> ?
           LIMIT 100 FOR UPDATE SKIP LOCKED))
     INSERT INTO ${table} (request_id, fingerprint, response, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (request_id) DO UPDATE
       SET fingerprint = excluded.fingerprint, response = excluded.response, created_at = excluded.created_at`,
    now - requestRetentionMs,
    key.requestId,
    key.requestId,
    key.fingerprint,
    codec.encode(value),
    now,
  );
  return value;
}

/** The request log table of a store, as its migration creates it. */
export function requestLogTable(name: string): string {
  return `
  CREATE TABLE ${name} (
    request_id  text PRIMARY KEY,
    fingerprint text NOT NULL,
    response    bytea NOT NULL,
    created_at  bigint NOT NULL
  );
  CREATE INDEX ${name}_by_age ON ${name} (created_at);
  `;
}
