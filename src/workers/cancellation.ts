import { Code, ConnectError } from "@connectrpc/connect";
import type { CallOptions } from "../client/client-options.js";

/** The call options of a worker's client calls: its signal, if it has one. @internal */
export function callOptions(signal: AbortSignal | undefined): CallOptions {
  return signal === undefined ? {} : { signal };
}

/**
 * Throws CANCELED when `signal` is aborted. Checked between a worker's steps, so that a cancel that
 * arrives while no call is in flight stops the work with the same error a cancelled call gives.
 *
 * @internal
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw ConnectError.from(signal.reason, Code.Canceled);
}
