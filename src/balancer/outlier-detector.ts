import type { Endpoint } from "./endpoint.js";

/** Options of `ClientOptions.outlierDetection`: ejecting endpoints that fail, as Envoy does. */
export interface OutlierDetectionOptions {
  /** Failures in a row that eject an endpoint. Defaults to 5. */
  readonly consecutiveFailures?: number;
  /**
   * How long a first ejection lasts; the n-th lasts n times as long, at most 10 times. Defaults to
   * 30 s.
   */
  readonly baseEjectionTimeMs?: number;
  /** The share of endpoints that may be ejected at once, in percent. Defaults to 50. */
  readonly maxEjectionPercent?: number;
  /** How often success rates are compared, and ejection counts forgiven. Defaults to 10 s. */
  readonly intervalMs?: number;
}

/** Envoy's defaults for success-rate ejection: endpoints compared, calls each, spread. */
const successRateMinimumEndpoints = 5;
const successRateRequestVolume = 100;
const successRateStdevFactor = 1.9;
/** Envoy's max_ejection_time is 300 s for a 30 s base: ten times the base. */
const maxEjectionFactor = 10;

/**
 * Passive health, per endpoint, from the outcomes of the calls it served: an endpoint that fails
 * `consecutiveFailures` times in a row, or whose success rate is an outlier among five or more
 * busy endpoints, is ejected for a while. When the time is up it comes back on probation, a
 * half-open circuit of its own: one failure ejects it again, for longer; one success closes it.
 * Never more than `maxEjectionPercent` of the endpoints are out at once, so that a fault common to
 * all of them (the database) does not empty the fleet.
 */
export class OutlierDetector {
  private readonly consecutiveFailures: number;
  private readonly baseEjectionTimeMs: number;
  private readonly maxEjectionPercent: number;

  constructor(
    options: Required<OutlierDetectionOptions>,
    private readonly endpoints: () => readonly Endpoint[],
  ) {
    this.consecutiveFailures = options.consecutiveFailures;
    this.baseEjectionTimeMs = options.baseEjectionTimeMs;
    this.maxEjectionPercent = options.maxEjectionPercent;
  }

  succeeded(endpoint: Endpoint): void {
    endpoint.consecutiveFailures = 0;
    endpoint.intervalSuccesses++;
    endpoint.probation = false;
  }

  failed(endpoint: Endpoint, now: number): void {
    endpoint.intervalFailures++;
    endpoint.consecutiveFailures++;
    if (endpoint.probation || endpoint.consecutiveFailures >= this.consecutiveFailures) {
      this.eject(endpoint, now);
    }
  }

  /** Whether `endpoint` is ejected at `now`; one whose time is up comes back on probation. */
  isEjected(endpoint: Endpoint, now: number): boolean {
    if (endpoint.ejectedUntil === 0) return false;
    if (now < endpoint.ejectedUntil) return true;
    endpoint.ejectedUntil = 0;
    endpoint.consecutiveFailures = 0;
    endpoint.probation = true;
    return false;
  }

  /**
   * Once per interval: ejects the endpoints whose success rate is below the mean by more than 1.9
   * standard deviations (when at least five served 100 calls or more), forgives one ejection of
   * each endpoint that is in, and starts counting afresh.
   */
  interval(now: number): void {
    const endpoints = this.endpoints();
    const busy = endpoints.filter(
      (e) => !e.draining && e.intervalSuccesses + e.intervalFailures >= successRateRequestVolume,
    );
    if (busy.length >= successRateMinimumEndpoints) {
      const rates = busy.map(
        (e) => e.intervalSuccesses / (e.intervalSuccesses + e.intervalFailures),
      );
      const mean = rates.reduce((sum, rate) => sum + rate, 0) / rates.length;
      const variance = rates.reduce((sum, rate) => sum + (rate - mean) ** 2, 0) / rates.length;
      const threshold = mean - successRateStdevFactor * Math.sqrt(variance);
      busy.forEach((endpoint, i) => {
        if ((rates[i] as number) < threshold) this.eject(endpoint, now);
      });
    }
    for (const endpoint of endpoints) {
      if (
        endpoint.ejectedUntil === 0 &&
        endpoint.ejections > 0 &&
        endpoint.intervalFailures === 0
      ) {
        endpoint.ejections--;
      }
      endpoint.intervalSuccesses = 0;
      endpoint.intervalFailures = 0;
    }
  }

  private eject(endpoint: Endpoint, now: number): void {
    if (endpoint.ejectedUntil !== 0 || endpoint.draining) return;
    const endpoints = this.endpoints();
    let total = 0;
    let ejected = 0;
    for (const e of endpoints) {
      if (e.draining) continue;
      total++;
      if (e.ejectedUntil !== 0 && now < e.ejectedUntil) ejected++;
    }
    if (ejected + 1 > Math.floor((total * this.maxEjectionPercent) / 100)) return;
    endpoint.ejections++;
    endpoint.ejectedUntil =
      now + this.baseEjectionTimeMs * Math.min(endpoint.ejections, maxEjectionFactor);
    endpoint.consecutiveFailures = 0;
    endpoint.probation = false;
  }
}
