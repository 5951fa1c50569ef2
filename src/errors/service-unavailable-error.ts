import { Code, ConnectError } from "@connectrpc/connect";

/**
 * A service could not be reached: every attempt a call was allowed failed with a transient error
 * (UNAVAILABLE, a reset or refused connection, ...). It is a ConnectError with Code.Unavailable, so
 * code that handles ConnectErrors handles it too; `cause` is the last attempt's error.
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
    /** How many attempts were made, the first included. */
    readonly attempts: number,
    cause: ConnectError,
  ) {
    super(
      `Service at ${url} is unavailable after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${cause.message}`,
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
