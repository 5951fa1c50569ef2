// CPU cost per call of each piece of the client's policy layer (src/policy), with no network.
//
//   npx tsx bench/policy.ts [--calls 10000] [--rounds 5] [--chunk 500] [--only retry,breaker]
//
// Two settings, one table each:
// 1. The interceptors alone, around a `next` that answers at once with a prebuilt response: their
//    own work and nothing else.
// 2. Through connect's in-memory transport (createRouterTransport) to a GetSession handler that
//    does nothing: the same cost next to the cheapest real call (serialization, routing).
// Configurations take turns in chunks of `--chunk` calls, in a rotating order, so that load from
// elsewhere on the machine falls on all of them alike; each round sums `--calls` calls per
// configuration, after a warm-up round. Chunks are timed in CPU time. Each table shows the median
// and best round, and what a configuration adds to the bare call: the median of its differences
// with it, turn by turn. Compare rows of one run rather than across runs.

import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { arch, cpus, loadavg, platform } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
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
  type GetSessionRequest,
  GetSessionRequestSchema,
  GetSessionResponseSchema,
  SessionsService,
} from "../gen/contextiq/sessions/v1/sessions_pb.js";
import { createServiceInterceptors } from "../src/client/create-transport.js";
import { resolveOptions } from "../src/client/resolve-options.js";
import { createCircuitBreaker } from "../src/policy/circuit-breaker.js";
import { currentDeadline, withDeadline } from "../src/policy/deadline-context.js";
import { createHedgingInterceptor } from "../src/policy/hedging.js";
import { createObservability } from "../src/policy/observability/index.js";
import { createReadCache } from "../src/policy/read-cache.js";
import { RetryBudget } from "../src/policy/retry-budget.js";
import { createRetryInterceptor } from "../src/policy/retry-interceptor.js";
import { formatWithBiome } from "./harness/report/biome-format.js";

/** A configuration: interceptors, and how each call is made. */
interface Config {
  /** Short name, for `--only`. */
  readonly name: string;
  readonly description: string;
  /** Made afresh for each setting, so that no state (cache, window, tokens) carries over. */
  readonly interceptors: () => Interceptor[];
  /** The call's `timeoutMs`; connect turns it into a header and a timer. */
  readonly timeoutMs?: number;
  /** Each call runs in its own `withDeadline`, and takes its timeout from it as the facade does. */
  readonly underDeadline?: boolean;
  /** How many different requests the calls go through in turn. Defaults to 1. */
  readonly distinctRequests?: number;
  /** Process-wide state the configuration needs while it runs, undone after its turn. */
  readonly around?: { enter?(): void; exit(): void };
}

/** The options a client resolves to with no options and no environment: the facade's defaults. */
const defaults = resolveOptions({ env: {} }, { envPrefix: "BENCH", baseUrl: "http://localhost" });
const retryOptions = {
  maxRetries: defaults.maxRetries,
  retryDelayMs: defaults.retryDelayMs,
  maxRetryDelayMs: defaults.maxRetryDelayMs,
};
const retryWithBudget = () =>
  createRetryInterceptor({ ...retryOptions, budget: new RetryBudget(defaults.retryBudget) });
// More than the cache keeps (1000 by default), taken in turn: the oldest entry, the next one
// asked for, is always the one just evicted.
const cacheMissRequests = 2048;

/** A reader that is never asked: the SDK aggregates every measurement, nothing is exported. */
class IdleReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

function observability(options: Parameters<typeof createObservability>[0]) {
  const interceptors = createObservability(options);
  if (!interceptors) throw new Error("expected observability interceptors");
  return interceptors;
}

/** The chain the facade builds from `defaults` (the same function `createServiceTransport` calls). */
function facadeChain(): Interceptor[] {
  return createServiceInterceptors(defaults, {});
}

const contextManager = new AsyncLocalStorageContextManager();
// As an SDK setup (NodeSDK) does; without a context manager, context.with() is a no-op. It slows
// every promise of the process (async hooks), interceptors or not: hence a row without them.
const withContextManager = {
  enter: () => context.setGlobalContextManager(contextManager.enable()),
  exit: () => {
    context.disable();
  },
};

/**
 * Once withDeadline has run, Node keeps an async hook on every promise of the process until its
 * AsyncLocalStorage is disabled. The storage is caught on a first run, so that the row under a
 * deadline can disable it after each turn and leave the other rows as they would be without it.
 */
function catchDeadlineStorage(): AsyncLocalStorage<unknown> | undefined {
  const prototype = AsyncLocalStorage.prototype as unknown as {
    run(this: AsyncLocalStorage<unknown>, ...args: unknown[]): unknown;
  };
  const run = prototype.run;
  let storage: AsyncLocalStorage<unknown> | undefined;
  prototype.run = function (this: AsyncLocalStorage<unknown>, ...args: unknown[]) {
    storage = this;
    return run.apply(this, args);
  };
  try {
    withDeadline({}, () => undefined);
  } finally {
    prototype.run = run;
  }
  if (!storage) console.warn("withDeadline ran no AsyncLocalStorage: nothing to disable");
  storage?.disable();
  return storage;
}
let deadlineStorage: AsyncLocalStorage<unknown> | undefined;

const configs: Config[] = [
  { name: "bare", description: "no interceptors (baseline)", interceptors: () => [] },
  {
    name: "timeout",
    description:
      "no interceptors, `timeoutMs` 30 s: connect's header (and, in a transport, its timer)",
    interceptors: () => [],
    timeoutMs: defaults.timeoutMs,
  },
  {
    name: "retry",
    description: "retry interceptor, no budget, no timeout",
    interceptors: () => [createRetryInterceptor(retryOptions)],
  },
  {
    name: "retry-budget",
    description: "retry interceptor with a retry budget",
    interceptors: () => [retryWithBudget()],
  },
  {
    name: "retry-timeout",
    description: "retry + budget, `timeoutMs` 30 s: the timeout header read and rewritten",
    interceptors: () => [retryWithBudget()],
    timeoutMs: defaults.timeoutMs,
  },
  {
    name: "with-deadline",
    description: "retry + budget, each call in its own `withDeadline` of 30 s (an async hook on)",
    interceptors: () => [retryWithBudget()],
    timeoutMs: defaults.timeoutMs,
    underDeadline: true,
    around: { exit: () => deadlineStorage?.disable() },
  },
  {
    name: "breaker",
    description: "circuit breaker, closed",
    interceptors: () => [createCircuitBreaker(defaults.circuitBreaker)],
  },
  {
    name: "hedging",
    description: "hedging (50 ms), answered before the hedge",
    interceptors: () => [createHedgingInterceptor({ delayMs: 50 })],
  },
  {
    name: "cache-miss",
    description: `read cache, every call a miss (${cacheMissRequests} requests in turn)`,
    interceptors: () => [createReadCache({ ttlMs: 60_000 })],
    distinctRequests: cacheMissRequests,
  },
  {
    name: "cache-hit",
    description: "read cache, every call a hit (no transport at all)",
    interceptors: () => [createReadCache({ ttlMs: 60_000 })],
  },
  {
    name: "context-manager",
    description: "no interceptors, OpenTelemetry's AsyncLocalStorage context manager on",
    interceptors: () => [],
    around: withContextManager,
  },
  {
    name: "obs-oncall",
    description: "observability: `onCall` only, OpenTelemetry off",
    interceptors: () => {
      const obs = observability({ transport: "json", openTelemetry: false, onCall: () => {} });
      return [obs.call, obs.attempt];
    },
  },
  {
    name: "obs-api",
    description: "observability: OpenTelemetry API, no SDK registered",
    interceptors: () => {
      const obs = observability({ transport: "json" });
      return [obs.call, obs.attempt];
    },
  },
  {
    name: "obs-sdk",
    description:
      "observability: OpenTelemetry SDK (spans sampled, no exporter; metrics aggregated; context manager on)",
    interceptors: () => {
      const obs = observability({
        transport: "json",
        openTelemetry: {
          tracerProvider: new BasicTracerProvider(),
          meterProvider: new MeterProvider({ readers: [new IdleReader()] }),
          propagator: new W3CTraceContextPropagator(),
        },
      });
      return [obs.call, obs.attempt];
    },
    around: withContextManager,
  },
  {
    name: "facade",
    description:
      "the facade's default chain (observability with the API alone, auth, retry + budget, breaker), `timeoutMs` 30 s",
    interceptors: facadeChain,
    timeoutMs: defaults.timeoutMs,
  },
];

const usage = `usage: npx tsx bench/policy.ts [--calls N] [--rounds N] [--chunk N] [--only NAMES] [--out FILE]

  --calls N     calls per configuration and round (default 10000)
  --rounds N    measured rounds, after a warm-up round (default 5)
  --chunk N     calls a configuration makes in a row before the next one's turn (default 500)
  --only NAMES  comma-separated configurations; "bare", the baseline, always runs. Of:
                ${configs.map((c) => c.name).join(", ")}
  --out FILE    where the tables are written as well (default bench/results/policy.md)`;

function usageError(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        calls: { type: "string", default: "10000" },
        rounds: { type: "string", default: "5" },
        chunk: { type: "string", default: "500" },
        only: { type: "string" },
        out: {
          type: "string",
          default: fileURLToPath(new URL("results/policy.md", import.meta.url)),
        },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    return usageError(e instanceof Error ? e.message : String(e));
  }
}
const args = parseOptions();
if (args.help) {
  console.log(usage);
  process.exit(0);
}

function count(option: "calls" | "rounds" | "chunk"): number {
  const value = Number(args[option]);
  if (!Number.isInteger(value) || value < 1) {
    usageError(`\`--${option}\` must be a whole number above 0, got "${args[option]}"`);
  }
  return value;
}
const calls = count("calls");
const rounds = count("rounds");
const chunk = count("chunk");
const only = args.only?.split(",").map((name) => name.trim());
const unknown = only?.filter((name) => !configs.some((c) => c.name === name)) ?? [];
if (unknown.length > 0) usageError(`unknown in \`--only\`: ${unknown.join(", ")}`);
const selected = configs.filter((c, i) => i === 0 || !only || only.includes(c.name));
if (selected.some((c) => c.underDeadline)) deadlineStorage = catchDeadlineStorage();

/** One call, the way a setting makes it. */
type Call = () => Promise<unknown>;

/**
 * Makes `call` with the configuration's timeout or, under a deadline, inside its own
 * `withDeadline` with the timeout the facade derives from it (ServiceClient.connectOptions).
 */
function withTimeout(config: Config, call: (timeoutMs: number | undefined) => Promise<unknown>) {
  if (!config.underDeadline) return () => call(config.timeoutMs);
  return () =>
    withDeadline({ timeoutMs: config.timeoutMs }, () => {
      const deadlineMs = currentDeadline()?.deadlineMs;
      return call(
        deadlineMs === undefined
          ? config.timeoutMs
          : Math.min(config.timeoutMs ?? defaults.timeoutMs, deadlineMs - Date.now()),
      );
    });
}

function sessionIds(config: Config): string[] {
  return Array.from({ length: config.distinctRequests ?? 1 }, () => randomUUID());
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
  type Next = (req: UnaryRequest) => Promise<UnaryResponse>;
  // Applied as connect does: the first interceptor is outermost.
  const fn = config.interceptors().reduceRight(
    (next: Next, interceptor) => interceptor(next as Parameters<Interceptor>[0]) as Next,
    async () => response,
  );
  const messages: GetSessionRequest[] = sessionIds(config).map((id) =>
    create(GetSessionRequestSchema, { id }),
  );
  const url = `https://in-memory/${SessionsService.typeName}/${method.name}`;
  let i = 0;
  return withTimeout(config, (timeoutMs) =>
    fn({
      stream: false,
      service: SessionsService,
      method,
      requestMethod: "POST",
      url,
      signal: new AbortController().signal,
      // As connect writes it for the Connect protocol, the facade's default ("json").
      header:
        timeoutMs === undefined
          ? new Headers()
          : new Headers({ "connect-timeout-ms": String(timeoutMs) }),
      contextValues: createContextValues(),
      message: messages[i++ % messages.length] as GetSessionRequest,
    }),
  );
}

function throughTransport(config: Config): Call {
  const transport = createRouterTransport(
    (router) => {
      router.service(SessionsService, { getSession: (req) => ({ session: { id: req.id } }) });
    },
    { transport: { interceptors: config.interceptors() } },
  );
  const client = createClient(SessionsService, transport);
  const ids = sessionIds(config);
  let i = 0;
  return withTimeout(config, (timeoutMs) =>
    client.getSession(
      { id: ids[i++ % ids.length] as string },
      timeoutMs === undefined ? undefined : { timeoutMs },
    ),
  );
}

/** CPU µs per call of each selected configuration, per round and per turn. */
interface Timings {
  readonly rounds: number[][];
  readonly turns: number[][];
}

async function run(make: (config: Config) => Call): Promise<Timings> {
  const fns = selected.map(make);
  const timings: Timings = { rounds: selected.map(() => []), turns: selected.map(() => []) };
  for (let round = 0; round <= rounds; round++) {
    const roundUs = selected.map(() => 0);
    for (let done = 0, turn = 0; done < calls; done += chunk, turn++) {
      const n = Math.min(chunk, calls - done);
      for (let k = 0; k < selected.length; k++) {
        const index = (turn + k) % selected.length;
        const config = selected[index] as Config;
        const fn = fns[index] as Call;
        config.around?.enter?.();
        // CPU time rather than wall time: time the process waits for a core on a busy machine
        // is not counted.
        const start = process.cpuUsage();
        for (let j = 0; j < n; j++) await fn();
        const { user, system } = process.cpuUsage(start);
        config.around?.exit();
        roundUs[index] = (roundUs[index] ?? 0) + user + system;
        // Round 0 warms up the JIT for every configuration.
        if (round > 0) timings.turns[index]?.push((user + system) / n);
      }
    }
    if (round > 0) {
      for (const [i, us] of roundUs.entries()) timings.rounds[i]?.push(us / calls);
    }
  }
  return timings;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function signed(x: number): string {
  return `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;
}

/**
 * Median and best round of each configuration, and what it adds to the bare call: the median of
 * its differences with `bare` turn by turn, which a burst of load elsewhere moves less than it
 * moves a difference of round figures.
 */
function table(title: string, { rounds, turns }: Timings): string {
  const bare = turns[0] as number[];
  const rows = selected.map((config, i) => {
    const xs = rounds[i] as number[];
    const added = median((turns[i] as number[]).map((x, turn) => x - (bare[turn] ?? Number.NaN)));
    return `| ${config.name} | ${config.description} | ${median(xs).toFixed(2)} | ${Math.min(...xs).toFixed(2)} | ${signed(added)} |`;
  });
  return [
    `## ${title}`,
    "",
    "| name | configuration | µs/call (median) | µs/call (best) | added µs |",
    "|---|---|---:|---:|---:|",
    ...rows,
    "",
  ].join("\n");
}

const command = ["npx tsx bench/policy.ts", ...process.argv.slice(2)].join(" ");
const cpu = cpus();
const header = [
  "# Policy layer: CPU cost per call",
  "",
  `\`${command}\` on ${new Date().toISOString().slice(0, 10)}: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, Node ${process.version} (${platform()} ${arch()}); load average ${loadavg()[0]?.toFixed(1)} at the start.`,
  `${calls} sequential GetSession calls per configuration and round, in turns of ${chunk}; ${rounds} rounds after a warm-up. CPU time (user and system) per call; "added" is the median, over every turn, of the difference with \`bare\` (the first row) in the same turn.`,
  "",
].join("\n");
console.log(header);
const alone = table("The interceptors alone", await run(interceptorsAlone));
console.log(alone);
const transported = table("Through connect's in-memory transport", await run(throughTransport));
console.log(transported);
await mkdir(dirname(args.out), { recursive: true });
// Formatted as Biome would, so that `biome ci` passes on a fresh run's file.
await writeFile(
  args.out,
  await formatWithBiome([header, alone, transported].join("\n"), "policy.md"),
);
console.error(`written to ${args.out}`);
