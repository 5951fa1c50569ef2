import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  BrokenCircuitError,
  CircuitState,
  CountBreaker,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
} from "cockatiel";
import { ServiceUnavailableError } from "../errors/service-unavailable-error.js";
import { failureKind } from "./transient.js";

/** Options of `ClientOptions.circuitBreaker`; every field has a default. */
export interface CircuitBreakerOptions {
  /** Share of failed attempts among the last `windowSize` that opens the circuit. Defaults to 0.5. */
  readonly failureRatio?: number;
  /** How many recent attempts the ratio is taken over. Defaults to 20. */
  readonly windowSize?: number;
  /** Attempts needed in the window before the circuit may open. Defaults to 10. */
  readonly minimumAttempts?: number;
  /** How long an open circuit fails calls fast before letting one probe through. Defaults to 5 s. */
  readonly halfOpenAfterMs?: number;
  /** The circuit opened. */
  readonly onBreak?: (() => void) | undefined;
  /** A probe succeeded and the circuit closed. */
  readonly onReset?: (() => void) | undefined;
}

const defaults = Object.freeze({
  failureRatio: 0.5,
  windowSize: 20,
  minimumAttempts: 10,
  halfOpenAfterMs: 5_000,
});

/**
 * A circuit breaker over a client's attempts (cockatiel, count-based window): when at least
 * `failureRatio` of the recent attempts failed transiently (refused, reset, UNAVAILABLE), the
 * circuit opens and every call fails fast with a ServiceUnavailableError that says so, without
 * touching the network. After `halfOpenAfterMs` one probe call goes through while the others keep
 * failing fast, not queued; its success closes the circuit, its failure opens it again.
 * Transient failures and DEADLINE_EXCEEDED count against the service; errors that say nothing
 * about its health (NOT_FOUND, INVALID_ARGUMENT, ...) do not, and a burst of resets (one HTTP/2 connection failing all its calls) counts once.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): Interceptor {
  const o = { ...defaults, ...options };
  // One broken HTTP/2 connection fails every call multiplexed on it in the same instant; that is
  // one failure of the service, not thirty, so resets that follow a counted one within
  // `resetBurstMs` are not counted (nor counted as successes).
  let lastResetAt = Number.NEGATIVE_INFINITY;
  let probing = false;
  const counts = (error: ConnectError): boolean => {
    const kind = failureKind(error);
    // A refused certificate is a configuration to fix, not a sick service: opening the circuit
    // would only hide the reason behind "the circuit is open".
    if (kind === "tls") return false;
    // cockatiel takes a probe's uncounted failure for a success and closes the circuit; a probe
    // that did not get an answer about the request (refused, reset, unavailable, timed out,
    // cancelled) must open it again.
    if (probing) {
      return (
        kind !== "status" ||
        [Code.Unavailable, Code.DeadlineExceeded, Code.Canceled].includes(error.code)
      );
    }
    if (kind === "reset") {
      const now = performance.now();
      if (now - lastResetAt < resetBurstMs) return false;
      lastResetAt = now;
      return true;
    }
    return (
      kind === "refused" || error.code === Code.Unavailable || error.code === Code.DeadlineExceeded
    );
  };
  const policy = circuitBreaker(
    handleWhen((e) => e instanceof ConnectError && counts(e)),
    {
      halfOpenAfter: o.halfOpenAfterMs,
      breaker: new CountBreaker({
        threshold: o.failureRatio,
        size: o.windowSize,
        minimumNumberOfCalls: o.minimumAttempts,
      }),
    },
  );
  let openedAt = 0;
  policy.onBreak(() => {
    openedAt = performance.now();
    o.onBreak?.();
  });
  policy.onReset(() => o.onReset?.());

  // Goes inside the retry interceptor: every attempt counts, and an open circuit stops retries.
  const interceptor: Interceptor = (next) => async (req) => {
    try {
      // cockatiel makes calls that arrive while the probe is out wait for it, then run them; here
      // they fail fast instead, so that a half-open circuit never holds a queue of callers.
      if (policy.state === CircuitState.HalfOpen) throw new BrokenCircuitError();
      probing = policy.state === CircuitState.Open;
      return await policy.execute(() => next(req));
    } catch (error) {
      if (!isBrokenCircuitError(error)) throw error;
      const last = policy.lastFailure;
      const cause =
        last && "error" in last
          ? ConnectError.from(last.error)
          : new ConnectError("the circuit is open", Code.Unavailable);
      const retryInMs =
        policy.state === CircuitState.Open
          ? Math.max(0, openedAt + o.halfOpenAfterMs - performance.now())
          : 0;
      throw new ServiceUnavailableError(
        req.service.typeName,
        req.url,
        0,
        cause,
        "circuit-open",
        retryInMs,
      );
    }
  };
  return interceptor;
}

/** Resets this close together are one connection breaking. */
const resetBurstMs = 50;
