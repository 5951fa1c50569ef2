/** The harness's command line: options, their defaults, the --quick preset, and the usage text. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type ServerName, serverNames, type VariantName, variantNames } from "./catalog.js";
import { defaultOutDir } from "./paths.js";
import { type CallName, callNames } from "./workload.js";

/** What one run measures, and where it writes. */
export interface BenchOptions {
  readonly quick: boolean;
  readonly rounds: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly jitWarmupCpuMs: number;
  readonly concurrency: readonly number[];
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
  servers: serverNames,
};

/** Under a minute: the servers that isolate client cost, two concurrencies, one short round. */
const quick = {
  rounds: 1,
  warmupMs: 100,
  durationMs: 150,
  jitWarmupCpuMs: 200,
  concurrency: [1, 64],
  servers: ["canned", "grpcjs"] as const,
};

export const usage = `usage: npx tsx bench/harness/main.ts [options]

Client benchmarks: every client variant in its own process against every server in its own
process, closed loop, variants interleaved over several rounds, medians reported.

  --quick                 a smoke run in under a minute: canned and grpcjs servers,
                          concurrency 1 and 64, one round of short windows
  --rounds N              rounds of every cell (default ${full.rounds}; quick ${quick.rounds})
  --duration-ms N         measured window per cell and variant (default ${full.durationMs}; quick ${quick.durationMs})
  --warmup-ms N           warm-up before each window (default ${full.warmupMs}; quick ${quick.warmupMs})
  --jit-warmup-cpu-ms N   CPU time each client spends on each call before the first round,
                          all clients at once, so that windows measure optimised code
                          (default ${full.jitWarmupCpuMs}; quick ${quick.jitWarmupCpuMs})
  --concurrency LIST      concurrent callers (default ${full.concurrency.join(",")})
  --servers LIST          ${serverNames.join(",")} (default all)
  --variants LIST         ${variantNames.slice(0, 5).join(",")},
                          ${variantNames.slice(5).join(",")} (default all)
  --calls LIST            ${callNames.join(",")} (default both)
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
      ? [...new Set(list(values.concurrency).map((n) => integer("--concurrency", n, 0, 1)))].sort(
          (a, b) => a - b,
        )
      : preset.concurrency,
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
