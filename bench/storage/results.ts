/** Everything a run measured, as written to storage.json. */
import type { RunContext } from "./context.js";
import type { CreateCall, CreateCell, CreateWarmup } from "./creates.js";
import type { Measured } from "./measure.js";
import type { Target } from "./targets.js";

/** PostgreSQL's creates per second over SQLite's, medians of one cell of the creates part. */
export interface CreateRatio {
  readonly call: CreateCall;
  readonly concurrency: number;
  readonly sqliteRps: number | null;
  readonly postgresRps: number | null;
  /** null when either side failed calls or has no figure. */
  readonly postgresOverSqlite: number | null;
}

export interface StorageResults extends Omit<Measured, "creates"> {
  readonly schemaVersion: 2;
  /** The command line after the entry point. */
  readonly argv: readonly string[];
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallSeconds: number;
  readonly context: RunContext;
  readonly settings: {
    readonly quick: boolean;
    /** What was measured: see --only. */
    readonly parts: readonly string[];
    readonly sizes: readonly number[];
    readonly scopes: number;
    readonly queries: number;
    readonly warmupQueries: number;
    /** The HNSW parameters given on the command line; the store's defaults for the others. */
    readonly hnsw: { readonly m?: number; readonly efConstruction?: number };
    readonly efSearch: readonly number[];
    readonly loop: {
      readonly concurrency: number;
      readonly windows: number;
      readonly windowMs: number;
      readonly warmupMs: number;
    };
    readonly embeddingDimensions: number;
    /** The creates part's. */
    readonly rounds: number;
    readonly concurrency: readonly number[];
    readonly windowMs: number;
    readonly warmupMs: number;
    readonly eventSessions: number;
  };
  readonly targets: readonly Target[];
  readonly creates: {
    readonly cells: readonly CreateCell[];
    readonly warmups: readonly CreateWarmup[];
    readonly ratios: readonly CreateRatio[];
  };
  /** Failed calls and short pages over the whole run: the exit code is 1 when above 0. */
  readonly failures: number;
}

/** The PG ÷ SQLite ratio of each (call, concurrency) both engines measured. */
export function createRatios(cells: readonly CreateCell[]): CreateRatio[] {
  const sqliteCells = cells.filter((c) => c.engine === "sqlite");
  return sqliteCells.flatMap((sqlite) => {
    const postgres = cells.find(
      (c) =>
        c.engine === "postgres" && c.call === sqlite.call && c.concurrency === sqlite.concurrency,
    );
    if (postgres === undefined) return [];
    const valid = sqlite.errors === 0 && postgres.errors === 0;
    const [s, p] = [sqlite.median.rps, postgres.median.rps];
    return [
      {
        call: sqlite.call,
        concurrency: sqlite.concurrency,
        sqliteRps: s,
        postgresRps: p,
        postgresOverSqlite: valid && s !== null && p !== null && s > 0 ? p / s : null,
      },
    ];
  });
}

/** Failed calls of every kind, and short search pages, which are failures too. */
export function countFailures(measured: Measured): number {
  const { creates, searches, indexedCreates, reads } = measured;
  return (
    creates.cells.reduce((sum, c) => sum + c.errors, 0) +
    creates.warmups.reduce((sum, w) => sum + w.errors, 0) +
    searches.reduce((sum, s) => sum + s.errors + s.shortPages, 0) +
    indexedCreates.reduce((sum, c) => sum + c.withIndex.errors + c.withoutIndex.errors, 0) +
    reads.reduce((sum, r) => sum + r.errors, 0)
  );
}
