import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Why a call gave up on a service:
 * - `retries-exhausted`: every attempt it was allowed failed transiently;
 * - `retry-budget`: attempts failed and the client's retry budget forbade another (gRFC A6);
 * - `circuit-open`: the client's circuit breaker is open after repeated failures, so the call
 *   failed fast without reaching the service.
 */
export type UnavailableReason = "retries-exhausted" | "retry-budget" | "circuit-open";

/**
 * A service could not be reached: every attempt a call was allowed failed with a transient error
 * (UNAVAILABLE, a reset or refused connection, ...), or the client's circuit is open. It is a
 * ConnectError with Code.Unavailable, so code that handles ConnectErrors handles it too; `cause`
 * is the last attempt's error.
 */
export class ServiceUnavailableError extends ConnectError {
  // `name` stays "ConnectError": ConnectError's own instanceof test recognises subclasses by it,
  // and ConnectError.from() would otherwise wrap this error in another one.

  /** Ordinary prototype-chain instanceof: ConnectError's static test would accept any ConnectError. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(ServiceUnavailableError, value);
  }

  constructor(
    /** The service called, e.g. "contextiq.sessions.v1.SessionsService". */
    readonly service: string,
    /** Where it was called. */
    readonly url: string,
    /** How many attempts reached the wire, the first included. */
    readonly attempts: number,
    cause: ConnectError,
    /** Why the call gave up. */
    readonly reason: UnavailableReason = "retries-exhausted",
    /** For `circuit-open`: when the circuit lets a probe call through, in ms from now. */
    readonly retryInMs?: number,
  ) {
    // ConnectError prefixes its code to `message`: the cause's code is worth repeating only when
    // it is not this error's own.
    const last = cause.code === Code.Unavailable ? cause.rawMessage : cause.message;
    super(
      reason === "circuit-open"
        ? `Service at ${url} is unavailable: the circuit is open after repeated failures and lets a probe call through in ${Math.ceil(retryInMs ?? 0)} ms; last failure: ${last}`
        : `Service at ${url} is unavailable after ${attempts} attempt${attempts === 1 ? "" : "s"}${reason === "retry-budget" ? " (the retry budget is spent)" : ""}: ${last}`,
      Code.Unavailable,
      cause.metadata,
      undefined,
      cause,
    );
  }
}

/** Whether `error` is a {@link ServiceUnavailableError}. */
export function isServiceUnavailableError(error: unknown): error is ServiceUnavailableError {
  return error instanceof ServiceUnavailableError;
}
