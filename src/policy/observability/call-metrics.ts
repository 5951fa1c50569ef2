import type { Code } from "@connectrpc/connect";
import type { Attributes, Counter, Histogram, MeterProvider } from "@opentelemetry/api";
import { instrumentationName } from "./call-tracer.js";
import type { OtelApi } from "./otel-api.js";
import { codeName } from "./rpc-names.js";

interface Instruments {
  readonly provider: MeterProvider;
  /** The provider hands out the API's no-op meter. */
  readonly noop: boolean;
  readonly calls: Counter;
  readonly attempts: Counter;
  readonly retries: Counter;
  readonly duration: Histogram;
}

/** Service and method of a call, as its metrics are labelled. */
export interface MethodNames {
  readonly service: string;
  readonly method: string;
}

/**
 * The metrics of calls: `rpc.client.calls`, `rpc.client.attempts`, `rpc.client.retries` and the
 * histogram `rpc.client.duration` (ms), each labelled `service`, `method`, `code` ("ok" or e.g.
 * "not_found") and `transport` — the fields of a `CallEvent`.
 */
export class CallMetrics {
  private instruments: Instruments;

  constructor(
    private readonly api: OtelApi,
    private readonly transport: string,
    // Undefined: follow the global provider.
    private readonly meterProvider: MeterProvider | undefined,
  ) {
    this.instruments = create(meterProvider ?? api.metrics.getMeterProvider(), api);
  }

  /** Counts a finished attempt, and a retry when it was not the first. */
  attempt(names: MethodNames, attempt: number, code: Code | undefined): void {
    const { attempts, retries } = this.current();
    const attributes = this.attributes(names, code);
    attempts.add(1, attributes);
    if (attempt > 1) retries.add(1, attributes);
  }

  /** Counts a finished call and records how long it took, all attempts included. */
  call(names: MethodNames, code: Code | undefined, durationMs: number): void {
    const { calls, duration } = this.current();
    const attributes = this.attributes(names, code);
    calls.add(1, attributes);
    duration.record(durationMs, attributes);
  }

  private attributes(names: MethodNames, code: Code | undefined): Attributes {
    return {
      service: names.service,
      method: names.method,
      code: codeName(code),
      transport: this.transport,
    };
  }

  /** Whether metrics go nowhere (no SDK registered, no provider given): then a call skips them. */
  idle(): boolean {
    return this.current().noop;
  }

  // Unlike tracer providers, the API has no proxy meter provider: instruments made before an SDK
  // registers stay no-ops for good. Clients are often made at import time, before the SDK starts,
  // so check the global on each call (a property read) and remake the instruments when it changed.
  private current(): Instruments {
    if (this.meterProvider === undefined) {
      const global = this.api.metrics.getMeterProvider();
      if (global !== this.instruments.provider) this.instruments = create(global, this.api);
    }
    return this.instruments;
  }
}

function create(provider: MeterProvider, api: OtelApi): Instruments {
  const meter = provider.getMeter(instrumentationName);
  return {
    provider,
    noop: meter === api.createNoopMeter(),
    calls: meter.createCounter("rpc.client.calls", {
      description: "Logical calls made, each counted once however many attempts it took.",
      unit: "{call}",
    }),
    attempts: meter.createCounter("rpc.client.attempts", {
      description: "Attempts made, the first of each call and its retries, by their outcome.",
      unit: "{attempt}",
    }),
    retries: meter.createCounter("rpc.client.retries", {
      description: "Attempts after the first of a call, by their outcome.",
      unit: "{attempt}",
    }),
    duration: meter.createHistogram("rpc.client.duration", {
      description: "Duration of logical calls, all attempts and the waits between them included.",
      unit: "ms",
      // The SDK's default boundaries start at 5 ms, where most calls to a nearby service end.
      advice: {
        explicitBucketBoundaries: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      },
    }),
  };
}
