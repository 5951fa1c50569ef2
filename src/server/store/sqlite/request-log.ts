import type { Statement } from "better-sqlite3";
import {
  type RequestKey,
  type ResultCodec,
  repeatedResult,
  requestRetentionMs,
} from "../request-log.js";

/**
 * Runs `create` at most once per request_id (AIP-155). Must be called inside a write transaction,
 * so that concurrent repeats are serialized: the first stores its encoded result, later ones with
 * the same fingerprint get that result decoded again, and one with another fingerprint is
 * ALREADY_EXISTS. Without a key it just runs `create`.
 */
export function oncePerRequestId<T>(
  sql: (text: string) => Statement,
  key: RequestKey | undefined,
  now: number,
  codec: ResultCodec<T>,
  create: () => T,
): T {
  if (key === undefined) return create();
  const prior = sql(
    "SELECT fingerprint, response FROM requests WHERE request_id = ? AND created_at > ?",
  ).get(key.requestId, now - requestRetentionMs) as
    | { fingerprint: string; response: Buffer }
    | undefined;
  if (prior) return repeatedResult(key, prior, codec);
  const value = create();
  sql("DELETE FROM requests WHERE created_at <= ?").run(now - requestRetentionMs);
  sql(
    "INSERT OR REPLACE INTO requests (request_id, fingerprint, response, created_at) VALUES (?, ?, ?, ?)",
  ).run(key.requestId, key.fingerprint, codec.encode(value), now);
  return value;
}
