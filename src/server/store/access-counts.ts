/** The accesses of one memory not yet written: how many, and the latest one's time (ms). */
export interface Access {
  readonly count: number;
  readonly at: number;
}

/** Accesses to add to the stored counts, by memory id. */
export type Accesses = ReadonlyMap<string, Access>;

/** How an AccessCounts writes and when. */
export interface AccessCountsOptions {
  /**
   * Adds `accesses` to the stored counts, all or none (one transaction), and keeps the later of
   * each memory's stored and given `at`. Deleted memories are not counted.
   */
  readonly write: (accesses: Accesses) => Promise<void>;
  /** How long after the first pending access the counts are written. Defaults to 1 second. */
  readonly delayMs?: number;
  /** How many distinct memories pending start a write at once. Defaults to 1,000. */
  readonly flushAtIds?: number;
  /** The most memories one call of `write` gets. Defaults to 500. */
  readonly writeIds?: number;
  /**
   * The most distinct memories pending, beyond which accesses of others are dropped, so that a
   * database that stays away cannot grow memory without end. Defaults to 100,000.
   */
  readonly maxPendingIds?: number;
  /** The longest wait before a failed write is tried again. Defaults to 30 seconds. */
  readonly maxRetryDelayMs?: number;
}

const defaults: Required<Omit<AccessCountsOptions, "write">> = {
  delayMs: 1000,
  flushAtIds: 1000,
  writeIds: 500,
  maxPendingIds: 100_000,
  maxRetryDelayMs: 30_000,
};

/**
 * Access counts of memories, counted off the read path: a read records its ids after it answers,
 * and the counts are written in batches, about a second later or as soon as many memories are
 * pending. The count is advisory (see `Memory.access_count`), so this trades exactness for reads
 * that take no lock and write nothing: a write that fails keeps its counts and is tried again
 * later (at least once), but the counts pending when the process dies are lost. Writes never
 * overlap, and the timer never keeps a process alive: `close` writes what is pending.
 */
export class AccessCounts {
  private readonly write: (accesses: Accesses) => Promise<void>;
  private readonly options: Required<Omit<AccessCountsOptions, "write">>;
  private pending = new Map<string, Access>();
  /** How many memories the write in progress holds: they count toward maxPendingIds. */
  private writing = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerDelayMs = 0;
  /** Failed writes in a row. */
  private failures = 0;
  private dropping = false;
  private closed = false;

  constructor(options: AccessCountsOptions) {
    const { write, ...rest } = options;
    this.write = write;
    this.options = { ...defaults, ...rest };
  }

  /** Counts an access of each of `ids` at `at` (ms); a repeated id counts each time. */
  record(ids: readonly string[], at: number): void {
    if (this.closed) return;
    for (const id of ids) {
      const known = this.pending.get(id);
      if (known !== undefined) {
        this.pending.set(id, { count: known.count + 1, at: Math.max(known.at, at) });
      } else if (this.pending.size + this.writing < this.options.maxPendingIds) {
        this.pending.set(id, { count: 1, at });
      } else if (!this.dropping) {
        this.dropping = true;
        console.warn(
          `access counts: ${this.options.maxPendingIds} memories wait for their counts to be written; accesses of others are not counted until they are`,
        );
      }
    }
    this.schedule();
  }

  /** Writes what is pending now, after the write in progress if any. Failures are logged, not thrown. */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    if (this.pending.size > 0) await this.startFlush();
  }

  /** Stops the timer and writes what is pending; call before the database closes. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Sets the timer for the next write, unless one is due as soon or a write is in progress. */
  private schedule(): void {
    if (this.closed || this.flushing !== undefined || this.pending.size === 0) return;
    const { delayMs, flushAtIds } = this.options;
    const delay =
      this.failures > 0 ? this.retryDelayMs() : this.pending.size >= flushAtIds ? 0 : delayMs;
    if (this.timer !== undefined && this.timerDelayMs <= delay) return;
    clearTimeout(this.timer);
    this.timerDelayMs = delay;
    // A timer even for "at once": the write then runs after the read that filled the batch.
    this.timer = setTimeout(() => void this.startFlush(), delay);
    this.timer.unref();
  }

  private startFlush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing ??= this.writePending().finally(() => {
      this.flushing = undefined;
      this.schedule();
    });
    return this.flushing;
  }

  /** Writes the pending counts in chunks; those of a chunk that fails, and after, go back. */
  private async writePending(): Promise<void> {
    const entries = [...this.pending];
    this.pending = new Map();
    this.writing = entries.length;
    const { writeIds } = this.options;
    try {
      for (let start = 0; start < entries.length; start += writeIds) {
        const chunk = entries.slice(start, start + writeIds);
        try {
          await this.write(new Map(chunk));
        } catch (error) {
          this.putBack(entries.slice(start));
          this.failed(error, entries.length - start);
          return;
        }
      }
      this.failures = 0;
      this.dropping = false;
    } finally {
      this.writing = 0;
    }
  }

  /** Adds unwritten counts to those recorded since they were taken. */
  private putBack(entries: readonly [string, Access][]): void {
    for (const [id, access] of entries) {
      const since = this.pending.get(id);
      this.pending.set(
        id,
        since === undefined
          ? access
          : { count: since.count + access.count, at: Math.max(since.at, access.at) },
      );
    }
  }

  private failed(error: unknown, memories: number): void {
    this.failures++;
    const reason = error instanceof Error ? error.message : String(error);
    const then = this.closed ? "they are lost" : `trying again in ${this.retryDelayMs() / 1000} s`;
    console.warn(
      `access counts: writing those of ${memories} memories failed (${reason}); ${then}`,
    );
  }

  /** The wait after the latest of `failures` failed writes in a row: doubles with each. */
  private retryDelayMs(): number {
    return Math.min(this.options.delayMs * 2 ** this.failures, this.options.maxRetryDelayMs);
  }
}
