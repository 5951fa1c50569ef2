import { AsyncLocalStorage } from "node:async_hooks";
import type { Interceptor } from "@connectrpc/connect";
import { readTimeoutMs } from "./deadline-header.js";

/** The deadline and cancellation of the work in progress: an inbound call being served. */
export interface InboundDeadline {
  /** When the work must be done, in ms since the epoch; undefined for no deadline. */
  readonly deadlineMs: number | undefined;
  /** Aborted when the work is cancelled. */
  readonly signal: AbortSignal | undefined;
}

const storage = new AsyncLocalStorage<InboundDeadline>();

/**
 * Runs `fn` under a deadline and a signal, so that every client call made inside it, however
 * deep, gets at most the time that remains and is cancelled with the work. Nested calls can only
 * shorten the deadline, and inherit the outer signal.
 *
 * ```ts
 * await withDeadline({ timeoutMs: 2_000, signal: request.signal }, async () => {
 *   await sessions.createEvent(...); // at most what is left of the 2 s, cancelled with the request
 * });
 * ```
 */
export function withDeadline<T>(
  limit: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined },
  fn: () => T,
): T {
  const outer = storage.getStore();
  const own = limit.timeoutMs === undefined ? undefined : Date.now() + limit.timeoutMs;
  const deadlineMs =
    own === undefined || outer?.deadlineMs === undefined
      ? (own ?? outer?.deadlineMs)
      : Math.min(own, outer.deadlineMs);
  const signals = [outer?.signal, limit.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  return storage.run({ deadlineMs, signal }, fn);
}

/** The deadline of the work in progress, if any code up the stack set one. */
export function currentDeadline(): InboundDeadline | undefined {
  return storage.getStore();
}

/**
 * A server interceptor that runs each handler under its inbound call's deadline and signal, so
 * that clients the handler calls inherit them.
 */
export function propagateInboundDeadline(): Interceptor {
  return (next) => (req) =>
    withDeadline({ timeoutMs: readTimeoutMs(req.header), signal: req.signal }, () => next(req));
}
