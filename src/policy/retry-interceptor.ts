import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ExponentialBackoff, halfJitterGenerator } from "cockatiel";
import { ServiceUnavailableError } from "../errors/service-unavailable-error.js";
import { attemptSignal } from "./attempt-signal.js";
import { readTimeoutMs, writeTimeoutMs } from "./deadline-header.js";
import { pushbackMs } from "./pushback.js";
import type { RetryBudget } from "./retry-budget.js";
import { isSafeToRepeat, isTransient, normalizeFailure } from "./transient.js";

/** A retry about to happen. */
export interface RetryEvent {
  /** E.g. "contextiq.sessions.v1.SessionsService". */
  readonly service: string;
  /** E.g. "CreateEvent". */
  readonly method: string;
  /** The attempt that failed, 1 for the first. */
  readonly attempt: number;
  /** How long the client waits before the next attempt. */
  readonly delayMs: number;
  /** Why the attempt failed. */
  readonly error: ConnectError;
}

/** A call that failed for good, after `attempts` attempts. */
export interface GiveUpEvent {
  readonly service: string;
  readonly method: string;
  readonly attempts: number;
  /** The error the caller receives. */
  readonly error: ConnectError;
}

/** Options of {@link createRetryInterceptor}. */
export interface RetryOptions {
  /** Retries after the first attempt; 0 disables retrying. */
  readonly maxRetries: number;
  /** Base of the exponential backoff: the n-th retry waits between d/2 and d, d = base · 2^(n-1). */
  readonly retryDelayMs: number;
  /** Cap of the backoff (not of a server's pushback). */
  readonly maxRetryDelayMs: number;
  /** Called before each retry's wait. */
  readonly onRetry?: ((event: RetryEvent) => void) | undefined;
  /** Called when a call fails for good after at least one attempt. */
  readonly onGiveUp?: ((event: GiveUpEvent) => void) | undefined;
  /** Throttles retries across the client's calls (gRFC A6). Defaults to none. */
  readonly budget?: RetryBudget | undefined;
  /**
   * Gives each retry its own signal, aborted when the retry ends. connect-node's transports free
   * a failed attempt's connection before the call ends only on that abort; a transport that frees
   * it by itself (each of this package's) is spared the cost. Default true.
   */
  readonly attemptSignals?: boolean | undefined;
}

/**
 * Retries unary calls that failed transiently (see `isTransient`), with capped exponential backoff
 * and jitter (cockatiel), never waiting less than the server's `Retry-After` or
 * `grpc-retry-pushback-ms`.
 *
 * The call's timeout spans all attempts: each attempt sends the time that remains on the wire,
 * and when a wait would outlive the deadline the call fails at once with DEADLINE_EXCEEDED. A
 * caller's cancel is never retried. When every allowed attempt failed transiently, the call fails
 * with a `ServiceUnavailableError` carrying the last error.
 */
export function createRetryInterceptor(options: RetryOptions): Interceptor {
  const backoff = new ExponentialBackoff({
    generator: halfJitterGenerator,
    initialDelay: options.retryDelayMs,
    maxDelay: options.maxRetryDelayMs,
  });
  const attemptSignals = options.attemptSignals ?? true;
  return (next) => async (req) => {
    if (req.stream) return await next(req);
    const timeoutMs = readTimeoutMs(req.header);
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    // Worked out on the first failure: most calls never need them.
    let delays: ReturnType<typeof backoff.next> | undefined;
    let callNames: { service: string; method: string } | undefined;
    let safe: boolean | undefined;

    // What the call's header was before any attempt: inner interceptors may add to the header
    // they are given, and a retry must not send their additions twice.
    const original = options.maxRetries > 0 ? new Headers(req.header) : undefined;

    for (let attempt = 1; ; attempt++) {
      let request = req;
      if (attempt > 1) {
        // The caller cancelled, or the deadline passed, before this attempt: nothing is sent.
        if (req.signal.aborted) throw ConnectError.from(req.signal.reason, Code.Canceled);
        const header = new Headers(original);
        if (deadline !== undefined) writeTimeoutMs(header, deadline - performance.now());
        request = { ...req, header };
      }
      // A retry gets its own signal, ended with it: ending the call's signal would end the call.
      // The first attempt goes out as the call came, without a copy: its connection is let go
      // when the call ends (connect aborts the call's signal then), and the request's signal
      // may be one that is made only when read (see call-signal.ts).
      const attemptAbort = attemptSignals && attempt > 1 ? attemptSignal(req.signal) : undefined;
      if (attemptAbort) request = { ...request, signal: attemptAbort.signal };
      let error: ConnectError;
      try {
        const response = await next(request);
        options.budget?.succeeded();
        return response;
      } catch (e) {
        error = ConnectError.from(e);
      } finally {
        attemptAbort?.end();
      }

      // The caller cancelled, or the deadline passed: that is the answer.
      if (req.signal.aborted) throw ConnectError.from(req.signal.reason, Code.Canceled);
      callNames ??= { service: req.service.typeName, method: req.method.name };
      const names = callNames;
      safe ??= isSafeToRepeat(req.method, req.message);
      delays ??= backoff.next();
      const backoffNow = delays;
      const pushback = pushbackMs(error);
      const waitAtLeast = pushback === "stop" ? undefined : pushback;
      const fail = (thrown: ConnectError): never => {
        options.onGiveUp?.({ ...names, attempts: attempt, error: thrown });
        throw thrown;
      };
      // An open circuit (the breaker inside this interceptor) fails the call fast.
      if (error instanceof ServiceUnavailableError) {
        fail(
          new ServiceUnavailableError(
            names.service,
            req.url,
            attempt - 1,
            ConnectError.from(error.cause),
            error.reason,
            error.retryInMs,
          ),
        );
      }
      if (pushback === "stop" || !isTransient(error, safe, waitAtLeast)) {
        fail(normalizeFailure(error, req.url));
      }
      options.budget?.failed();
      if (attempt > options.maxRetries) {
        fail(new ServiceUnavailableError(names.service, req.url, attempt, normalizeFailure(error)));
      }
      if (options.budget && !options.budget.allowsRetry()) {
        fail(
          new ServiceUnavailableError(
            names.service,
            req.url,
            attempt,
            normalizeFailure(error),
            "retry-budget",
          ),
        );
      }
      const delayMs = Math.max(backoffNow.duration, waitAtLeast ?? 0);
      delays = backoffNow.next(undefined);
      if (deadline !== undefined && performance.now() + delayMs >= deadline) {
        fail(
          new ConnectError(
            `gave up after ${attempt} attempt${attempt === 1 ? "" : "s"}: the next would start after the ${timeoutMs} ms deadline; last error: ${error.message}`,
            Code.DeadlineExceeded,
            error.metadata,
            undefined,
            error,
          ),
        );
      }
      options.onRetry?.({ ...names, attempt, delayMs, error });
      try {
        await sleep(delayMs, undefined, { signal: req.signal });
      } catch {
        throw ConnectError.from(req.signal.reason, Code.Canceled);
      }
    }
  };
}
