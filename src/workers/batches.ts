/** When {@link batches} hands over what it has gathered. @internal */
export interface BatchLimits {
  /** A batch is handed over once no item has come for this long, in ms. */
  readonly quietMs: number;
  /** ...or once its first item has waited this long, in ms, so that a chatty source is not starved. */
  readonly maxDelayMs: number;
  /** ...or once it holds this many items. */
  readonly maxSize: number;
}

const quiet = Symbol("quiet");

/**
 * The items of `source` in batches: what has arrived when the source goes quiet, or has been
 * waiting too long, or has grown too big; the rest when the source finishes. A backlog that
 * arrives at once thus comes as one batch, and a conversation as its bursts. An error of the
 * source is thrown as soon as it comes, without the batch being gathered: a failed source has
 * nothing more worth handling.
 *
 * The source is read only while a batch is being gathered; while the caller handles one, at most
 * one item waits here, and the rest wait in the source. To stop early, abort the source (the
 * watch's signal): a read in flight cannot be interrupted by `return()` alone.
 *
 * @internal
 */
export async function* batches<T>(
  source: AsyncIterable<T>,
  limits: BatchLimits,
): AsyncGenerator<T[], void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  // A read that lost the race against the quiet timer, kept to be awaited for the next batch.
  let pending: Promise<IteratorResult<T>> | undefined;
  let batch: T[] = [];
  let firstAt = 0;
  let finished = false;
  try {
    for (;;) {
      pending ??= iterator.next();
      const waitMs =
        batch.length === 0
          ? undefined
          : Math.min(limits.quietMs, firstAt + limits.maxDelayMs - performance.now());
      const next = waitMs === undefined ? await pending : await within(pending, waitMs);
      if (next === quiet) {
        yield batch;
        batch = [];
        continue;
      }
      pending = undefined;
      if (next.done) {
        finished = true;
        if (batch.length > 0) yield batch;
        return;
      }
      if (batch.length === 0) firstAt = performance.now();
      batch.push(next.value);
      if (batch.length >= limits.maxSize) {
        yield batch;
        batch = [];
      }
    }
  } finally {
    if (!finished) {
      // Not awaited: with a read in flight, the source's return() waits for that read, which only
      // the source's own signal ends. Its failure then is the expected end of an abandoned read.
      pending?.catch(() => {});
      iterator.return?.().catch(() => {});
    }
  }
}

/** `promise`'s outcome, or `quiet` if it takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof quiet> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof quiet>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms), quiet);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
