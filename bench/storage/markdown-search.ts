/** storage.md's search sections: latency and recall per dataset, the index's build, the sweep. */
import { sig3 } from "../harness/report/format.js";
import { count, engineNames, megabytes, table } from "./markdown-cells.js";
import { filterConfidence, type QueryFilter } from "./queries.js";
import type { StorageResults } from "./results.js";
import type { SearchRecord } from "./search.js";

const filterNames: Record<QueryFilter, string> = {
  none: "–",
  "query-topic": `the query's topic, confidence ≥ ${filterConfidence}`,
  "other-topic": `another topic, confidence ≥ ${filterConfidence}`,
};

/** The figures of a series: p50, tail, mean, recall@10, full pages. */
function figures(s: SearchRecord): string[] {
  const tail = s.tail.label === "p99" ? sig3(s.tail.ms) : `${sig3(s.tail.ms)} (max)`;
  const problems = s.shortPages + s.errors;
  const pages = `${problems > 0 ? "⚠ " : ""}${s.answered - s.shortPages}/${s.answered + s.errors}`;
  return [
    sig3(s.p50Ms),
    tail,
    sig3(s.meanMs),
    s.recall === null ? "–" : s.recall.toFixed(3),
    pages,
  ];
}

function datasetTitle(s: SearchRecord): string {
  return s.scopes === 1
    ? `${count(s.size)} memories in one scope`
    : `${count(s.size)} memories over ${count(s.scopes)} scopes (${count(Math.round(s.size / s.scopes))} each; each query names one)`;
}

export function searchSection(results: StorageResults): string[] {
  const { settings } = results;
  const series = results.searches.filter((s) => s.efSearch === null);
  const titles = [...new Set(series.map(datasetTitle))];
  const tables = titles.flatMap((title) => {
    const rows = series
      .filter((s) => datasetTitle(s) === title)
      .map((s) => [
        engineNames[s.engine],
        filterNames[s.filter],
        s.mode === "exact" ? "`exact: true`" : "default",
        ...figures(s),
      ]);
    return [
      `### ${title}`,
      "",
      ...table(
        ["engine", "filter", "search", "p50 ms", "p99 ms", "mean ms", "recall@10", "full pages"],
        "|---|---|---|---:|---:|---:|---:|---:|",
        rows,
      ),
      "",
    ];
  });
  return [
    "## SearchMemories: latency and recall",
    "",
    `\`searchMemories({ scope, queryEmbedding, limit: 10, topic?, minConfidence? })\` through the facade over gRPC, one query at a time: ${settings.queries} timed queries after ${settings.warmupQueries} warm-ups, first as callers search (the default, approximate where the store has an index), then the same queries with \`exact: true\`. recall@10 is the default's share of the exact top 10 (by memory id), averaged over the queries. Full pages: answers with 10 results over calls made, warm-ups included; every query has more than 10 candidates, so a short page is a failure. The p99 is the nearest rank of at least 100 queries, else the max is shown. Filters pick a topic (a twentieth of the memories) and \`minConfidence: ${filterConfidence}\` (half of those): 2.5 % of the memories pass.`,
    "",
    ...tables,
  ];
}

/** "m=16, ef_construction=64" from an index definition's WITH clause (all of it is in the JSON). */
function indexParameters(definition: string | null): string {
  if (definition === null) return "none";
  const parameters = /WITH \(([^)]*)\)/.exec(definition)?.[1];
  return parameters === undefined ? "pgvector's defaults" : parameters.replaceAll("'", "");
}

export function openingSection(results: StorageResults): string[] {
  const rows = results.openings.map((o) => [
    o.dataset === "one-scope" ? "one scope" : `${count(results.settings.scopes)} scopes`,
    count(o.size),
    engineNames[o.engine],
    o.openWithoutIndexSeconds === null ? "–" : o.openWithoutIndexSeconds.toFixed(2),
    o.openSeconds.toFixed(2),
    megabytes(o.footprint.dataBytes),
    megabytes(o.footprint.indexBytes),
    o.engine === "sqlite" ? "–" : indexParameters(o.footprint.indexDefinition),
  ]);
  return [
    "## Opening a loaded dataset: index build and size",
    "",
    "PostgreSQL: each load runs without the HNSW index (dropped first if there), then `startServices` is timed with `vectorIndex: false` (an open without a build) and as measured (it builds `memories_embedding_hnsw`): the difference is the build. Data: `pg_table_size` of `memories` (TOAST included); index: `pg_relation_size` of the HNSW index, and its parameters as `pg_indexes` shows them. SQLite: `startServices` on the loaded files (whatever the store does at open), and the size of `memory.db` with its WAL.",
    "",
    ...table(
      [
        "dataset",
        "memories",
        "engine",
        "open without index s",
        "open s",
        "data MB",
        "index MB",
        "index",
      ],
      "|---|---:|---|---:|---:|---:|---:|---|",
      rows,
    ),
    "",
  ];
}

export function sweepSection(results: StorageResults): string[] {
  const sweep = results.searches.filter((s) => s.efSearch !== null);
  const first = sweep[0];
  if (first === undefined) return [];
  const storeDefault = results.searches.find(
    (s) =>
      s.engine === "postgres" &&
      s.dataset === first.dataset &&
      s.size === first.size &&
      s.filter === "none" &&
      s.mode === "default" &&
      s.efSearch === null,
  );
  const rows = [
    ...(storeDefault === undefined ? [] : [["the store's default", ...figures(storeDefault)]]),
    ...sweep.map((s) => [String(s.efSearch), ...figures(s)]),
  ];
  return [
    `## PostgreSQL: efSearch at ${count(first.size)} memories in one scope`,
    "",
    "The services restarted with `vectorIndex: { efSearch }` on the same data and index, the unfiltered queries asked again (default search); recall@10 against the exact answers of the table above.",
    "",
    ...table(
      ["efSearch", "p50 ms", "p99 ms", "mean ms", "recall@10", "full pages"],
      "|---|---:|---:|---:|---:|---:|",
      rows,
    ),
    "",
  ];
}
