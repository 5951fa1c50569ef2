/** storage.md's closed-loop sections: CreateMemory with and without the index, reads, creates. */
import { sig3, times } from "../harness/report/format.js";
import { type CreateCell, createCalls, eventSessions } from "./creates.js";
import { count, engineNames, table } from "./markdown-cells.js";
import { readCalls } from "./reads.js";
import type { StorageResults } from "./results.js";
import type { WindowSummary } from "./window-summary.js";

const callNames = {
  createSession: "CreateSession",
  createEvent: "CreateEvent",
  createMemory: "CreateMemory (1536 floats)",
  getMemory: "GetMemory",
  searchMemories: "SearchMemories (default search, limit 10)",
} as const;

/** Median calls/s (⚠ when any failed), p50 and p99 of a summary. */
function loopFigures(summary: WindowSummary | undefined): string[] {
  if (summary === undefined) return ["–", "–", "–"];
  return [
    `${sig3(summary.median.rps)}${summary.errors > 0 ? " ⚠" : ""}`,
    sig3(summary.median.p50Ms),
    sig3(summary.median.p99Ms),
  ];
}

function loopIntro(results: StorageResults, what: string): string {
  const { loop } = results.settings;
  return `${what} ${loop.concurrency} callers in a closed loop through the facade over gRPC (\`transport: "grpc"\`, default options), ${loop.windowMs / 1000} s windows after ${loop.warmupMs} ms of warm-up; medians over ${loop.windows === 1 ? "1 window" : `${loop.windows} windows`} of calls per second and of each window's nearest-rank p50 and p99 latency.`;
}

export function indexedCreatesSection(results: StorageResults): string[] {
  const rows = results.indexedCreates.map((c) => [
    engineNames[c.engine],
    count(c.size),
    ...loopFigures(c.withIndex),
    ...loopFigures(c.withoutIndex),
    `**${times(c.ratio)}**`,
  ]);
  return [
    "## CreateMemory with the index and without",
    "",
    `${loopIntro(results, "CreateMemory (a new memory of a random topic, in the one scope searched) by")} On the large one-scope dataset after its searches: with the index in place, then the index dropped and the services restarted (on PostgreSQL with \`vectorIndex: false\`). On SQLite the index is the covering index of sign sketches its searches scan.`,
    "",
    ...table(
      [
        "engine",
        "memories",
        "with /s",
        "p50 ms",
        "p99 ms",
        "without /s",
        "p50 ms",
        "p99 ms",
        "with ÷ without",
      ],
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
      rows,
    ),
    "",
  ];
}

export function readsSection(results: StorageResults): string[] {
  const engines = [...new Set(results.reads.map((r) => r.engine))];
  const rows = readCalls.flatMap((call) =>
    engines.map((engine) => {
      const record = results.reads.find((r) => r.call === call && r.engine === engine);
      return [callNames[call], engineNames[engine], ...loopFigures(record)];
    }),
  );
  const size = results.reads[0]?.size ?? 0;
  return [
    "## Reads per second",
    "",
    `${loopIntro(results, "GetMemory (ids drawn seeded-randomly from those loaded) and SearchMemories (64 queries in turn) by")} On ${count(size)} memories in one scope, the engine order alternating from window to window. Uses only what older servers have too: \`--only reads\` measures a previous commit the same way.`,
    "",
    ...table(["call", "engine", "calls/s", "p50 ms", "p99 ms"], "|---|---|---:|---:|---:|", rows),
    "",
  ];
}

export function createsSection(results: StorageResults): string[] {
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
