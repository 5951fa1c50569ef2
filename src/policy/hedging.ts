import { MethodOptions_IdempotencyLevel as Idempotency } from "@bufbuild/protobuf/wkt";
import { ConnectError, type Interceptor, type UnaryResponse } from "@connectrpc/connect";
import { attemptSignal } from "./attempt-signal.js";
import { readTimeoutMs, writeTimeoutMs } from "./deadline-header.js";
import { isTransient } from "./transient.js";

/** Options of `ClientOptions.hedging`: hedged reads. */
export interface HedgingOptions {
  /** How long the first attempt of a read may take before a second one is sent. */
  readonly delayMs: number;
}

/**
 * Hedged reads: when a NO_SIDE_EFFECTS call has not answered within `delayMs`, the same request
 * goes out a second time; the first success, or the first definitive error (NOT_FOUND, ...), wins
 * and the other attempt is cancelled. Cuts the tail
 * latency of reads that a slow replica or a lost packet holds up, at the price of some duplicate
 * reads. Other methods pass through. Goes inside the retry interceptor: a hedged attempt that
 * fails as a whole is retried like any other.
 */
export function createHedgingInterceptor({ delayMs }: HedgingOptions): Interceptor {
  return (next) => async (req) => {
    if (req.stream || req.method.idempotency !== Idempotency.NO_SIDE_EFFECTS) {
      return await next(req);
    }
    const attempts = [attemptSignal(req.signal), attemptSignal(req.signal)];
    const started = performance.now();
    const send = (i: number): Promise<UnaryResponse> => {
      const header = new Headers(req.header);
      const timeoutMs = readTimeoutMs(header);
      if (timeoutMs !== undefined)
        writeTimeoutMs(header, timeoutMs - (performance.now() - started));
      return next({
        ...req,
        header,
        signal: (attempts[i] as ReturnType<typeof attemptSignal>).signal,
      }) as Promise<UnaryResponse>;
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<UnaryResponse>((resolve, reject) => {
        let hedged = false;
        let failures = 0;
        const attempt = (i: number) =>
          send(i).then(
            (response) => {
              clearTimeout(timer);
              resolve(response);
            },
            (e: unknown) => {
              const error = ConnectError.from(e);
              failures++;
              // A definitive answer ends the race; a transient failure waits for the other
              // attempt, if there is one, and otherwise goes to the retry layer.
              if (!hedged || failures === 2 || !isTransient(error, true, undefined)) {
                clearTimeout(timer);
                reject(error);
              }
            },
          );
        timer = setTimeout(() => {
          hedged = true;
          attempt(1);
        }, delayMs);
        attempt(0);
      });
    } finally {
      clearTimeout(timer);
      for (const attempt of attempts) attempt.end();
    }
  };
}
