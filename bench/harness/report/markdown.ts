/** latest.md: targets first, then the chart, one table per figure and server, and the machine. */
import {
  type ServerName,
  serverDescriptions,
  type VariantName,
  variantDescriptions,
} from "../catalog.js";
import { median } from "../stats.js";
import type { CallName } from "../workload.js";
import { invalidReason } from "./cells.js";
import { minutes, percent, sig3, times } from "./format.js";
import type {
  BenchResults,
  CellResult,
  Medians,
  MessageSizes,
  TargetResult,
  TargetSide,
  WorkloadSizes,
} from "./results.js";

interface Figure {
  readonly key: keyof Medians;
  readonly title: string;
  /** Whether a smaller value is better, for bolding the best of each column. */
  readonly lowerIsBetter: boolean;
}

const figures: readonly Figure[] = [
  {
    key: "cpuUsPerCall",
    title: "Client CPU µs per call (user + system; lower is better)",
    lowerIsBetter: true,
  },
  { key: "rps", title: "Requests per second (higher is better)", lowerIsBetter: false },
  { key: "p50Ms", title: "p50 latency, ms", lowerIsBetter: true },
  { key: "p99Ms", title: "p99 latency, ms", lowerIsBetter: true },
];

/** Where latest.md links to, relative to its own folder. */
export interface MarkdownLinks {
  readonly svg: string;
  readonly readme: string;
}

export function renderMarkdown(results: BenchResults, links: MarkdownLinks): string {
  const { settings, machine, workload } = results;
  const gib = (machine.totalMemoryBytes / 2 ** 30).toFixed(1);
  const lines = [
    "# Client benchmarks",
    "",
    `${results.startedAt} · \`npm run bench -- ${results.argv.join(" ")}\`` +
      ` · ${settings.rounds} round(s) of ${settings.durationMs} ms windows after ${settings.warmupMs} ms` +
      ` of warm-up (both stretched when calls are slow), after a JIT warm-up of` +
      ` ${settings.jitWarmupCpuMs} ms of CPU per client and call · took ${minutes(results.wallSeconds)}`,
    "",
    `**Machine:** ${machine.cpuModel} × ${machine.cpuCount}, ${gib} GiB, Node ${machine.node},` +
      ` ${machine.platform} ${machine.release} (${machine.arch}), load average at start` +
      ` ${machine.loadAverageAtStart.join(" / ")}.`,
    "",
    ...renderWorkload(workload),
    ...renderTargets(results.targets),
    "## Chart",
    "",
    `![Client CPU µs per call and requests per second at concurrency ${results.targets[0]?.concurrency ?? 64}](${links.svg})`,
    "",
  ];
  const servers = [...new Set(results.cells.map((c) => c.server))];
  for (const figure of figures) {
    lines.push(`## ${figure.title}`, "");
    for (const server of servers) {
      lines.push(
        `**${server}** server`,
        "",
        ...renderTable(
          results.cells.filter((c) => c.server === server),
          figure,
        ),
        "",
      );
    }
  }
  lines.push(
    ...renderProblems(results),
    ...renderStalls(results.cells),
    ...renderSpread(results.cells),
    ...renderLegend(results, links.readme),
  );
  return `${lines.join("\n")}\n`;
}

function renderWorkload(workload: WorkloadSizes): string[] {
  const bytes = (binary: number, json: number) =>
    `${binary.toLocaleString("en-US")} / ${json.toLocaleString("en-US")} B`;
  const what: Readonly<Record<CallName, string>> = {
    createEvent: "an event with a `data` Struct, a fresh request id",
    getMemory: "one memory",
    createMemory: "one memory, a fresh request id; answered with it",
    listMemories: `a page of ${workload.pageMemories} memories`,
    searchMemories: `a query embedding; ${workload.searchResults} scored memories`,
  };
  return [
    `**Workload:** unary calls, the same content from every variant; every embedding has` +
      ` ${workload.embeddingDimensions} floats. Closed loop: N callers, each awaiting its call` +
      " before the next. Every server and every client variant runs in its own process; figures" +
      " are medians over rounds, variants interleaved in a rotating order.",
    "",
    "| call | what | request, protobuf / JSON | response, protobuf / JSON |",
    "|---|---|--:|--:|",
    ...(Object.entries(workload.calls) as [CallName, MessageSizes][]).map(
      ([call, size]) =>
        `| ${call} | ${what[call]} | ${bytes(size.requestBytes, size.requestJsonBytes)}` +
        ` | ${bytes(size.responseBytes, size.responseJsonBytes)} |`,
    ),
    "",
  ];
}

function renderTargets(targets: readonly TargetResult[]): string[] {
  if (targets.length === 0) return [];
  const concurrencies = [...new Set(targets.map((t) => t.concurrency))].join(", ");
  const lines = [
    `## Targets (concurrency ${concurrencies})`,
    "",
    "Ratios of medians from this run, numerator ÷ denominator, in the same cell. In brackets, how" +
      " much each side's rounds disagreed: (max − min) ÷ median. A verdict on a ratio closer to its" +
      " goal than that is within the noise.",
    "",
    "| | comparison | server | call | numerator | denominator | ratio | goal | verdict |",
    "|---|---|---|---|--:|--:|--:|:-:|:-:|",
  ];
  for (const t of targets) {
    const unit = t.figure === "rps" ? " rps" : " µs";
    const goal =
      t.goal === null
        ? "–"
        : `${t.goal.op.replace("<=", "≤").replace(">=", "≥")} ${t.goal.value.toFixed(2)}`;
    const verdict =
      t.verdict === "MET" ? "**MET**" : t.verdict === "MISSED" ? "**MISSED**" : t.verdict;
    lines.push(
      `| ${t.id} | ${t.title} | ${t.server} | ${t.call} | ${side(t.numerator, unit)}` +
        ` | ${side(t.denominator, unit)} | ${times(t.ratio)} | ${goal} | ${verdict} |`,
    );
  }
  const notes = targets.filter((t) => t.note !== null);
  if (notes.length > 0) {
    lines.push("", ...[...new Set(notes.map((t) => `- ${t.id} n/a: ${t.note}`))]);
  }
  lines.push("");
  return lines;
}

function side(side: TargetSide, unit: string): string {
  const spread = side.spread === null ? "" : ` (${percent(side.spread)})`;
  return `${side.variant} ${sig3(side.value)}${unit}${spread}`;
}

/** Rows: variants; columns: each call at each concurrency. */
function renderTable(cells: readonly CellResult[], figure: Figure): string[] {
  const calls = [...new Set(cells.map((c) => c.call))];
  const variants = [...new Set(cells.map((c) => c.variant))];
  // Each call at the concurrencies it was measured at: payload calls run at fewer.
  const concurrenciesOf = (call: CallName) =>
    [...new Set(cells.filter((c) => c.call === call).map((c) => c.concurrency))].sort(
      (a, b) => a - b,
    );
  const columns = calls.flatMap((call) =>
    concurrenciesOf(call).map((concurrency, i) => ({
      call,
      concurrency,
      header: i === 0 ? `${call}<br>c=${concurrency}` : `c=${concurrency}`,
    })),
  );
  const find = (variant: VariantName, call: CallName, concurrency: number) =>
    cells.find((c) => c.variant === variant && c.call === call && c.concurrency === concurrency);
  const best = columns.map(({ call, concurrency }) => {
    const values = cells
      .filter((c) => c.call === call && c.concurrency === concurrency && c.valid)
      .map((c) => c.median[figure.key])
      .filter((v): v is number => v !== null);
    return values.length < 2
      ? null
      : figure.lowerIsBetter
        ? Math.min(...values)
        : Math.max(...values);
  });
  const lines = [
    `| variant | ${columns.map((c) => c.header).join(" | ")} |`,
    `|---|${columns.map(() => "--:").join("|")}|`,
  ];
  for (const variant of variants) {
    const row = columns.map(({ call, concurrency }, i) => {
      const cell = find(variant, call, concurrency);
      if (cell === undefined) return "";
      const invalid = invalidReason(cell);
      if (invalid !== null) return `⚠ ${invalid}`;
      const value = cell.median[figure.key];
      return value !== null && value === best[i] ? `**${sig3(value)}**` : sig3(value);
    });
    lines.push(`| ${variant} | ${row.join(" | ")} |`);
  }
  return lines;
}

function renderProblems(results: BenchResults): string[] {
  const failed = results.cells.filter((c) => !c.valid);
  if (failed.length === 0 && results.unavailable.length === 0) {
    return ["## Errors", "", "None: every call of every window succeeded.", ""];
  }
  const lines = ["## Errors and skipped variants", ""];
  for (const u of results.unavailable) {
    lines.push(`- ${u.variant} on ${u.server}: skipped, ${u.reason}`);
  }
  for (const c of failed) {
    const why = c.failures[0] ?? c.firstError ?? "incomplete";
    lines.push(
      `- ${c.variant} on ${c.server}, ${c.call} c=${c.concurrency}: ${c.errors} failed calls; ${why}`,
    );
  }
  lines.push("");
  return lines;
}

/** Cells where some calls took far longer than the rest: their figures stand, but say so. */
function renderStalls(cells: readonly CellResult[]): string[] {
  const stalled = cells.filter((c) => c.lateCallers > 0 || c.stragglers > 0);
  if (stalled.length === 0) return [];
  return [
    "## Stalled calls",
    "",
    "Calls that took seconds where the others took milliseconds. Late callers had not completed" +
      " their first call when a window opened (its warm-up stretches 5 s at most); stragglers were" +
      " still in flight 5 s after a window closed, and count nowhere.",
    "",
    ...stalled.map((c) => {
      const warmups = c.rounds.map((r) => `${(r.warmupMs / 1000).toFixed(1)} s`).join(", ");
      return (
        `- ${c.variant} on ${c.server}, ${c.call} c=${c.concurrency}: ${c.lateCallers} late` +
        ` callers, ${c.stragglers} stragglers over ${c.rounds.length} rounds (warm-ups ${warmups})`
      );
    }),
    "",
  ];
}

function renderSpread(cells: readonly CellResult[]): string[] {
  const valid = cells.filter((c) => c.valid && c.rounds.length > 1);
  if (valid.length === 0) return [];
  const cpu = median(valid.map((c) => c.spread.cpuUsPerCall));
  const rps = median(valid.map((c) => c.spread.rps));
  return [
    "## Variance",
    "",
    `Round-to-round spread, (max − min) ÷ median, median over ${valid.length} cells:` +
      ` client CPU per call ${percent(cpu)}, requests per second ${percent(rps)}.` +
      " Every round's figures are in latest.json.",
    "",
  ];
}

function renderLegend(results: BenchResults, readme: string): string[] {
  const servers = [...new Set(results.cells.map((c) => c.server))] as ServerName[];
  const variants = [...new Set(results.cells.map((c) => c.variant))] as VariantName[];
  return [
    "## What was measured",
    "",
    ...servers.map((s) => `- **${s}** server: ${serverDescriptions[s]}`),
    ...variants.map((v) => `- **${v}**: ${variantDescriptions[v]}`),
    "",
    `How the harness works, and the schema of latest.json: [bench/README.md](${readme}).`,
  ];
}
