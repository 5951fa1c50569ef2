/**
 * A series of searches through the facade over gRPC, one at a time, each awaited before the next:
 * latency percentiles, pages that came back short, and the ids found, from which recall@10
 * against the exact series of the same queries is computed.
 */
import type { MemorySearch } from "../../src/index.js";
import { sig3 } from "../harness/report/format.js";
import { percentile } from "../harness/stats.js";
import type { Running } from "./engines.js";
import { resultsPerPage } from "./queries.js";

/** Exact searches of 100,000 memories ranked in Node take seconds: more than the facade's default 30 s is allowed. */
const searchTimeoutMs = 300_000;

/** What a series measured; `pages` holds each timed query's ids, null where it failed. */
export interface SeriesRun {
  /** Where the services said their data was, e.g. "…, schema bench_…(PostgreSQL, pgvector search)". */
  readonly storage: string;
  /** Timed queries that answered. */
  readonly queries: number;
  /** Calls that answered, warm-ups included: the pages checked for being full. */
  readonly answered: number;
  /** Calls that failed, warm-ups included. */
  readonly errors: number;
  /** Answers with fewer than 10 memories, though every query has more than 10 candidates. */
  readonly shortPages: number;
  readonly firstError: string | null;
  /** Each successful query's latency, in the order they ran. */
  readonly latenciesMs: number[];
  readonly p50Ms: number | null;
  /** The p99, or the max when fewer than 100 queries answered (the p99 of those is the max). */
  readonly tail: { readonly label: "p99" | "max"; readonly ms: number | null };
  readonly meanMs: number | null;
  readonly pages: (string[] | null)[];
}

/** The first `warmups` requests untimed, then the others timed; each `exact` as asked. */
export async function runSeries(
  running: Running,
  requests: readonly MemorySearch[],
  warmups: number,
  exact: boolean,
): Promise<SeriesRun> {
  let errors = 0;
  let shortPages = 0;
  let answered = 0;
  let firstError: string | null = null;
  const latenciesMs: number[] = [];
  const pages: (string[] | null)[] = [];
  for (const [i, request] of requests.entries()) {
    // Only when asked: default searches send what callers that predate the field send.
    const search: MemorySearch = exact ? { ...request, exact: true } : request;
    const start = performance.now();
    try {
      const found = await running.memory.searchMemories(search, { timeoutMs: searchTimeoutMs });
      const ms = performance.now() - start;
      answered++;
      if (found.length < resultsPerPage) {
        shortPages++;
        firstError ??= `a page of ${found.length} results, not ${resultsPerPage}`;
      }
      if (i >= warmups) {
        latenciesMs.push(ms);
        pages.push(found.map((scored) => scored.memory?.id ?? ""));
      }
    } catch (error) {
      errors++;
      firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (i >= warmups) pages.push(null);
    }
  }
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    storage: running.services.storage,
    queries: latenciesMs.length,
    answered,
    errors,
    shortPages,
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
    pages,
  };
}

/**
 * recall@10: per query answered by both, the share of the exact top 10 that `pages` found
 * (compared by memory id), averaged; null when no query was answered by both.
 */
export function recallAt10(
  pages: readonly (string[] | null)[],
  exactPages: readonly (string[] | null)[],
): number | null {
  let sum = 0;
  let counted = 0;
  for (const [i, page] of pages.entries()) {
    const exact = exactPages[i];
    if (page === null || exact == null || exact.length === 0) continue;
    const found = new Set(page);
    sum += exact.filter((id) => found.has(id)).length / exact.length;
    counted++;
  }
  return counted === 0 ? null : sum / counted;
}

/** A progress line's figures. */
export function describeRun(run: SeriesRun, recall: number | null): string {
  const figures = `p50 ${sig3(run.p50Ms)} ${run.tail.label} ${sig3(run.tail.ms)} ms`;
  const recalled = recall === null ? "" : `  recall@10 ${recall.toFixed(3)}`;
  const problems = run.errors + run.shortPages;
  const failed = problems > 0 ? `  ${problems} FAILED: ${run.firstError}` : "";
  return `${figures}${recalled}  (${run.queries} queries)${failed}`;
}
