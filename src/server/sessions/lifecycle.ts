import { timestampDate, timestampMs } from "@bufbuild/protobuf/wkt";
import type { ConnectError } from "@connectrpc/connect";
import type { Session } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { failedPrecondition } from "../errors.js";

/** The error domain of the Sessions service, in google.rpc.ErrorInfo. */
export const sessionsDomain = "sessions.contextiq";

/** The TTL of a session created with `ttl_seconds` 0. */
export const defaultTtlSeconds = 3600;

/** When a session expires unless there is more activity: last activity + TTL, in ms. */
export function expiresAtMs(lastActivityMs: number, ttlSeconds: number): number {
  return lastActivityMs + ttlSeconds * 1000;
}

/**
 * Why `session` takes no more writes at `now` (FAILED_PRECONDITION, reason SESSION_ENDED or
 * SESSION_EXPIRED), or undefined while it is active.
 */
export function inactiveError(session: Session, now: number): ConnectError | undefined {
  const { id } = session;
  if (session.endedAt) {
    const at = timestampDate(session.endedAt).toISOString();
    return failedPrecondition(`session ${id} ended at ${at}`, "SESSION_ENDED", sessionsDomain, {
      session_id: id,
      ended_at: at,
    });
  }
  const lastActivity = session.lastActivityAt ? timestampMs(session.lastActivityAt) : 0;
  const expiresAt = expiresAtMs(lastActivity, session.ttlSeconds);
  if (now >= expiresAt) {
    const at = new Date(expiresAt).toISOString();
    return failedPrecondition(
      `session ${id} expired at ${at}, ${session.ttlSeconds} s after its last activity`,
      "SESSION_EXPIRED",
      sessionsDomain,
      { session_id: id, expired_at: at },
    );
  }
  return undefined;
}
