/**
 * An endpoint's latency as Finagle's and Linkerd's balancers score it: an exponentially weighted
 * moving average that jumps to any slower observation at once (the peak) and forgets it over
 * `decayMs`. Read between observations, it decays towards zero, so that an endpoint left alone
 * for being slow is tried again after a while and can show that it recovered. Unlike theirs,
 * each observation also moves it at least `minWeight` of the way: at hundreds of calls a second a
 * single stall (a GC pause of the client) is forgotten within tens of calls rather than seconds,
 * while an endpoint slow on every call stays at its peak, each call showing it again.
 */
export class PeakEwma {
  private estimateMs: number;
  private updatedAt: number;

  constructor(
    private readonly decayMs: number,
    initialMs: number,
    now: number,
    private readonly minWeight = 0.2,
  ) {
    this.estimateMs = initialMs;
    this.updatedAt = now;
  }

  /** Takes in the latency of one finished attempt. */
  observe(latencyMs: number, now: number): void {
    if (latencyMs > this.estimateMs) {
      this.estimateMs = latencyMs;
    } else {
      const decay = Math.min(this.decay(now), 1 - this.minWeight);
      this.estimateMs = this.estimateMs * decay + latencyMs * (1 - decay);
    }
    this.updatedAt = now;
  }

  /** The estimate at `now`, in ms. */
  valueAt(now: number): number {
    return this.estimateMs * this.decay(now);
  }

  /** How much of the last estimate still counts at `now`: 1 at once, towards 0 long after. */
  private decay(now: number): number {
    const elapsed = now - this.updatedAt;
    return elapsed <= 0 ? 1 : Math.exp(-elapsed / this.decayMs);
  }
}
