/**
 * A flag a watcher waits on: set by a change, cleared before each read, so that a change made
 * during a read still wakes the wait after it.
 */
export class Wakeup {
  private set = false;
  private waiting: (() => void) | undefined;

  /** Something changed: the wait in progress, or the next one, returns at once. */
  notify(): void {
    this.set = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  /** Forgets earlier changes; call before reading what they changed. */
  clear(): void {
    this.set = false;
  }

  /**
   * Resolves "changed" on a change (at once if one came since the last clear), "timeout" after
   * `timeoutMs`; rejects with the reason of the first of `signals` to abort.
   */
  wait(timeoutMs: number, signals: readonly AbortSignal[]): Promise<"changed" | "timeout"> {
    for (const signal of signals) {
      if (signal.aborted) return Promise.reject(signal.reason);
    }
    if (this.set) return Promise.resolve("changed");
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting = undefined;
        for (const signal of signals) signal.removeEventListener("abort", aborted);
      };
      const aborted = (event: Event) => {
        done();
        reject((event.target as AbortSignal).reason);
      };
      const timer = setTimeout(() => {
        done();
        resolve("timeout");
      }, timeoutMs);
      this.waiting = () => {
        done();
        resolve("changed");
      };
      for (const signal of signals) signal.addEventListener("abort", aborted, { once: true });
    });
  }
}
