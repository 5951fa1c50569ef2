import { Code, ConnectError } from "@connectrpc/connect";
import type { Statement } from "better-sqlite3";

/** How long the result of a create is kept for its request_id: the contract promises 24 hours. */
export const requestRetentionMs = 24 * 60 * 60 * 1000;

/**
 * A create's request_id and the fingerprint of its content (method and fields, request_id
 * excluded), from the service layer.
 */
export interface RequestKey {
  readonly requestId: string;
  readonly fingerprint: string;
}

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
  codec: { encode(value: T): Uint8Array; decode(bytes: Uint8Array): T },
  create: () => T,
): T {
  if (key === undefined) return create();
  const prior = sql(
    "SELECT fingerprint, response FROM requests WHERE request_id = ? AND created_at > ?",
  ).get(key.requestId, now - requestRetentionMs) as
    | { fingerprint: string; response: Buffer }
    | undefined;
  if (prior) {
    if (prior.fingerprint !== key.fingerprint) {
      throw new ConnectError(
        `request_id ${key.requestId} was already used for a request with different content: use a new request_id for a new request`,
        Code.AlreadyExists,
      );
    }
    return codec.decode(prior.response);
  }
  const value = create();
  sql("DELETE FROM requests WHERE created_at <= ?").run(now - requestRetentionMs);
  sql(
    "INSERT OR REPLACE INTO requests (request_id, fingerprint, response, created_at) VALUES (?, ?, ?, ?)",
  ).run(key.requestId, key.fingerprint, codec.encode(value), now);
  return value;
}
