/**
 * SearchMemories on a loaded dataset: the services opened (opening.ts), then, per filter, the
 * default search and `exact: true` on the same queries, one at a time through the facade over
 * gRPC; recall@10 of the default against the exact ranking. The default series runs first, so
 * that the exact one's full scans do not evict the index it reads.
 */
import type { Dataset } from "./datasets.js";
import type { EngineName, Storage, StoreSettings } from "./engines.js";
import { type OpeningRecord, openMeasured } from "./opening.js";
import type { Progress } from "./progress.js";
import { type QueryFilter, searchRequests } from "./queries.js";
import { describeRun, recallAt10, runSeries, type SeriesRun } from "./search-series.js";

/** One series of one dataset, engine, filter and mode. */
export interface SearchRecord extends Omit<SeriesRun, "pages"> {
  readonly engine: EngineName;
  readonly dataset: Dataset["kind"];
  readonly scopes: number;
  readonly size: number;
  readonly filter: QueryFilter;
  /** "default": as callers search; "exact": `exact: true`, the ranking recall is measured against. */
  readonly mode: "default" | "exact";
  /** PostgreSQL's efSearch asked for (the sweep), or null for the store's default. */
  readonly efSearch: number | null;
  /** recall@10 against the exact series; null for the exact series itself. */
  readonly recall: number | null;
}

export interface SearchPlan {
  /** Timed queries per series, after `warmups` untimed ones. */
  readonly queries: number;
  readonly warmups: number;
  /** The store's settings: the HNSW index's m and efConstruction when given. */
  readonly settings: StoreSettings;
}

/** The exact answers of the unfiltered queries, for the efSearch sweep's recall. */
export type ExactPages = (string[] | null)[];

/**
 * Opens `storage`, already loaded with `size` memories of `dataset`, and runs both series of
 * each filter; closes the services after.
 */
export async function searchDataset(
  storage: Storage,
  dataset: Dataset,
  size: number,
  filters: readonly QueryFilter[],
  plan: SearchPlan,
  progress: Progress,
): Promise<{ opening: OpeningRecord; searches: SearchRecord[]; exactPages: ExactPages }> {
  const { running, opening } = await openMeasured(storage, dataset, size, plan.settings, progress);
  const searches: SearchRecord[] = [];
  let exactPages: ExactPages = [];
  try {
    for (const filter of filters) {
      const requests = searchRequests(dataset, filter, plan.warmups + plan.queries);
      const approximate = await runSeries(running, requests, plan.warmups, false);
      const exact = await runSeries(running, requests, plan.warmups, true);
      if (filter === "none") exactPages = exact.pages;
      const where = { engine: storage.engine, dataset: dataset.kind, scopes: dataset.scopes, size };
      const recall = recallAt10(approximate.pages, exact.pages);
      for (const [run, mode] of [
        [approximate, "default"],
        [exact, "exact"],
      ] as const) {
        const record = toRecord(run, { ...where, filter, mode, efSearch: null });
        searches.push({ ...record, recall: mode === "default" ? recall : null });
        progress.step(
          `search ${storage.engine} ${dataset.kind} ${size} ${filter} ${mode}: ${describeRun(run, mode === "default" ? recall : null)}`,
        );
      }
    }
  } finally {
    await running.close();
  }
  return { opening, searches, exactPages };
}

/** A series as recorded: everything but the ids found, which only recall needed. */
export function toRecord(
  { pages: _, ...run }: SeriesRun,
  where: Omit<SearchRecord, keyof SeriesRun | "recall">,
): Omit<SearchRecord, "recall"> {
  return { ...run, ...where };
}

/** Series a dataset's searches make, for the progress lines. */
export function plannedSeries(filters: readonly QueryFilter[]): number {
  return 2 * filters.length;
}
