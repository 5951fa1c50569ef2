/** storage.md: the targets, the context, one section per measure, then whatever failed. */

import type { RunContext } from "./context.js";
import { count, engineNames, oneLine, table } from "./markdown-cells.js";
import { createsSection, indexedCreatesSection, readsSection } from "./markdown-loops.js";
import { openingSection, searchSection, sweepSection } from "./markdown-search.js";
import type { StorageResults } from "./results.js";

export function renderMarkdown(results: StorageResults, command: string): string {
  const { context, settings } = results;
  const cpu = context.machine;
  return [
    "# Storage: SQLite and PostgreSQL under the reference services",
    "",
    `\`${command}\` on ${results.startedAt.slice(0, 10)}, ${results.wallSeconds} s: ${cpu.cpuModel}, ${cpu.cpuCount} cores, Node ${cpu.node} (${cpu.platform} ${cpu.arch}); load average ${cpu.loadAverageAtStart.join(", ")} (1, 5, 15 min) at the start.`,
    "",
    ...(settings.quick
      ? [
          `**Quick run**: ${count(settings.sizes[0] ?? 0)} and ${count(settings.sizes[1] ?? 0)} memories, ${settings.queries} queries per series, ${settings.loop.windowMs / 1000} s windows. Noisy and small: it shows that the benchmark works, not figures to quote.`,
          "",
        ]
      : []),
    ...(context.postgres.skipped
      ? [`**PostgreSQL skipped**: ${context.postgres.reason}. SQLite alone.`, ""]
      : []),
    ...targetsSection(results),
    ...contextSection(results),
    // A part left out (--only) has no section.
    ...(results.searches.length > 0 ? [...dataSection(results), ...searchSection(results)] : []),
    ...(results.openings.length > 0 ? openingSection(results) : []),
    ...sweepSection(results),
    ...(results.indexedCreates.length > 0 ? indexedCreatesSection(results) : []),
    ...(results.reads.length > 0 ? readsSection(results) : []),
    ...(results.creates.cells.length > 0 ? createsSection(results) : []),
    ...(results.loads.length > 0 ? loadSection(results) : []),
    ...failuresSection(results),
  ].join("\n");
}

function targetsSection(results: StorageResults): string[] {
  const mark = (met: boolean | null) => (met === null ? "–" : met ? "met" : "**missed**");
  return [
    "## Targets",
    "",
    "The targets of search at scale, with the figures of this run (details in the sections below).",
    "",
    ...table(
      ["target", "measured", ""],
      "|---|---|---|",
      results.targets.map((t) => [t.goal, t.measured, mark(t.met)]),
    ),
    "",
  ];
}

function contextSection(results: StorageResults): string[] {
  const { context, settings } = results;
  const pg = context.postgres;
  const rows: [string, string][] = [
    [
      "SQLite",
      `${context.sqlite.version} (better-sqlite3), journal_mode=WAL, synchronous=NORMAL, page_size ${context.sqlite.pageSize}; files in a fresh temporary folder`,
    ],
  ];
  if (pg.skipped) {
    rows.push(["PostgreSQL", `skipped: ${pg.reason}`]);
  } else {
    const { m, efConstruction } = settings.hnsw;
    rows.push(
      ["PostgreSQL", `${pg.version}, at ${pg.url} (from ${pg.urlSource})`],
      ["pgvector", pg.pgvector],
      ["fsync", pg.fsync],
      ["synchronous_commit", pg.synchronousCommit],
      ["shared_buffers", pg.sharedBuffers],
      [
        "maintenance_work_mem, max_parallel_maintenance_workers",
        `${pg.maintenanceWorkMem}, ${pg.maxParallelMaintenanceWorkers} (the server's defaults: the store may set its own for the build)`,
      ],
      [
        "HNSW index asked for",
        `m ${m ?? "(the store's default)"}, efConstruction ${efConstruction ?? "(the store's default)"}; efSearch the store's default, and swept: ${settings.efSearch.join(", ") || "no sweep"}`,
      ],
    );
  }
  return [
    "## Context",
    "",
    ...table(["", ""], "|---|---|", rows),
    "",
    durability(context),
    "",
    "The client (the public facade over gRPC), the reference services and SQLite share one Node process: SQLite works on the services' event loop, synchronously. PostgreSQL runs in its own processes on the same machine, so its work can use another core. Quote ratios of one run; absolute figures move with the machine.",
    "",
  ];
}

function dataSection(results: StorageResults): string[] {
  const { settings } = results;
  return [
    "## Data",
    "",
    `${settings.embeddingDimensions}-float embeddings drawn by a seeded generator with the neighbour structure of a model's (bench/storage/vectors.ts): each the normalised sum of a direction every memory shares, its topic's (20 topics, also its \`topic\`), its subtopic's (25 per topic), its thread's (20 per subtopic: near-paraphrases) and its own noise, each weight jittered. Cosine similarity is about 0.2 between topics, 0.45 within one, 0.6 within a subtopic and 0.75 within a thread, where uniform random vectors would all be orthogonal and leave an index no neighbours to find. Queries are new draws of the same kind, never stored ones. Confidence is seeded, uniform in [0, 1). Datasets: ${count(settings.sizes[0] ?? 0)} memories in one scope, grown to ${count(settings.sizes[1] ?? 0)}; and ${count(settings.sizes[1] ?? 0)} spread over ${count(settings.scopes)} scopes, each query naming one.`,
    "",
  ];
}

/** What each engine's commits cost in durability, said plainly: it changes write figures a lot. */
function durability(context: RunContext): string {
  const sqlite =
    "SQLite runs in WAL mode with synchronous=NORMAL: commits are not fsynced one by one (the WAL is synced at checkpoints), so a power loss can lose the last commits, though not the database.";
  const pg = context.postgres;
  if (pg.skipped) return sqlite;
  let postgres: string;
  if (pg.fsync === "off") {
    postgres =
      "This PostgreSQL runs with **fsync=off**: it never flushes to disk, so it is not durable at all (a crash of the machine can corrupt the cluster). A production server runs with fsync=on, where each commit waits for its WAL flush unless synchronous_commit is off: expect its creates per second to be lower than here, most at 1 caller.";
  } else if (pg.synchronousCommit === "off") {
    postgres =
      "PostgreSQL runs with fsync=on and synchronous_commit=off: commits return before their WAL is flushed, a trade close to SQLite's synchronous=NORMAL.";
  } else {
    postgres = `PostgreSQL runs with fsync=on and synchronous_commit=${pg.synchronousCommit}: each commit waits for its WAL to reach disk, a durability SQLite does not pay for here.`;
  }
  return `${sqlite} ${postgres}`;
}

function loadSection(results: StorageResults): string[] {
  const rows = results.loads.map((l) => [
    engineNames[l.engine],
    l.dataset === "one-scope" ? "one scope" : `${count(results.settings.scopes)} scopes`,
    `${count(l.from)} → ${count(l.to)}`,
    l.method === "store"
      ? "the store's createMemory, one at a time"
      : "multi-row INSERTs, 2 in flight",
    l.seconds.toFixed(1),
    count(Math.round(l.rowsPerSecond)),
  ]);
  return [
    "## Extra: loading the datasets",
    "",
    "In this one process, straight into the stores' tables, not through the services: not a figure of the services' creates. PostgreSQL's rows have the columns its store writes (checked against a row it wrote); `VACUUM ANALYZE` follows each load, untimed.",
    "",
    ...table(
      ["engine", "dataset", "memories", "how", "seconds", "rows/s"],
      "|---|---|---:|---|---:|---:|",
      rows,
    ),
    "",
  ];
}

function failuresSection(results: StorageResults): string[] {
  const lines: string[] = [];
  for (const w of results.creates.warmups) {
    if (w.errors > 0)
      lines.push(`- warm-up, ${w.engine} ${w.call}: ${w.errors} failed (${oneLine(w.firstError)})`);
  }
  for (const c of results.creates.cells) {
    for (const r of c.rounds) {
      const errors = r.errors + r.warmupErrors;
      if (errors > 0) {
        lines.push(
          `- round ${r.round}, ${c.engine} ${c.call} × ${c.concurrency}: ${errors} failed (${oneLine(r.firstError)})`,
        );
      }
    }
  }
  for (const s of results.searches) {
    const problems = [
      s.errors > 0 ? `${s.errors} failed` : "",
      s.shortPages > 0 ? `${s.shortPages} short pages` : "",
    ].filter(Boolean);
    if (problems.length > 0) {
      const ef = s.efSearch === null ? "" : ` efSearch ${s.efSearch}`;
      lines.push(
        `- search ${s.engine} ${s.dataset} ${count(s.size)} ${s.filter} ${s.mode}${ef}: ${problems.join(", ")} (${oneLine(s.firstError)})`,
      );
    }
  }
  for (const c of results.indexedCreates) {
    for (const [label, summary] of [
      ["with", c.withIndex],
      ["without", c.withoutIndex],
    ] as const) {
      if (summary.errors > 0)
        lines.push(
          `- CreateMemory ${c.engine} ${label} the index: ${summary.errors} failed (${oneLine(summary.firstError)})`,
        );
    }
  }
  for (const r of results.reads) {
    if (r.errors > 0)
      lines.push(`- ${r.call} ${r.engine}: ${r.errors} failed (${oneLine(r.firstError)})`);
  }
  const retries = results.creates.cells.reduce((sum, c) => sum + c.retries, 0);
  if (retries > 0) lines.push(`- the facade retried ${retries} create attempts over the run`);
  return lines.length === 0
    ? ["## Failures", "", "None: every call succeeded, every page was full.", ""]
    : ["## Failures", "", ...lines, ""];
}
