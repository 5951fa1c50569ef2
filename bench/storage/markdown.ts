/** storage.md: the context, then one table per measure, then whatever failed. */
import { sig3, times } from "../harness/report/format.js";
import type { RunContext } from "./context.js";
import { type CreateCell, createCalls, eventSessions } from "./creates.js";
import type { StorageResults } from "./results.js";
import type { SearchEngine } from "./search.js";

const callNames = {
  createSession: "CreateSession",
  createEvent: "CreateEvent",
  createMemory: "CreateMemory (1536 floats)",
} as const;

const searchEngineNames: Record<SearchEngine, string> = {
  sqlite: "SQLite, ranks in Node",
  "postgres-pgvector": "PostgreSQL + pgvector, ranks in the database",
  "postgres-exact": 'PostgreSQL, `vectorSearch: "exact"`, ranks in Node',
};

const count = (n: number) => n.toLocaleString("en-US");
/** An error message on one line, for a list item. */
const oneLine = (text: string | null) => (text ?? "no message").replace(/\s+/g, " ");

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
          `**Quick run**: one round of ${settings.windowMs / 1000} s windows, ${settings.searchQueries} queries per search figure. Noisy: it shows that the benchmark works, not figures to quote.`,
          "",
        ]
      : []),
    ...(context.postgres.skipped
      ? [`**PostgreSQL skipped**: ${context.postgres.reason}. SQLite alone.`, ""]
      : []),
    ...contextSection(context),
    // A part left out (--only) has no section.
    ...(results.creates.cells.length > 0 ? createsSection(results) : []),
    ...(results.search.length > 0 ? searchSection(results) : []),
    ...(results.loads.length > 0 ? loadSection(results) : []),
    ...failuresSection(results),
  ].join("\n");
}

function contextSection(context: RunContext): string[] {
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
    rows.push(
      ["PostgreSQL", `${pg.version}, at ${pg.url} (from ${pg.urlSource})`],
      ["pgvector", pg.pgvector],
      ["fsync", pg.fsync],
      ["synchronous_commit", pg.synchronousCommit],
      ["shared_buffers", pg.sharedBuffers],
    );
  }
  return [
    "## Context",
    "",
    "| | |",
    "|---|---|",
    ...rows.map(([k, v]) => `| ${k} | ${v.replaceAll("|", "\\|")} |`),
    "",
    durability(context),
    "",
    "The client (the public facade over gRPC), the reference services and SQLite share one Node process: SQLite works on the services' event loop, synchronously. PostgreSQL runs in its own processes on the same machine, so its work can use another core. Quote ratios of one run; absolute figures move with the machine.",
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

function createsSection(results: StorageResults): string[] {
  const { settings } = results;
  const withPostgres = !results.context.postgres.skipped;
  const intro = `Closed loops of 1 and ${settings.concurrency.at(-1)} callers through \`SessionsServiceClient\` / \`MemoryServiceClient\` (\`transport: "grpc"\`, default options: a request_id per create, retries, circuit breaker), ${settings.windowMs / 1000} s per window after ${settings.warmupMs} ms of warm-up, ${settings.rounds === 1 ? "1 round" : `${settings.rounds} rounds${withPostgres ? ", the engine order alternating from one to the next" : ""}`}. Median over rounds of creates per second and of each round's nearest-rank p50 and p99 latency. CreateEvent appends to ${eventSessions} sessions in turn. Spread: (max − min) ÷ median of creates/s over rounds.`;
  const find = (engine: string, call: string, concurrency: number) =>
    results.creates.cells.find(
      (c) => c.engine === engine && c.call === call && c.concurrency === concurrency,
    );
  const figures = (cell: CreateCell | undefined) =>
    cell === undefined
      ? ["–", "–", "–", "–"]
      : [
          `${sig3(cell.median.rps)}${cell.errors > 0 ? " ⚠" : ""}`,
          sig3(cell.median.p50Ms),
          sig3(cell.median.p99Ms),
          cell.spreadRps === null ? "–" : `${Math.round(cell.spreadRps * 100)}%`,
        ];
  const rows = createCalls.flatMap((call) =>
    settings.concurrency.map((concurrency) => {
      const cells = [
        callNames[call],
        String(concurrency),
        ...figures(find("sqlite", call, concurrency)),
      ];
      if (withPostgres) {
        const ratio = results.creates.ratios.find(
          (r) => r.call === call && r.concurrency === concurrency,
        );
        cells.push(
          ...figures(find("postgres", call, concurrency)),
          `**${times(ratio?.postgresOverSqlite ?? null)}**`,
        );
      }
      return `| ${cells.join(" | ")} |`;
    }),
  );
  const head = withPostgres
    ? [
        "| call | callers | SQLite /s | p50 ms | p99 ms | spread | PostgreSQL /s | p50 ms | p99 ms | spread | PG ÷ SQLite |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      ]
    : [
        "| call | callers | SQLite /s | p50 ms | p99 ms | spread |",
        "|---|---:|---:|---:|---:|---:|",
      ];
  return ["## Creates per second", "", intro, "", ...head, ...rows, ""];
}

function searchSection(results: StorageResults): string[] {
  const { settings, search } = results;
  const labels = new Set(search.map((s) => s.tail.label));
  const tailHead = labels.size === 1 ? `${[...labels][0]} ms` : "p99 / max ms";
  const sqliteP50 = (size: number) => search.find((s) => s.size === size && s.engine === "sqlite");
  const engineOrder: SearchEngine[] = ["sqlite", "postgres-pgvector", "postgres-exact"];
  const sorted = [...search].sort(
    (a, b) => a.size - b.size || engineOrder.indexOf(a.engine) - engineOrder.indexOf(b.engine),
  );
  const rows = sorted.map((s) => {
    const base = sqliteP50(s.size)?.p50Ms ?? null;
    const ratio =
      s.engine === "sqlite" || base === null || s.p50Ms === null ? null : s.p50Ms / base;
    const tail = labels.size === 1 ? sig3(s.tail.ms) : `${sig3(s.tail.ms)} (${s.tail.label})`;
    return `| ${count(s.size)} | ${searchEngineNames[s.engine]}${s.failures > 0 ? " ⚠" : ""} | ${s.queries} | ${sig3(s.p50Ms)} | ${tail} | ${sig3(s.meanMs)} | ${s.engine === "sqlite" ? "–" : times(ratio)} | ${s.engine === "sqlite" || s.sameAsSqlite === null ? "–" : `${s.sameAsSqlite}/${s.queries}`} |`;
  });
  return [
    "## SearchMemories latency",
    "",
    `\`searchMemories({ scope, queryEmbedding, limit: 10 })\` through the facade over gRPC, one query at a time, ${settings.searchQueries} timed queries after ${settings.searchWarmupQueries} warm-up queries, on ${settings.embeddingDimensions}-float embeddings, every memory in the one scope searched (the worst case: all are candidates). Memories and queries are seeded pseudo-random vectors, the same on every engine; the store grows from ${count(settings.searchSizes[0] ?? 0)} to ${count(settings.searchSizes[1] ?? 0)} memories. ${tailHead === "max ms" ? "With fewer than 100 queries the tail shown is the **max**, not a p99." : "The tail is the p99 with 100 queries or more, else the max."} PostgreSQL ranking in Node runs at the smaller size only: it streams every candidate's embedding to Node. The last column counts queries whose 10 results were the same memories, in the same order, as SQLite's.`,
    "",
    `| memories | engine | queries | p50 ms | ${tailHead} | mean ms | p50 ÷ SQLite | same top 10 as SQLite |`,
    "|---:|---|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
  ];
}

function loadSection(results: StorageResults): string[] {
  // SQLite first, then each engine's loads in the order the store grew.
  const rank = (engine: string) => (engine === "sqlite" ? 0 : 1);
  const loads = [...results.loads].sort(
    (a, b) => rank(a.engine) - rank(b.engine) || a.from - b.from,
  );
  const rows = loads.map(
    (l) =>
      `| ${l.engine === "sqlite" ? "SQLite" : "PostgreSQL"} | ${count(l.from)} → ${count(l.to)} | ${l.inFlight} | ${l.seconds.toFixed(1)} | ${count(Math.round(l.rowsPerSecond))} |`,
  );
  return [
    "## Extra: bulk load through the store, one process",
    "",
    "How long loading the searched memories took: `createMemory` of the store itself (no RPC, no services), one transaction per memory, in this one process; SQLite one at a time (it is synchronous), PostgreSQL with several in flight. Not a figure of the services' creates; on PostgreSQL, `VACUUM ANALYZE` of the tables follows each load, untimed.",
    "",
    "| engine | memories | in flight | seconds | rows/s |",
    "|---|---:|---:|---:|---:|",
    ...rows,
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
  for (const s of results.search) {
    if (s.failures > 0)
      lines.push(
        `- search ${count(s.size)} ${s.engine}: ${s.failures} failed (${oneLine(s.firstError)})`,
      );
  }
  const retries = results.creates.cells.reduce((sum, c) => sum + c.retries, 0);
  if (retries > 0) lines.push(`- the facade retried ${retries} create attempts over the run`);
  return lines.length === 0
    ? ["## Failures", "", "None: every call succeeded.", ""]
    : ["## Failures", "", ...lines, ""];
}
