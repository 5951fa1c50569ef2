/**
 * The parts of a run, in the order the data allows: the one-scope dataset loaded to the small
 * size (searched, then read), grown to the large one (searched with and without filters, efSearch
 * swept, then written to), and the spread dataset loaded and searched. Each step runs on every
 * engine before the next; a part left out skips its steps and any load only it needed.
 */
import { type CreateCell, type CreateWarmup, measureCreates, plannedWindows } from "./creates.js";
import { type Dataset, oneScope, spreadOver } from "./datasets.js";
import { sweepEfSearch } from "./ef-sweep.js";
import { postgresStorage, type Storage, type StoreSettings, sqliteStorage } from "./engines.js";
import { type IndexedCreatesRecord, measureIndexedCreates } from "./indexed-creates.js";
import { type LoadRecord, loadMemories } from "./load.js";
import type { OpeningRecord } from "./opening.js";
import type { Part, StorageOptions } from "./options.js";
import { Progress } from "./progress.js";
import { type QueryFilter, queryFilters } from "./queries.js";
import { measureReads, type ReadsRecord, readCalls } from "./reads.js";
import { type ExactPages, type SearchPlan, type SearchRecord, searchDataset } from "./search.js";

export interface Measured {
  readonly loads: LoadRecord[];
  readonly openings: OpeningRecord[];
  /** Every series, the efSearch sweep's included (efSearch not null). */
  readonly searches: SearchRecord[];
  readonly indexedCreates: IndexedCreatesRecord[];
  readonly reads: ReadsRecord[];
  readonly creates: { readonly cells: CreateCell[]; readonly warmups: CreateWarmup[] };
}

/** A fresh storage of each engine measured, for one purpose ("onescope", "scopes", "creates"). */
async function storagesFor(options: StorageOptions, purpose: string): Promise<Storage[]> {
  const sqlite = await sqliteStorage(purpose);
  const url = options.databaseUrl;
  return url === undefined ? [sqlite] : [sqlite, postgresStorage(url, purpose)];
}

/** The store settings the options ask for: the HNSW build parameters given, if any. */
export function storeSettings(options: StorageOptions): StoreSettings {
  return Object.keys(options.hnsw).length === 0 ? {} : { vectorIndex: options.hnsw };
}

/** Progress steps (series and windows) a run makes, for the progress lines. */
function plannedSteps(options: StorageOptions, engines: number): number {
  const wants = (part: Part) => options.parts.includes(part);
  const withPostgres = engines === 2;
  const searchSeries = 2 * (1 + queryFilters.length + 1) * engines;
  const sweep = withPostgres ? options.efSearch.length : 0;
  return (
    (wants("search") ? searchSeries + sweep : 0) +
    (wants("reads") ? options.loop.windows * readCalls.length * engines : 0) +
    (wants("indexed-creates") ? 2 * options.loop.windows * engines : 0) +
    (wants("creates") ? plannedWindows(options, engines) : 0)
  );
}

/** What every step needs: the options, the progress lines, where results go. */
interface Run {
  readonly options: StorageOptions;
  readonly plan: SearchPlan;
  readonly progress: Progress;
  readonly measured: Measured;
  wants(part: Part): boolean;
}

export async function measureAll(options: StorageOptions, engines: number): Promise<Measured> {
  const run: Run = {
    options,
    plan: {
      queries: options.queries,
      warmups: options.warmupQueries,
      settings: storeSettings(options),
    },
    progress: new Progress(plannedSteps(options, engines)),
    measured: {
      loads: [],
      openings: [],
      searches: [],
      indexedCreates: [],
      reads: [],
      creates: { cells: [], warmups: [] },
    },
    wants: (part) => options.parts.includes(part),
  };
  if (run.wants("search") || run.wants("indexed-creates") || run.wants("reads")) {
    await oneScopeParts(run);
  }
  if (run.wants("search")) await spreadPart(run);
  if (run.wants("creates")) {
    const creates = await measureCreates(
      await storagesFor(options, "creates"),
      options,
      run.progress,
    );
    run.measured.creates.cells.push(...creates.cells);
    run.measured.creates.warmups.push(...creates.warmups);
  }
  return run.measured;
}

/** Searches one dataset on one engine; the exact answers of its unfiltered queries. */
async function search(
  run: Run,
  storage: Storage,
  dataset: Dataset,
  size: number,
  filters: readonly QueryFilter[],
): Promise<ExactPages> {
  const searched = await searchDataset(storage, dataset, size, filters, run.plan, run.progress);
  run.measured.openings.push(searched.opening);
  run.measured.searches.push(...searched.searches);
  return searched.exactPages;
}

/**
 * The one-scope dataset: loaded to the small size, searched and read; grown to the large size
 * (unless only the reads are measured), searched with every filter, efSearch swept, written to.
 */
async function oneScopeParts(run: Run): Promise<void> {
  const { options, plan, progress, measured } = run;
  const [small, large] = options.sizes;
  const storages = await storagesFor(options, "onescope");
  for (const s of storages) {
    measured.loads.push(await loadMemories(s, oneScope, 0, small, progress));
  }
  if (run.wants("search")) {
    for (const s of storages) await search(run, s, oneScope, small, ["none"]);
  }
  if (run.wants("reads")) {
    measured.reads.push(
      ...(await measureReads(storages, small, plan.settings, options.loop, progress)),
    );
  }
  if (!run.wants("search") && !run.wants("indexed-creates")) return;
  for (const s of storages) {
    measured.loads.push(await loadMemories(s, oneScope, small, large, progress));
  }
  for (const s of storages) {
    if (run.wants("search")) {
      const exactPages = await search(run, s, oneScope, large, queryFilters);
      const { efSearch } = options;
      measured.searches.push(
        ...(await sweepEfSearch(s, oneScope, large, efSearch, plan, exactPages, progress)),
      );
    }
    if (run.wants("indexed-creates")) {
      measured.indexedCreates.push(
        await measureIndexedCreates(s, large, plan.settings, options.loop, progress),
      );
    }
  }
}

/** The spread dataset: the large size over many scopes, loaded and searched. */
async function spreadPart(run: Run): Promise<void> {
  const spread = spreadOver(run.options.scopes);
  const large = run.options.sizes[1];
  for (const s of await storagesFor(run.options, "scopes")) {
    run.measured.loads.push(await loadMemories(s, spread, 0, large, run.progress));
    await search(run, s, spread, large, ["none"]);
  }
}
