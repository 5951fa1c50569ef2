// Storage benchmark: the reference services on SQLite and on PostgreSQL, end to end through the
// public facade clients over gRPC. See bench/README.md, "Storage".
//
//   npx tsx bench/storage.ts [--quick] [--only creates|search] [--sqlite-only] [--database-url URL] [--out DIR]
//
// 1. Creates per second (CreateSession, CreateEvent, CreateMemory with a 1536-float embedding):
//    the services started in this process with startServices on a fresh SQLite folder and on a
//    fresh PostgreSQL schema; closed loops of 1 and 16 callers, a fixed window each, over rounds
//    whose engine order alternates so that drift of the machine falls on both. Median creates/s,
//    p50 and p99 per (call, callers, engine), and PostgreSQL's creates/s over SQLite's.
// 2. SearchMemories latency with every memory in the one scope searched: seeded pseudo-random
//    1536-float embeddings loaded through the stores (untimed, its pace reported as an extra),
//    then the services opened on the same data and queried one at a time through the facade;
//    the store grows from the first size to the second. SQLite ranks in Node; PostgreSQL with
//    pgvector, and in Node (vectorSearch "exact") at the first size only.
// The PostgreSQL URL: --database-url, else BENCH_DATABASE_URL, else TEST_DATABASE_URL; with none,
// SQLite alone. Schemas are bench_<purpose>_<hex>, dropped at the end (Ctrl-C included).
// Progress on stderr; the report on stdout and in <out>/storage.{md,json}. Exit code 1 when any
// call failed.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { redactedUrl } from "../src/server/store/postgres/connection.js";
import { formatWithBiome } from "./harness/report/biome-format.js";
import { cleanUp, cleanUpOnSignals } from "./storage/cleanup.js";
import { describeContext } from "./storage/context.js";
import { eventSessions, measureCreates, plannedWindows } from "./storage/creates.js";
import { postgresStorage, type Storage, sqliteStorage } from "./storage/engines.js";
import { renderMarkdown } from "./storage/markdown.js";
import { type Part, parseOptions, type StorageOptions, usage } from "./storage/options.js";
import { Progress } from "./storage/progress.js";
import { countFailures, createRatios, type StorageResults } from "./storage/results.js";
import { measureSearch, plannedBatches } from "./storage/search.js";
import { dimensions } from "./storage/vectors.js";

function commandLine(argv: readonly string[]): StorageOptions {
  try {
    const options = parseOptions(argv, process.env);
    if (options !== undefined) return options;
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`);
    process.exit(2);
  }
}

/** A fresh storage of each engine measured, for one purpose ("creates", "search"). */
async function storagesFor(options: StorageOptions, purpose: string): Promise<Storage[]> {
  const sqlite = await sqliteStorage(purpose);
  const url = options.databaseUrl;
  return url === undefined ? [sqlite] : [sqlite, postgresStorage(url, purpose)];
}

async function run(options: StorageOptions, argv: readonly string[]): Promise<StorageResults> {
  const started = new Date();
  const context = await describeContext(options.databaseUrl, options.databaseUrlSource);
  if (context.postgres.skipped) {
    process.stderr.write(`PostgreSQL skipped: ${context.postgres.reason}\n`);
  }
  const engines = context.postgres.skipped ? 1 : 2;
  const createSettings = {
    rounds: options.rounds,
    concurrency: options.concurrency,
    windowMs: options.windowMs,
    warmupMs: options.warmupMs,
  };
  const measuring = (part: Part) => options.parts.includes(part);
  const progress = new Progress(
    (measuring("creates") ? plannedWindows(createSettings, engines) : 0) +
      (measuring("search") ? plannedBatches(engines === 2) : 0),
  );
  const creates = measuring("creates")
    ? await measureCreates(await storagesFor(options, "creates"), createSettings, progress)
    : { cells: [], warmups: [] };
  const { searches, loads } = measuring("search")
    ? await measureSearch(
        await storagesFor(options, "search"),
        {
          sizes: options.searchSizes,
          queries: options.searchQueries,
          warmupQueries: options.searchWarmupQueries,
        },
        progress,
      )
    : { searches: [], loads: [] };
  const finished = new Date();
  return {
    schemaVersion: 1,
    argv,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    wallSeconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
    context,
    settings: {
      quick: options.quick,
      parts: options.parts,
      rounds: options.rounds,
      concurrency: options.concurrency,
      windowMs: options.windowMs,
      warmupMs: options.warmupMs,
      searchSizes: options.searchSizes,
      searchQueries: options.searchQueries,
      searchWarmupQueries: options.searchWarmupQueries,
      embeddingDimensions: dimensions,
      eventSessions,
    },
    creates: { ...creates, ratios: createRatios(creates.cells) },
    search: searches,
    loads,
    failures: countFailures(creates.cells, creates.warmups, searches),
  };
}

/** Six significant digits are more than any figure here means; the rest is noise in the file. */
function roundFigures(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value)
    ? Number(value.toPrecision(6))
    : value;
}

async function writeReport(results: StorageResults, outDir: string): Promise<string> {
  const command = ["npx tsx bench/storage.ts", ...results.argv].join(" ");
  const [markdown, json] = await Promise.all([
    formatWithBiome(renderMarkdown(results, command), "storage.md"),
    formatWithBiome(JSON.stringify(results, roundFigures, 2), "storage.json"),
  ]);
  await mkdir(outDir, { recursive: true });
  await Promise.all([
    writeFile(join(outDir, "storage.md"), markdown),
    writeFile(join(outDir, "storage.json"), json),
  ]);
  return markdown;
}

/** The command line with any password in the database URL hidden: it goes into the report. */
function redactedArgv(argv: readonly string[]): string[] {
  return argv.map((arg, i) => {
    if (argv[i - 1] === "--database-url") return redactedUrl(arg);
    const inline = "--database-url=";
    return arg.startsWith(inline) ? `${inline}${redactedUrl(arg.slice(inline.length))}` : arg;
  });
}

const argv = process.argv.slice(2);
const options = commandLine(argv);
cleanUpOnSignals();
let results: StorageResults;
try {
  results = await run(options, redactedArgv(argv));
} finally {
  await cleanUp();
}
const markdown = await writeReport(results, options.outDir);
process.stdout.write(markdown);
process.stderr.write(`written to ${join(options.outDir, "storage.md")} and storage.json\n`);
if (results.failures > 0) {
  process.stderr.write(`${results.failures} calls failed: see Failures in the report\n`);
  process.exitCode = 1;
}
