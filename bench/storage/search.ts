/**
 * SearchMemories latency as the scope grows: memories loaded through the stores (load.ts), then
 * the services started on the same file or schema and queried through the facade over gRPC, one
 * query at a time. Every memory is in the one scope searched: every one is a candidate.
 */

import { sig3 } from "../harness/report/format.js";
import { percentile } from "../harness/stats.js";
import { type EngineName, type Running, type Storage, startOn } from "./engines.js";
import { type LoadRecord, loadMemories, searchScope } from "./load.js";
import type { Progress } from "./progress.js";
import { embeddings, streams } from "./vectors.js";

/** How the services rank: SQLite in Node, PostgreSQL with pgvector or in Node. */
export type SearchEngine = "sqlite" | "postgres-pgvector" | "postgres-exact";

export interface SearchSettings {
  /** The first size, then grown to the second by adding memories to the same store. */
  readonly sizes: readonly [number, number];
  readonly queries: number;
  readonly warmupQueries: number;
}

/** One batch of queries: a size, an engine. */
export interface SearchRecord {
  readonly size: number;
  readonly engine: SearchEngine;
  /** Where the services said their data was, e.g. "…, schema bench_…(PostgreSQL, pgvector search)". */
  readonly storage: string;
  /** Timed queries that answered, and those that failed. */
  readonly queries: number;
  readonly failures: number;
  readonly firstError: string | null;
  /** Each successful query's latency, in the order they ran. */
  readonly latenciesMs: number[];
  readonly p50Ms: number | null;
  /** The p99, or the max when fewer than 100 queries answered (the p99 of those is the max). */
  readonly tail: { readonly label: "p99" | "max"; readonly ms: number | null };
  readonly meanMs: number | null;
  /** Queries whose 10 results were the same memories, in the same order, as SQLite's. */
  readonly sameAsSqlite: number | null;
}

const results = 10;
/** Searches of 100k memories ranked in Node take seconds: more than the facade's default 30 s is allowed. */
const searchTimeoutMs = 300_000;

/** Batches of queries a run makes, for the progress lines. */
export function plannedBatches(withPostgres: boolean): number {
  return withPostgres ? 5 : 2;
}

/**
 * For each size, in turn: loads each storage up to it (the engine order alternating by size), and
 * times the searches on each engine; PostgreSQL ranking in Node only at the first size, since it
 * streams every candidate's 6 KB embedding to Node.
 */
export async function measureSearch(
  storages: readonly Storage[],
  settings: SearchSettings,
  progress: Progress,
): Promise<{ searches: SearchRecord[]; loads: LoadRecord[] }> {
  const queries = embeddings(streams.queries, settings.warmupQueries + settings.queries).map(
    (e) => e.values,
  );
  const searches: SearchRecord[] = [];
  const loads: LoadRecord[] = [];
  let loaded = 0;
  for (const [sizeIndex, size] of settings.sizes.entries()) {
    const order = sizeIndex % 2 === 0 ? storages : [...storages].reverse();
    const batches: (SearchRecord & { tops: (string[] | null)[] })[] = [];
    for (const storage of order) {
      loads.push(await loadMemories(storage, loaded, size, progress));
      for (const wanted of enginesOf(storage.engine, sizeIndex === 0)) {
        const running = await startOn(storage, wanted === "postgres-exact" ? "exact" : "auto");
        // "auto" ranks in Node when the database has no pgvector: then that is what it measured.
        const engine = rankedAs(wanted, running.services.storage);
        try {
          const batch = await timeSearches(running, queries, settings.warmupQueries, size, engine);
          batches.push(batch);
          progress.step(`search ${size} ${engine}: ${describeBatch(batch)}`);
        } finally {
          await running.close();
        }
        if (engine !== wanted) break;
      }
    }
    const sqlite = batches.find((b) => b.engine === "sqlite")?.tops ?? [];
    for (const { tops, ...batch } of batches) {
      searches.push({ ...batch, sameAsSqlite: sameCount(tops, sqlite) });
    }
    loaded = size;
  }
  return { searches, loads };
}

function enginesOf(engine: EngineName, smallerSize: boolean): SearchEngine[] {
  if (engine === "sqlite") return ["sqlite"];
  return smallerSize ? ["postgres-pgvector", "postgres-exact"] : ["postgres-pgvector"];
}

/** What the services opened on `storage` (their description of it) rank with. */
function rankedAs(wanted: SearchEngine, storage: string): SearchEngine {
  if (wanted !== "postgres-pgvector") return wanted;
  return storage.includes("pgvector search") ? wanted : "postgres-exact";
}

/** Warm-up queries, then the timed ones, each awaited before the next. */
async function timeSearches(
  running: Running,
  queries: readonly number[][],
  warmups: number,
  size: number,
  engine: SearchEngine,
): Promise<SearchRecord & { tops: (string[] | null)[] }> {
  const search = (queryEmbedding: number[]) =>
    running.memory.searchMemories(
      { scope: searchScope, queryEmbedding, limit: results },
      { timeoutMs: searchTimeoutMs },
    );
  let failures = 0;
  let firstError: string | null = null;
  const latenciesMs: number[] = [];
  const tops: (string[] | null)[] = [];
  for (const [i, queryEmbedding] of queries.entries()) {
    const start = performance.now();
    try {
      const found = await search(queryEmbedding);
      const ms = performance.now() - start;
      if (found.length !== Math.min(results, size)) {
        throw new Error(`expected ${Math.min(results, size)} results, got ${found.length}`);
      }
      if (i >= warmups) {
        latenciesMs.push(ms);
        tops.push(found.map((scored) => scored.memory?.fact ?? ""));
      }
    } catch (error) {
      failures++;
      firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (i >= warmups) tops.push(null);
    }
  }
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    size,
    engine,
    storage: running.services.storage,
    queries: latenciesMs.length,
    failures,
    firstError,
    latenciesMs,
    p50Ms: percentile(sorted, 0.5),
    tail:
      sorted.length >= 100
        ? { label: "p99", ms: percentile(sorted, 0.99) }
        : { label: "max", ms: sorted.at(-1) ?? null },
    meanMs:
      latenciesMs.length === 0
        ? null
        : latenciesMs.reduce((sum, ms) => sum + ms, 0) / latenciesMs.length,
    sameAsSqlite: null,
    tops,
  };
}

/** Queries both engines answered with the same facts in the same order. */
function sameCount(tops: (string[] | null)[], sqlite: (string[] | null)[]): number | null {
  if (sqlite.length === 0) return null;
  return tops.filter((top, i) => {
    const other = sqlite[i];
    return top !== null && other != null && top.join("\n") === other.join("\n");
  }).length;
}

function describeBatch(b: SearchRecord): string {
  const text = `p50 ${sig3(b.p50Ms)} ${b.tail.label} ${sig3(b.tail.ms)} mean ${sig3(b.meanMs)} ms  (${b.queries} queries)`;
  return b.failures > 0 ? `${text}  ${b.failures} FAILED: ${b.firstError}` : text;
}
