/**
 * PostgreSQL's efSearch swept on one dataset: the services restarted with each value (the index,
 * built once, stays), the default search timed on the unfiltered queries, and its recall@10
 * against the exact answers already measured. Cheap, and what the store's default is chosen by.
 */
import type { Dataset } from "./datasets.js";
import { type Storage, startOn } from "./engines.js";
import type { Progress } from "./progress.js";
import { searchRequests } from "./queries.js";
import type { ExactPages, SearchPlan, SearchRecord } from "./search.js";
import { toRecord } from "./search.js";
import { describeRun, recallAt10, runSeries } from "./search-series.js";

/** One series per value of `efSearch`, on PostgreSQL storage only. */
export async function sweepEfSearch(
  storage: Storage,
  dataset: Dataset,
  size: number,
  efSearch: readonly number[],
  plan: SearchPlan,
  exactPages: ExactPages,
  progress: Progress,
): Promise<SearchRecord[]> {
  if (storage.engine !== "postgres") return [];
  const requests = searchRequests(dataset, "none", plan.warmups + plan.queries);
  const index = plan.settings.vectorIndex || {};
  const records: SearchRecord[] = [];
  for (const value of efSearch) {
    const running = await startOn(storage, {
      ...plan.settings,
      vectorIndex: { ...index, efSearch: value },
    });
    try {
      const run = await runSeries(running, requests, plan.warmups, false);
      const recall = recallAt10(run.pages, exactPages);
      const where = { engine: storage.engine, dataset: dataset.kind, scopes: dataset.scopes, size };
      records.push({
        ...toRecord(run, { ...where, filter: "none", mode: "default", efSearch: value }),
        recall,
      });
      progress.step(
        `search postgres ${dataset.kind} ${size} efSearch ${value}: ${describeRun(run, recall)}`,
      );
    } finally {
      await running.close();
    }
  }
  return records;
}
