/** The harness's command line: options, their defaults, the --quick preset, and the usage text. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type ServerName, serverNames, type VariantName, variantNames } from "./catalog.js";
import { defaultOutDir } from "./paths.js";
import { type CallName, callNames, payloadCallNames } from "./workload.js";

/** What one run measures, and where it writes. */
export interface BenchOptions {
  readonly quick: boolean;
  readonly rounds: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly jitWarmupCpuMs: number;
  readonly concurrency: readonly number[];
  /** Concurrencies of the payload calls (createMemory, listMemories, searchMemories). */
  readonly payloadConcurrency: readonly number[];
  /** The same on the reference server. */
  readonly referencePayloadConcurrency: readonly number[];
  readonly servers: readonly ServerName[];
  readonly variants: readonly VariantName[];
  readonly calls: readonly CallName[];
  readonly outDir: string;
  readonly cpuProf: boolean;
}

const full = {
  rounds: 3,
  // The warm-up also stretches until every caller has completed a call: 100 ms is enough to
  // settle pools and caches after another process's window; the window gets the time instead.
  warmupMs: 100,
  durationMs: 450,
  jitWarmupCpuMs: 1_500,
  concurrency: [1, 16, 64, 256],
  // Each payload call costs a JSON client milliseconds of CPU, and a window at c=64 needs every
  // caller's first answer before it opens: at all four concurrencies they would double the run.
  // 64 is where the targets are judged, 1 the latency of a lone call.
  payloadConcurrency: [1, 64],
  // The reference server takes about 100 ms to serve a page of 80 memories: more callers than one
  // would measure its queue (seconds per call at 64), and cost minutes per round.
  referencePayloadConcurrency: [1],
  servers: serverNames,
};

/** A few minutes: the servers that isolate client cost, two concurrencies, one short round. */
const quick = {
  rounds: 1,
  warmupMs: 100,
  durationMs: 150,
  jitWarmupCpuMs: 200,
  concurrency: [1, 64],
  payloadConcurrency: [1, 64],
  referencePayloadConcurrency: [1],
  servers: ["canned", "grpcjs"] as const,
};

export const usage = `usage: npm run bench -- [options]

Client benchmarks: every client variant in its own process against every server in its own
process, closed loop, variants interleaved over several rounds, medians reported.

  --quick                 a smoke run of a few minutes: canned and grpcjs servers,
                          concurrency 1 and 64, one round of short windows
  --rounds N              rounds of every cell (default ${full.rounds}; quick ${quick.rounds})
  --duration-ms N         measured window per cell and variant (default ${full.durationMs}; quick ${quick.durationMs})
  --warmup-ms N           warm-up before each window (default ${full.warmupMs}; quick ${quick.warmupMs})
  --jit-warmup-cpu-ms N   CPU time each client spends on each call before the first round,
                          all clients at once, so that windows measure optimised code
                          (default ${full.jitWarmupCpuMs}; quick ${quick.jitWarmupCpuMs})
  --concurrency LIST      concurrent callers of createEvent and getMemory
                          (default ${full.concurrency.join(",")})
  --payload-concurrency LIST
                          concurrent callers of ${payloadCallNames.join(", ")}
                          on the canned and grpcjs servers (default ${full.payloadConcurrency.join(",")})
  --reference-payload-concurrency LIST
                          the same on the reference server (default ${full.referencePayloadConcurrency.join(",")})
  --servers LIST          ${serverNames.join(",")} (default all)
  --variants LIST         ${variantNames.slice(0, 4).join(",")},
                          ${variantNames.slice(4, 8).join(",")},
                          ${variantNames.slice(8).join(",")} (default all)
  --calls LIST            ${callNames.slice(0, 3).join(",")},
                          ${callNames.slice(3).join(",")} (default all)
  --out DIR               where latest.{md,json,svg} go (default bench/results)
  --cpu-prof              profile the client processes (node --cpu-prof) into
                          DIR/profiles/SERVER/VARIANT/ (open them in Chrome DevTools)
  --help                  this text

Results: DIR/latest.md (tables, targets, chart), latest.json (every figure), latest.svg.
The report goes to stdout, progress to stderr.`;

/** A command-line mistake, reported with the usage text. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Parses `argv`; returns undefined when --help was asked for. */
export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      quick: { type: "boolean", default: false },
      rounds: { type: "string" },
      "duration-ms": { type: "string" },
      "warmup-ms": { type: "string" },
      "jit-warmup-cpu-ms": { type: "string" },
      concurrency: { type: "string" },
      "payload-concurrency": { type: "string" },
      "reference-payload-concurrency": { type: "string" },
      servers: { type: "string" },
      variants: { type: "string" },
      calls: { type: "string" },
      out: { type: "string" },
      "cpu-prof": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  const preset = values.quick ? quick : full;
  return {
    quick: values.quick,
    rounds: integer("--rounds", values.rounds, preset.rounds, 1),
    warmupMs: integer("--warmup-ms", values["warmup-ms"], preset.warmupMs, 0),
    durationMs: integer("--duration-ms", values["duration-ms"], preset.durationMs, 50),
    jitWarmupCpuMs: integer(
      "--jit-warmup-cpu-ms",
      values["jit-warmup-cpu-ms"],
      preset.jitWarmupCpuMs,
      0,
    ),
    concurrency: values.concurrency
      ? integers("--concurrency", values.concurrency)
      : preset.concurrency,
    payloadConcurrency: values["payload-concurrency"]
      ? integers("--payload-concurrency", values["payload-concurrency"])
      : preset.payloadConcurrency,
    referencePayloadConcurrency: values["reference-payload-concurrency"]
      ? integers("--reference-payload-concurrency", values["reference-payload-concurrency"])
      : preset.referencePayloadConcurrency,
    servers: values.servers ? names("--servers", values.servers, serverNames) : preset.servers,
    variants: values.variants ? names("--variants", values.variants, variantNames) : variantNames,
    calls: values.calls ? names("--calls", values.calls, callNames) : callNames,
    outDir: values.out === undefined ? defaultOutDir : resolve(values.out),
    cpuProf: values["cpu-prof"],
  };
}

function list(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** A list of distinct positive integers, ascending. */
function integers(option: string, text: string): number[] {
  return [...new Set(list(text).map((n) => integer(option, n, 0, 1)))].sort((a, b) => a - b);
}

function integer(option: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`\`${option}\` must be an integer of at least ${min}, got "${text}"`);
  }
  return value;
}

function names<const T extends string>(option: string, text: string, known: readonly T[]): T[] {
  const chosen = list(text);
  const unknown = chosen.filter((name) => !(known as readonly string[]).includes(name));
  if (unknown.length > 0 || chosen.length === 0) {
    throw new UsageError(
      `\`${option}\` takes a list of ${known.join(", ")}; got "${unknown.join(",") || text}"`,
    );
  }
  // In the catalog's order, whatever the order given: tables and rotations stay comparable.
  return known.filter((name) => chosen.includes(name));
}

/** The concurrencies `call` is measured at on `server`. */
export function concurrencyOf(
  call: CallName,
  server: ServerName,
  options: Pick<BenchOptions, "concurrency" | "payloadConcurrency" | "referencePayloadConcurrency">,
): readonly number[] {
  if (!payloadCallNames.includes(call)) return options.concurrency;
  return server === "reference" ? options.referencePayloadConcurrency : options.payloadConcurrency;
}
