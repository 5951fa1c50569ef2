/**
 * The targets of search at scale, each with the figure measured and whether it was met: searches at the large
 * size in one scope, filtered searches' pages, and what the index costs CreateMemory.
 */
import { sig3, times } from "../harness/report/format.js";
import type { Measured } from "./measure.js";
import type { SearchRecord } from "./search.js";

export interface Target {
  readonly goal: string;
  readonly measured: string;
  /** null when the run did not measure it (a part or an engine left out). */
  readonly met: boolean | null;
}

const count = (n: number) => n.toLocaleString("en-US");
const minRecall = 0.95;
const minCreateRatio = 0.8;

function unmeasured(goal: string): Target {
  return { goal, measured: "not measured", met: null };
}

/** The default search of the unfiltered queries at `size` in one scope, as the store is set. */
function mainSeries(measured: Measured, engine: string, size: number): SearchRecord | undefined {
  return measured.searches.find(
    (s) =>
      s.engine === engine &&
      s.dataset === "one-scope" &&
      s.size === size &&
      s.filter === "none" &&
      s.mode === "default" &&
      s.efSearch === null,
  );
}

function latencyTarget(
  measured: Measured,
  engine: "postgres" | "sqlite",
  size: number,
  maxP50Ms: number,
): Target {
  const name = engine === "postgres" ? "PostgreSQL" : "SQLite";
  const goal = `${name}: p50 ≤ ${maxP50Ms} ms at ${count(size)} memories in one scope, recall@10 ≥ ${minRecall}${engine === "sqlite" ? " (or exact)" : ""}`;
  const series = mainSeries(measured, engine, size);
  if (series === undefined) return unmeasured(goal);
  const recall = series.recall;
  const failed = series.errors + series.shortPages;
  return {
    goal,
    measured: `p50 ${sig3(series.p50Ms)} ms, recall@10 ${recall === null ? "–" : recall.toFixed(3)}${failed > 0 ? `, ${failed} failed` : ""}`,
    met:
      series.p50Ms !== null &&
      series.p50Ms <= maxP50Ms &&
      recall !== null &&
      recall >= minRecall &&
      failed === 0,
  };
}

function fullPagesTarget(measured: Measured): Target {
  const goal = "Filtered searches (topic and minConfidence) return full pages of 10";
  const filtered = measured.searches.filter((s) => s.filter !== "none");
  if (filtered.length === 0) return unmeasured(goal);
  const answered = filtered.reduce((sum, s) => sum + s.answered, 0);
  const short = filtered.reduce((sum, s) => sum + s.shortPages, 0);
  const errors = filtered.reduce((sum, s) => sum + s.errors, 0);
  return {
    goal,
    measured: `${count(answered - short)} full of ${count(answered)} answered${errors > 0 ? `, ${errors} failed` : ""}`,
    met: short === 0 && errors === 0,
  };
}

function createTarget(measured: Measured, engine: "postgres" | "sqlite", size: number): Target {
  const name = engine === "postgres" ? "PostgreSQL" : "SQLite";
  const goal = `${name}: CreateMemory with the index ≥ ${minCreateRatio}x without (16 callers, ${count(size)} memories)`;
  const record = measured.indexedCreates.find((c) => c.engine === engine);
  if (record === undefined) return unmeasured(goal);
  return {
    goal,
    measured: `${times(record.ratio)} (${sig3(record.withIndex.median.rps)} /s with, ${sig3(record.withoutIndex.median.rps)} /s without)`,
    met: record.ratio === null ? false : record.ratio >= minCreateRatio,
  };
}

export function evaluateTargets(measured: Measured, size: number): Target[] {
  return [
    latencyTarget(measured, "postgres", size, 25),
    latencyTarget(measured, "sqlite", size, 100),
    fullPagesTarget(measured),
    createTarget(measured, "postgres", size),
    createTarget(measured, "sqlite", size),
  ];
}
