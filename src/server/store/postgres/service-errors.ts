import { Code, ConnectError } from "@connectrpc/connect";

// How PostgreSQL's and pg's errors reach the services' callers.

/** SQLSTATEs after which the whole transaction can run again: nothing of it was kept. */
export const conflicts = new Set(["40001", "40P01"]); // serialization_failure, deadlock_detected

/** The SQLSTATE of a database error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Node's codes for a connection that could not be made or was lost. */
const connectionErrors = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);

/**
 * A short name of why the database cannot be reached, or undefined when `error` means something
 * else: Node's connection errors, SQLSTATE class 08, shutdowns, too many connections, and pg's
 * own messages for a lost connection or a pool wait that ran out.
 */
export function unreachableReason(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && connectionErrors.has(code)) return code;
  const state = sqlState(error);
  if (
    state !== undefined &&
    (state.startsWith("08") || ["57P01", "57P02", "57P03", "53300"].includes(state))
  ) {
    return `SQLSTATE ${state}`; // connection exception, shutdown, cannot connect now, too many
  }
  const message = error instanceof Error ? error.message : "";
  if (/Connection terminated|Client has encountered a connection error/.test(message)) {
    return "connection lost";
  }
  if (/timeout exceeded when trying to connect/.test(message)) return "no connection free in time";
  return undefined;
}

/**
 * The error a caller sees for `error`, when the database may have done nothing of the call:
 * ConnectErrors as they are; a database that cannot be reached as UNAVAILABLE (the clients
 * retry it), naming the kind of failure but not the database's address; a conflict still
 * unresolved after several attempts as ABORTED; anything else unchanged (INTERNAL, and logged).
 */
export function asServiceError(error: unknown): unknown {
  if (error instanceof ConnectError) return error;
  if (conflicts.has(sqlState(error) ?? "")) {
    return new ConnectError(
      "the database kept aborting the transaction in conflicts with others; try again",
      Code.Aborted,
      undefined,
      undefined,
      error,
    );
  }
  const unreachable = unreachableReason(error);
  if (unreachable !== undefined) {
    return new ConnectError(
      `the database is unavailable (${unreachable})`,
      Code.Unavailable,
      undefined,
      undefined,
      error,
    );
  }
  return error;
}

/**
 * The error for a write whose COMMIT, or whose one statement outside a transaction, lost its
 * connection: the database may have applied it or not. UNKNOWN, not UNAVAILABLE, so that clients
 * do not repeat a write that may have happened; a create with a request_id can be repeated.
 */
export function outcomeUnknown(error: unknown): unknown {
  const unreachable = unreachableReason(error);
  if (unreachable === undefined) return asServiceError(error);
  return new ConnectError(
    `the connection to the database was lost (${unreachable}) before it confirmed the write, which may or may not have been applied`,
    Code.Unknown,
    undefined,
    undefined,
    error,
  );
}
