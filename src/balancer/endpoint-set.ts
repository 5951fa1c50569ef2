import { Endpoint, type EndpointAddress, type EndpointConnection } from "./endpoint.js";
import { isAddress, type Resolver } from "./resolver.js";
import type { ServiceTarget } from "./service-urls.js";

export type { EndpointAddress };

/** Options of {@link EndpointSet}. */
export interface EndpointSetOptions {
  readonly targets: readonly ServiceTarget[];
  readonly resolver: Resolver;
  /** How often host names are resolved again. */
  readonly resolveIntervalMs: number;
  /** Leases the connections of a new endpoint. */
  readonly connect: (address: EndpointAddress) => EndpointConnection;
  /** How fast latency estimates forget, see PeakEwma. */
  readonly latencyDecayMs: number;
}

/** Resolutions after connection failures are this far apart at least, or the interval if shorter. */
const minResolveGapMs = 5_000;
/** A resolution not answered by then fails: calls waiting for a first one are not held longer. */
const resolveTimeoutMs = 10_000;

/**
 * The endpoints of a service: one per address of each URL of its `baseUrl`. Host names are
 * resolved before the first call, again every `resolveIntervalMs`, and after a connection
 * failure unless the last resolution is more recent than five seconds, so that a failing fleet
 * does not become a storm of DNS queries. A new address gets an endpoint at once; one that is no
 * longer resolved is drained: it takes no new call and closes after its last one. A resolution
 * that fails, or finds nothing, keeps the endpoints the last one found.
 */
export class EndpointSet {
  /** The endpoints in rotation, in the order they were first found. */
  endpoints: Endpoint[] = [];
  /** Why the last resolution failed, while it is the latest. */
  lastError: Error | undefined;
  private readonly byOrigin = new Map<string, Endpoint>();
  private readonly needsResolving: boolean;
  private readonly minGapMs: number;
  private resolving: Promise<void> | undefined;
  private lastResolvedAt = Number.NEGATIVE_INFINITY;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: EndpointSetOptions) {
    this.minGapMs = Math.min(minResolveGapMs, options.resolveIntervalMs);
    this.needsResolving = options.targets.some((t) => !isAddress(t.hostname));
    if (this.needsResolving) {
      void this.resolve();
      this.timer = setInterval(() => void this.resolve(), options.resolveIntervalMs).unref();
    } else {
      this.update(options.targets.map((target) => [target, [target.hostname]]));
    }
  }

  /**
   * Before a call when there is no endpoint yet: the first resolution, or another if the last
   * one failed at least the minimum gap ago. Undefined when endpoints are known.
   */
  ready(): Promise<void> | undefined {
    if (this.endpoints.length > 0) return undefined;
    if (this.resolving) return this.resolving;
    if (performance.now() - this.lastResolvedAt < this.minGapMs) return Promise.resolve();
    return this.resolve();
  }

  /** After a connection failure: resolves again, unless that was done a moment ago. */
  connectionFailed(): void {
    if (!this.needsResolving || this.resolving) return;
    if (performance.now() - this.lastResolvedAt >= this.minGapMs) void this.resolve();
  }

  /** Stops resolving and closes every endpoint's connections once its calls are done. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const endpoint of this.endpoints) endpoint.drain();
    this.endpoints = [];
    this.byOrigin.clear();
  }

  /** Resolves every target; never rejects: a failure is kept in `lastError`. */
  private resolve(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.resolving ??= (async () => {
      this.lastResolvedAt = performance.now();
      const { targets } = this.options;
      const results = await Promise.allSettled(targets.map((t) => this.addressesOf(t)));
      const found: [ServiceTarget, readonly string[]][] = [];
      let failure: Error | undefined;
      results.forEach((result, i) => {
        const target = targets[i] as ServiceTarget;
        if (result.status === "fulfilled" && result.value.length > 0) {
          found.push([target, result.value]);
        } else {
          failure = resolutionError(
            target,
            result.status === "rejected" ? result.reason : new Error("no address"),
          );
          // What this target had stays: a name that fails to resolve for a moment loses nothing.
          const kept = this.endpoints.filter((e) => e.where.target === target);
          found.push([target, kept.map((e) => e.where.address)]);
        }
      });
      this.lastError = failure;
      if (!this.closed) this.update(found);
    })()
      .catch((error: unknown) => {
        // A connection that could not be leased: calls report it until the next resolution.
        this.lastError = error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => {
        this.resolving = undefined;
      });
    return this.resolving;
  }

  /**
   * The addresses of `target`, from the resolver unless it is one already. A resolver that
   * throws, gives something else than a list, or takes longer than {@link resolveTimeoutMs}
   * fails this target's resolution, and only it.
   */
  private async addressesOf(target: ServiceTarget): Promise<readonly string[]> {
    if (isAddress(target.hostname)) return [target.hostname];
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${resolveTimeoutMs / 1000} s`)),
        resolveTimeoutMs,
      ).unref();
    });
    try {
      const addresses = await Promise.race([
        Promise.resolve().then(() => this.options.resolver(target.hostname)),
        late,
      ]);
      if (!Array.isArray(addresses) || addresses.some((a) => typeof a !== "string")) {
        throw new TypeError("the resolver gave something else than a list of addresses");
      }
      return addresses;
    } finally {
      clearTimeout(timer);
    }
  }

  private update(found: readonly (readonly [ServiceTarget, readonly string[]])[]): void {
    const now = performance.now();
    const next: Endpoint[] = [];
    const seen = new Set<string>();
    for (const [target, addresses] of found) {
      for (const address of addresses) {
        const origin = `${target.scheme}://${address.includes(":") ? `[${address}]` : address}:${target.port}`;
        const key = `${origin} ${target.authority}`;
        if (seen.has(key)) continue;
        seen.add(key);
        let endpoint = this.byOrigin.get(key);
        if (endpoint === undefined) {
          const where = { target, address, origin };
          endpoint = new Endpoint(
            where,
            this.options.connect(where),
            this.options.latencyDecayMs,
            this.typicalLatencyMs(now),
            now,
          );
          this.byOrigin.set(key, endpoint);
        }
        next.push(endpoint);
      }
    }
    for (const [key, endpoint] of this.byOrigin) {
      if (!seen.has(key)) {
        this.byOrigin.delete(key);
        endpoint.drain();
      }
    }
    this.endpoints = next;
  }

  /**
   * Where a new endpoint's latency estimate starts: the mean of the others', so that it neither
   * takes every call at once (a zero estimate would) nor waits for the others to slow down.
   */
  private typicalLatencyMs(now: number): number {
    if (this.endpoints.length === 0) return 0;
    let sum = 0;
    for (const e of this.endpoints) sum += e.latency.valueAt(now);
    return sum / this.endpoints.length;
  }
}

function resolutionError(target: ServiceTarget, cause: unknown): Error {
  const code = (cause as { code?: unknown }).code;
  return Object.assign(
    new Error(`could not resolve ${target.hostname}: ${(cause as Error).message ?? cause}`, {
      cause,
    }),
    typeof code === "string" ? { code } : {},
  );
}
