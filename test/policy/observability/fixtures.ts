// Shared by the observability tests: an in-memory Sessions service, a stand-in for the retry
// interceptor, and OpenTelemetry SDKs that keep what they record in memory.
import { Code, ConnectError, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import type { Attributes } from "@opentelemetry/api";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { SessionsService } from "../../../gen/contextiq/sessions/v1/sessions_pb.js";

/** A Sessions service in memory whose GetSession answers by id, and what it was sent. */
export function sessionsInMemory(interceptors: Interceptor[]) {
  const received: Headers[] = [];
  let flakyFailures = 0;
  const transport = createRouterTransport(
    (router) => {
      router.service(SessionsService, {
        getSession(req, ctx) {
          received.push(new Headers(ctx.requestHeader));
          if (req.id === "missing") throw new ConnectError("no such session", Code.NotFound);
          if (req.id === "flaky" && flakyFailures-- > 0) {
            throw new ConnectError("try again", Code.Unavailable);
          }
          return { session: { id: req.id } };
        },
      });
    },
    { transport: { interceptors } },
  );
  return {
    transport,
    /** Request headers of each attempt the service received, in order. */
    received,
    /** Makes the next `n` calls with id "flaky" fail with UNAVAILABLE. */
    failFlaky(n: number) {
      flakyFailures = n;
    },
  };
}

/**
 * A stand-in for the retry interceptor, to sit between the call and the attempt interceptor:
 * repeats an attempt once when it fails with UNAVAILABLE, on fresh headers as the real one does.
 */
export const retryOnceOnUnavailable: Interceptor = (next) => async (req) => {
  try {
    return await next({ ...req, header: new Headers(req.header) });
  } catch (e) {
    if (ConnectError.from(e).code !== Code.Unavailable) throw e;
    return await next({ ...req, header: new Headers(req.header) });
  }
};

/** Collects on demand, for tests that read metrics right after the calls. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A data point of a metric: its attributes and value (a number, or a histogram's summary). */
export interface Point {
  readonly attributes: Attributes;
  readonly value: unknown;
}

/** Tracer and meter providers of their own, recording in memory. */
export function inMemorySdk() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    /** The data points of the metric `name` so far; empty when it was never recorded. */
    async points(name: string): Promise<Point[]> {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .filter((metric) => metric.descriptor.name === name)
        .flatMap((metric) => metric.dataPoints as Point[]);
    },
  };
}
