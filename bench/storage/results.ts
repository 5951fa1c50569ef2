/** Everything a run measured, as written to storage.json. */
import type { RunContext } from "./context.js";
import type { CreateCall, CreateCell, CreateWarmup } from "./creates.js";
import type { LoadRecord } from "./load.js";
import type { SearchRecord } from "./search.js";

/** PostgreSQL's creates per second over SQLite's, medians of one cell. */
export interface CreateRatio {
  readonly call: CreateCall;
  readonly concurrency: number;
  readonly sqliteRps: number | null;
  readonly postgresRps: number | null;
  /** null when either side failed calls or has no figure. */
  readonly postgresOverSqlite: number | null;
}

export interface StorageResults {
  readonly schemaVersion: 1;
  /** The command line after the entry point. */
  readonly argv: readonly string[];
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallSeconds: number;
  readonly context: RunContext;
  readonly settings: {
    readonly quick: boolean;
    /** What was measured: "creates", "search", or both. */
    readonly parts: readonly string[];
    readonly rounds: number;
    readonly concurrency: readonly number[];
    readonly windowMs: number;
    readonly warmupMs: number;
    readonly searchSizes: readonly number[];
    readonly searchQueries: number;
    readonly searchWarmupQueries: number;
    readonly embeddingDimensions: number;
    readonly eventSessions: number;
  };
  readonly creates: {
    readonly cells: readonly CreateCell[];
    readonly warmups: readonly CreateWarmup[];
    readonly ratios: readonly CreateRatio[];
  };
  readonly search: readonly SearchRecord[];
  /** Extra: the bulk loads through the store, in this one process; not a figure of the services. */
  readonly loads: readonly LoadRecord[];
  /** Failed calls over the whole run, warm-ups included: the exit code is 1 when above 0. */
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

/** Failed calls of every kind. */
export function countFailures(
  cells: readonly CreateCell[],
  warmups: readonly CreateWarmup[],
  search: readonly SearchRecord[],
): number {
  return (
    cells.reduce((sum, c) => sum + c.errors, 0) +
    warmups.reduce((sum, w) => sum + w.errors, 0) +
    search.reduce((sum, s) => sum + s.failures, 0)
  );
}
