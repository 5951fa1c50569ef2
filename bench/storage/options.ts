/** The command line of bench/storage.ts, and the two presets it chooses between. */
import { parseArgs } from "node:util";
import type { VectorIndexOptions } from "../../src/server/store/postgres/connection.js";
import { defaultOutDir } from "../harness/paths.js";

export const usage = `usage: npx tsx bench/storage.ts [--quick] [--only PARTS] [--sqlite-only] [--database-url URL]
                          [--sizes SMALL,LARGE] [--scopes N] [--queries N] [--hnsw-m M]
                          [--hnsw-ef-construction N] [--ef-search LIST] [--out DIR]

  --quick                   a smoke run in a few minutes: 2,000 and 5,000 memories, 20 scopes,
                            10 queries per series, 1 s windows (figures not to quote)
  --only PARTS              some of the parts, comma-separated (default search,indexed-creates,reads):
                              search           latency and recall@10 of the default search and of
                                               exact: true, on 3 datasets and with filters; index
                                               build time and size; the efSearch sweep
                              indexed-creates  CreateMemory at 16 callers with the index, then without
                              reads            GetMemory and SearchMemories per second at 16 callers
                              creates          CreateSession, CreateEvent, CreateMemory at 1 and 16
                                               callers on empty stores (not by default: 4 minutes)
  --sqlite-only             leave PostgreSQL out, whatever URL is given or set
  --database-url URL        the PostgreSQL server to measure; else env BENCH_DATABASE_URL, else
                            TEST_DATABASE_URL; with none, SQLite alone. Each run uses fresh schemas
                            (bench_<purpose>_<hex>) and drops them at the end
  --sizes SMALL,LARGE       memories in the one-scope dataset, grown from the first to the second;
                            the spread dataset has LARGE (default 10000,100000)
  --scopes N                scopes the spread dataset is spread over (default 1000)
  --queries N               timed queries per series, after 5 warm-ups (default 100)
  --hnsw-m M                PostgreSQL's HNSW m (default: the store's)
  --hnsw-ef-construction N  its ef_construction (default: the store's)
  --ef-search LIST          efSearch values swept at LARGE in one scope, or "none" (default 20,40,80,160)
  --out DIR                 where storage.md and storage.json go (default bench/results)
  --help`;

/** The parts of a run. */
export const parts = ["search", "indexed-creates", "reads", "creates"] as const;
export type Part = (typeof parts)[number];
const defaultParts: readonly Part[] = ["search", "indexed-creates", "reads"];

/** Everything a run needs to know, presets resolved. */
export interface StorageOptions {
  readonly quick: boolean;
  readonly parts: readonly Part[];
  /** The PostgreSQL URL, or undefined to run SQLite alone. */
  readonly databaseUrl: string | undefined;
  /** Where the URL came from, or why PostgreSQL is skipped. */
  readonly databaseUrlSource: string;
  readonly outDir: string;
  /** The one-scope dataset's sizes: loaded to the first, then grown to the second. */
  readonly sizes: readonly [number, number];
  /** Scopes of the spread dataset, of sizes[1] memories. */
  readonly scopes: number;
  /** Timed queries per series, after the warm-up ones. */
  readonly queries: number;
  readonly warmupQueries: number;
  /** The HNSW index's build parameters given, the store's defaults for the others. */
  readonly hnsw: Pick<VectorIndexOptions, "m" | "efConstruction">;
  readonly efSearch: readonly number[];
  /** The closed loops of indexed-creates and reads: callers, windows (rounds), their length. */
  readonly loop: { concurrency: number; windows: number; windowMs: number; warmupMs: number };
  /** The creates part's rounds, callers and windows. */
  readonly rounds: number;
  readonly concurrency: readonly number[];
  readonly windowMs: number;
  readonly warmupMs: number;
}

/** The options, or undefined after --help. Throws a TypeError naming the option on a bad command line. */
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
      sizes: { type: "string" },
      scopes: { type: "string" },
      queries: { type: "string" },
      "hnsw-m": { type: "string" },
      "hnsw-ef-construction": { type: "string" },
      "ef-search": { type: "string", default: "20,40,80,160" },
      out: { type: "string", default: defaultOutDir },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  const quick = values.quick;
  const { url, source } = values["sqlite-only"]
    ? { url: undefined, source: "--sqlite-only" }
    : databaseUrl(values["database-url"], env);
  const sizes = numbers("--sizes", values.sizes ?? (quick ? "2000,5000" : "10000,100000"), 10);
  const [small, large] = sizes;
  if (sizes.length !== 2 || small === undefined || large === undefined || small >= large) {
    throw new TypeError("`--sizes` takes two sizes, the smaller first, e.g. 10000,100000");
  }
  const scopes = whole("--scopes", values.scopes ?? (quick ? "20" : "1000"), 1);
  if (large / scopes < 10) {
    throw new TypeError(`\`--scopes\` leaves fewer than 10 memories a scope at ${large}`);
  }
  const hnsw = hnswOptions(values["hnsw-m"], values["hnsw-ef-construction"]);
  const efSearch =
    values["ef-search"] === "none" ? [] : numbers("--ef-search", values["ef-search"], 1, 1000);
  return {
    quick,
    parts: partsOf(values.only),
    databaseUrl: url,
    databaseUrlSource: source,
    outDir: values.out,
    sizes: [small, large],
    scopes,
    queries: whole("--queries", values.queries ?? (quick ? "10" : "100"), 1),
    warmupQueries: quick ? 2 : 5,
    hnsw,
    efSearch,
    loop: quick
      ? { concurrency: 16, windows: 1, windowMs: 1_000, warmupMs: 300 }
      : { concurrency: 16, windows: 3, windowMs: 5_000, warmupMs: 1_000 },
    rounds: quick ? 1 : 3,
    concurrency: [1, 16],
    windowMs: quick ? 1_000 : 4_000,
    warmupMs: quick ? 200 : 500,
  };
}

function partsOf(only: string | undefined): readonly Part[] {
  if (only === undefined) return defaultParts;
  const named = only.split(",").map((p) => p.trim());
  const unknown = named.find((p) => !parts.includes(p as Part));
  if (unknown !== undefined || named.length === 0) {
    throw new TypeError(
      `\`--only\` takes some of ${parts.join(", ")}, got ${JSON.stringify(only)}`,
    );
  }
  // In the order the run measures them, whatever the order given.
  return parts.filter((p) => named.includes(p));
}

function whole(option: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`\`${option}\` takes a whole number from ${min} to ${max}, got ${text}`);
  }
  return value;
}

function numbers(option: string, text: string, min: number, max?: number): number[] {
  return text.split(",").map((part) => whole(option, part.trim(), min, max));
}

/** pgvector's limits, checked here so that a bad value fails before minutes of loading. */
function hnswOptions(
  m: string | undefined,
  efConstruction: string | undefined,
): StorageOptions["hnsw"] {
  const given: { m?: number; efConstruction?: number } = {};
  if (m !== undefined) given.m = whole("--hnsw-m", m, 2, 100);
  if (efConstruction !== undefined) {
    given.efConstruction = whole("--hnsw-ef-construction", efConstruction, 4, 1000);
  }
  if (given.m !== undefined && given.efConstruction !== undefined) {
    if (given.efConstruction < 2 * given.m) {
      throw new TypeError("`--hnsw-ef-construction` must be at least twice `--hnsw-m`");
    }
  }
  return given;
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
