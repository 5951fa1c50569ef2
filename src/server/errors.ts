import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

/** NOT_FOUND for a resource that is unknown or deleted, e.g. `session 5e1b… not found`. */
export function notFound(what: string, id: string, why = "not found"): ConnectError {
  return new ConnectError(`${what} ${id} ${why}`, Code.NotFound);
}

/**
 * FAILED_PRECONDITION with a google.rpc.ErrorInfo whose reason (e.g. SESSION_EXPIRED) lets a client
 * tell the cases apart without parsing the message.
 */
export function failedPrecondition(
  message: string,
  reason: string,
  domain: string,
  metadata: Record<string, string> = {},
): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition, undefined, [
    { desc: ErrorInfoSchema, value: { reason, domain, metadata } },
  ]);
}
