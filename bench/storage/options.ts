/** The command line of bench/storage.ts, and the two presets it chooses between. */
import { parseArgs } from "node:util";
import { defaultOutDir } from "../harness/paths.js";

export const usage = `usage: npx tsx bench/storage.ts [--quick] [--only creates|search] [--sqlite-only]
                          [--database-url URL] [--out DIR]

  --quick              a smoke run: 1 s windows, one round, searches at 2,000 and 10,000
                       memories, 5 queries each (noisy: for checking that it works)
  --only PART          measure only the creates, or only the searches
  --sqlite-only        leave PostgreSQL out, whatever URL is given or set
  --database-url URL   the PostgreSQL server to measure; else env BENCH_DATABASE_URL, else
                       TEST_DATABASE_URL; with none, SQLite alone. Each run uses fresh schemas
                       (bench_<hex>) and drops them at the end
  --out DIR            where storage.md and storage.json go (default bench/results)
  --help`;

/** The parts of a run. */
export const parts = ["creates", "search"] as const;
export type Part = (typeof parts)[number];

/** Everything a run needs to know, presets resolved. */
export interface StorageOptions {
  readonly quick: boolean;
  /** The parts measured: both unless --only names one. */
  readonly parts: readonly Part[];
  /** The PostgreSQL URL, or undefined to run SQLite alone. */
  readonly databaseUrl: string | undefined;
  /** Where the URL came from, or why PostgreSQL is skipped. */
  readonly databaseUrlSource: string;
  readonly outDir: string;
  /** Rounds of the creates; the engine order alternates from one to the next. */
  readonly rounds: number;
  /** Concurrent callers of the creates' closed loops. */
  readonly concurrency: readonly number[];
  /** Each create window, after its warm-up. */
  readonly windowMs: number;
  readonly warmupMs: number;
  /** Memories in the searched scope: the first size, then grown to the second. */
  readonly searchSizes: readonly [number, number];
  /** Timed queries per size and engine, after the warm-up queries. */
  readonly searchQueries: number;
  readonly searchWarmupQueries: number;
}

/** The options, or undefined after --help. Throws parseArgs' TypeError on a bad command line. */
export function parseOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): StorageOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      "sqlite-only": { type: "boolean", default: false },
      "database-url": { type: "string" },
      out: { type: "string", default: defaultOutDir },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  const only = values.only;
  if (only !== undefined && !parts.includes(only as Part)) {
    throw new TypeError(`--only takes ${parts.join(" or ")}, got ${JSON.stringify(only)}`);
  }
  const { url, source } = values["sqlite-only"]
    ? { url: undefined, source: "--sqlite-only" }
    : databaseUrl(values["database-url"], env);
  const quick = values.quick;
  return {
    quick,
    parts: only === undefined ? parts : [only as Part],
    databaseUrl: url,
    databaseUrlSource: source,
    outDir: values.out,
    rounds: quick ? 1 : 3,
    concurrency: [1, 16],
    windowMs: quick ? 1_000 : 4_000,
    warmupMs: quick ? 200 : 500,
    searchSizes: quick ? [2_000, 10_000] : [10_000, 100_000],
    searchQueries: quick ? 5 : 30,
    searchWarmupQueries: 2,
  };
}

function databaseUrl(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): { url: string | undefined; source: string } {
  if (option) return { url: option, source: "--database-url" };
  for (const name of ["BENCH_DATABASE_URL", "TEST_DATABASE_URL"]) {
    const url = env[name];
    if (url) return { url, source: `env ${name}` };
  }
  return {
    url: undefined,
    source: "no --database-url, and neither BENCH_DATABASE_URL nor TEST_DATABASE_URL is set",
  };
}
