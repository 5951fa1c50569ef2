// Cost per call of the observability interceptors (src/policy/observability).
//
//   npx tsx bench/policy-overhead.ts [--calls 20000] [--rounds 5] [--chunk 500]
//
// Two tables:
// 1. Calls through connect's in-memory transport (createRouterTransport) to a GetSession that does
//    nothing: the interceptors' cost next to the cheapest real call there is (serialization,
//    routing, no network).
// 2. The interceptors alone, around a `next` that answers at once: their own work, without the
//    transport's noise.
// Configurations take turns in chunks of `--chunk` calls, in a rotating order, so that load from
// elsewhere on the machine falls on all of them alike; each round sums `--calls` calls per
// configuration, after a warm-up round. Median and best round are shown; compare rows of one run.
import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import {
  createClient,
  createContextValues,
  createRouterTransport,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import {
  GetSessionRequestSchema,
  GetSessionResponseSchema,
  SessionsService,
} from "../gen/contextiq/sessions/v1/sessions_pb.js";
import { createObservability } from "../src/policy/observability/index.js";

const { values: args } = parseArgs({
  options: {
    calls: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
    chunk: { type: "string", default: "500" },
  },
});
const calls = Number(args.calls);
const rounds = Number(args.rounds);
const chunk = Number(args.chunk);

/** A reader that is never asked: the SDK aggregates every measurement, nothing is exported. */
class IdleReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

interface Config {
  readonly name: string;
  readonly interceptors: Interceptor[];
  /** Global state the configuration needs while it runs (a context manager), undone after. */
  readonly around?: { enter(): void; exit(): void };
}

function pair(obs: ReturnType<typeof createObservability>): Interceptor[] {
  if (!obs) throw new Error("expected interceptors");
  return [obs.call, obs.attempt];
}

const contextManager = new AsyncLocalStorageContextManager();
// As an SDK setup (NodeSDK) does; without a context manager, context.with() is a no-op. It slows
// every promise of the process (async hooks), interceptors or not: hence the row without them.
const withContextManager = {
  enter: () => context.setGlobalContextManager(contextManager.enable()),
  exit: () => {
    context.disable();
  },
};
const configs: Config[] = [
  { name: "no interceptors (baseline)", interceptors: [] },
  {
    name: "no interceptors, AsyncLocalStorage context manager on",
    interceptors: [],
    around: withContextManager,
  },
  {
    name: "onCall only, OpenTelemetry off",
    interceptors: pair(
      createObservability({ transport: "grpc", openTelemetry: false, onCall: () => {} }),
    ),
  },
  {
    name: "OpenTelemetry API, no SDK registered",
    interceptors: pair(createObservability({ transport: "grpc" })),
  },
  {
    name: "OpenTelemetry SDK (spans sampled, no exporter; metrics aggregated; context manager on)",
    interceptors: pair(
      createObservability({
        transport: "grpc",
        openTelemetry: {
          tracerProvider: new BasicTracerProvider(),
          meterProvider: new MeterProvider({ readers: [new IdleReader()] }),
          propagator: new W3CTraceContextPropagator(),
        },
      }),
    ),
    around: withContextManager,
  },
];

/** One call, the way each table makes it. */
type Call = () => Promise<unknown>;

function throughTransport(config: Config): Call {
  const transport = createRouterTransport(
    (router) => {
      router.service(SessionsService, { getSession: (req) => ({ session: { id: req.id } }) });
    },
    { transport: { interceptors: config.interceptors } },
  );
  const client = createClient(SessionsService, transport);
  return () => client.getSession({ id: "s1" });
}

function interceptorsAlone(config: Config): Call {
  const method = SessionsService.method.getSession;
  const response: UnaryResponse = {
    stream: false,
    service: SessionsService,
    method,
    header: new Headers(),
    trailer: new Headers(),
    message: create(GetSessionResponseSchema, { session: { id: "s1" } }),
  };
  // Applied as connect does: the first interceptor is outermost.
  const fn = config.interceptors.reduceRight(
    (next: (req: UnaryRequest) => Promise<UnaryResponse>, interceptor) =>
      interceptor(next as Parameters<Interceptor>[0]) as (
        req: UnaryRequest,
      ) => Promise<UnaryResponse>,
    async () => response,
  );
  const message = create(GetSessionRequestSchema, { id: "s1" });
  const url = `https://in-memory/${SessionsService.typeName}/${method.name}`;
  return () =>
    fn({
      stream: false,
      service: SessionsService,
      method,
      requestMethod: "POST",
      url,
      signal: new AbortController().signal,
      header: new Headers(),
      contextValues: createContextValues(),
      message,
    });
}

/** µs per call of each configuration: median and best over the rounds. */
async function run(make: (config: Config) => Call): Promise<{ median: number; best: number }[]> {
  const fns = configs.map(make);
  const totals: number[][] = configs.map(() => []);
  for (let round = 0; round <= rounds; round++) {
    const ms = configs.map(() => 0);
    for (let done = 0, turn = 0; done < calls; done += chunk, turn++) {
      for (let k = 0; k < configs.length; k++) {
        const index = (turn + k) % configs.length;
        const config = configs[index];
        const fn = fns[index];
        if (!config || !fn) throw new Error(`no configuration ${index}`);
        config.around?.enter();
        const start = performance.now();
        for (let i = 0; i < chunk; i++) await fn();
        ms[index] = (ms[index] ?? 0) + performance.now() - start;
        config.around?.exit();
      }
    }
    // Round 0 warms up the JIT for every configuration.
    if (round > 0) {
      for (const [i, total] of ms.entries()) totals[i]?.push((total * 1000) / calls);
    }
  }
  return totals.map((xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median =
      sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    return { median, best: sorted[0] ?? 0 };
  });
}

function print(title: string, results: { median: number; best: number }[]): void {
  const base = results[0] ?? { median: Number.NaN, best: Number.NaN };
  console.log(`\n### ${title}\n`);
  console.log("| configuration | µs/call (median) | × baseline | added µs | µs/call (best) |");
  console.log("|---|---:|---:|---:|---:|");
  configs.forEach((config, i) => {
    const r = results[i] ?? base;
    console.log(
      `| ${config.name} | ${r.median.toFixed(2)} | ${(r.median / base.median).toFixed(2)} | ${(r.median - base.median).toFixed(2)} | ${r.best.toFixed(2)} |`,
    );
  });
}

console.log(
  `Node ${process.version}; ${calls} sequential GetSession calls per configuration and round, in turns of ${chunk}; ${rounds} rounds after a warm-up`,
);
print("Through the in-memory transport", await run(throughTransport));
print("The interceptors alone", await run(interceptorsAlone));
