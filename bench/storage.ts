// Storage benchmark: the reference services on SQLite and on PostgreSQL, end to end through the
// public facade clients over gRPC, at a scale where search needs an index. See
// bench/README.md, "Storage".
//
//   npx tsx bench/storage.ts [--quick] [--only PARTS] [--database-url URL] [--out DIR] ...
//
// Datasets of seeded embeddings with neighbour structure (storage/vectors.ts): 10,000 memories in
// one scope, grown to 100,000, and 100,000 over 1,000 scopes, loaded straight into the stores.
// Parts (--only): search (latency and recall@10 of the default search against exact: true, with
// filters too; index build time and size; PostgreSQL's efSearch swept), indexed-creates
// (CreateMemory with the index against without), reads (GetMemory and SearchMemories per
// second), creates (the create calls on empty stores; not by default).
// The PostgreSQL URL: --database-url, else BENCH_DATABASE_URL, else TEST_DATABASE_URL; with none,
// SQLite alone. Schemas are bench_<purpose>_<hex>, dropped at the end (Ctrl-C included).
// Progress on stderr; the report on stdout and in <out>/storage.{md,json}. Exit code 1 when any
// call failed or any search page came back short.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { redactedUrl } from "../src/server/store/postgres/connection.js";
import { formatWithBiome } from "./harness/report/biome-format.js";
import { cleanUp, cleanUpOnSignals } from "./storage/cleanup.js";
import { describeContext } from "./storage/context.js";
import { eventSessions } from "./storage/creates.js";
import { renderMarkdown } from "./storage/markdown.js";
import { measureAll } from "./storage/measure.js";
import { parseOptions, type StorageOptions, usage } from "./storage/options.js";
import { countFailures, createRatios, type StorageResults } from "./storage/results.js";
import { evaluateTargets } from "./storage/targets.js";
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

async function run(options: StorageOptions, argv: readonly string[]): Promise<StorageResults> {
  const started = new Date();
  const context = await describeContext(options.databaseUrl, options.databaseUrlSource);
  if (context.postgres.skipped) {
    process.stderr.write(`PostgreSQL skipped: ${context.postgres.reason}\n`);
  }
  const measured = await measureAll(options, context.postgres.skipped ? 1 : 2);
  const finished = new Date();
  return {
    schemaVersion: 2,
    argv,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    wallSeconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
    context,
    settings: {
      quick: options.quick,
      parts: options.parts,
      sizes: options.sizes,
      scopes: options.scopes,
      queries: options.queries,
      warmupQueries: options.warmupQueries,
      hnsw: options.hnsw,
      efSearch: options.efSearch,
      loop: options.loop,
      embeddingDimensions: dimensions,
      rounds: options.rounds,
      concurrency: options.concurrency,
      windowMs: options.windowMs,
      warmupMs: options.warmupMs,
      eventSessions,
    },
    targets: evaluateTargets(measured, options.sizes[1]),
    ...measured,
    creates: { ...measured.creates, ratios: createRatios(measured.creates.cells) },
    failures: countFailures(measured),
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
  process.stderr.write(
    `${results.failures} calls failed or pages came back short: see Failures in the report\n`,
  );
  process.exitCode = 1;
}
