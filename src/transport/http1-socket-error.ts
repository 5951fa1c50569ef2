import { Code, ConnectError } from "@connectrpc/connect";

/**
 * A failure of the socket or of node's HTTP parser. A connection that could not be made, or
 * broke, is UNAVAILABLE with node's error as the cause, whose code tells a refusal (never
 * processed) from a reset (maybe processed), and a TLS failure (see policy/transient.ts); an
 * answer node could not parse is INTERNAL.
 */
export function errorFromSocket(error: Error): ConnectError {
  const code = (error as { code?: unknown }).code;
  const malformed = typeof code === "string" && code.startsWith("HPE_");
  return new ConnectError(
    error.message,
    malformed ? Code.Internal : Code.Unavailable,
    undefined,
    undefined,
    error,
  );
}

/** A reset as node reports one, for a response that ended before its end without an error. */
export function resetError(message: string): Error {
  return Object.assign(new Error(message), { code: "ECONNRESET" });
}
