/**
 * The performance targets (bench/README.md, "Targets"), computed from one run: each is a ratio of two
 * variants' medians in the same cell (server, call, concurrency), so that machine drift between
 * runs does not enter it.
 */
import { facadeJsonH1Transport, type ServerName, type VariantName } from "../catalog.js";
import { type BenchOptions, concurrencyOf } from "../options.js";
import type { CallName } from "../workload.js";
import type { CellResult, Goal, TargetResult } from "./results.js";

/** The concurrency the targets are judged at, when the run measured it. */
export const targetConcurrency = 64;

interface Comparison {
  readonly id: string;
  readonly title: string;
  readonly numerator: VariantName;
  readonly denominator: VariantName;
  readonly figure: TargetResult["figure"];
  /** Null for a row shown for reference, without a verdict. */
  readonly goal: Goal | null;
  /** The servers to judge on, or a preference list of which the first in the run is used. */
  readonly servers:
    | { readonly all: readonly ServerName[] }
    | { readonly first: readonly ServerName[] };
  /** The calls to judge on; every call measured when absent. */
  readonly calls?: readonly CallName[];
}

// Client-only comparisons prefer the canned server: its answers cost almost nothing, so the
// client's share of the machine, and of the noise, is largest there.
const grpcServers = { first: ["canned", "grpcjs", "reference"] } as const;
const jsonServers = { first: ["canned", "reference"] } as const;

const comparisons: readonly Comparison[] = [
  {
    id: "a",
    title: "facade-grpc vs grpc-js as its users run it (proto-loader): CPU per call",
    numerator: "facade-grpc",
    denominator: "grpcjs-protoloader",
    figure: "cpuUsPerCall",
    goal: { op: "<=", value: 0.75 },
    servers: { all: ["grpcjs", "canned"] },
  },
  {
    id: "a",
    title: "facade-grpc vs grpc-js as its users run it (proto-loader): requests per second",
    numerator: "facade-grpc",
    denominator: "grpcjs-protoloader",
    figure: "rps",
    goal: { op: ">=", value: 1.0 },
    servers: { all: ["grpcjs", "canned"] },
  },
  {
    id: "a",
    title: "for reference: facade-grpc vs grpc-js with the same codec (protobuf-es): CPU per call",
    numerator: "facade-grpc",
    denominator: "grpcjs",
    figure: "cpuUsPerCall",
    goal: null,
    servers: { all: ["grpcjs", "canned"] },
  },
  {
    id: "a",
    title:
      "for reference: facade-grpc vs grpc-js with the same codec (protobuf-es): requests per second",
    numerator: "facade-grpc",
    denominator: "grpcjs",
    figure: "rps",
    goal: null,
    servers: { all: ["grpcjs", "canned"] },
  },
  {
    id: "b",
    title: "facade-grpc vs a raw node:http2 loop: CPU per call",
    numerator: "facade-grpc",
    denominator: "raw-http2",
    figure: "cpuUsPerCall",
    goal: { op: "<=", value: 2.0 },
    servers: grpcServers,
    // The ceiling decodes nothing: on the payload calls the ratio is mostly the codec's cost.
    calls: ["createEvent"],
  },
  {
    id: "c",
    title: "facade-grpc over its own transport (http2-grpc): CPU per call",
    numerator: "facade-grpc",
    denominator: "http2-grpc",
    figure: "cpuUsPerCall",
    goal: { op: "<=", value: 1.05 },
    servers: grpcServers,
  },
  {
    id: "c",
    title: `facade-json-h1 over its own transport (${facadeJsonH1Transport}): CPU per call`,
    numerator: "facade-json-h1",
    denominator: facadeJsonH1Transport,
    figure: "cpuUsPerCall",
    goal: { op: "<=", value: 1.05 },
    servers: jsonServers,
  },
  {
    id: "c",
    title: "facade-json-h2 over its own transport (connect-json-h2): CPU per call",
    numerator: "facade-json-h2",
    denominator: "connect-json-h2",
    figure: "cpuUsPerCall",
    goal: { op: "<=", value: 1.05 },
    servers: jsonServers,
  },
  {
    id: "c",
    title: "for reference: facade-grpc over connect-node's gRPC transport",
    numerator: "facade-grpc",
    denominator: "connect-grpc",
    figure: "cpuUsPerCall",
    goal: null,
    servers: grpcServers,
  },
  {
    id: "d",
    title: "facade-json-h1 vs hand-written fetch + JSON: CPU per call",
    numerator: "facade-json-h1",
    denominator: "fetch-json",
    figure: "cpuUsPerCall",
    goal: { op: "<=", value: 1.0 },
    servers: jsonServers,
  },
  {
    id: "d",
    title: "facade-json-h1 vs hand-written fetch + JSON: requests per second",
    numerator: "facade-json-h1",
    denominator: "fetch-json",
    figure: "rps",
    goal: { op: ">=", value: 1.0 },
    servers: jsonServers,
  },
];

/** Every target, for every call measured, judged on the cells of this run. */
export function computeTargets(
  cells: readonly CellResult[],
  run: Pick<
    BenchOptions,
    "servers" | "calls" | "concurrency" | "payloadConcurrency" | "referencePayloadConcurrency"
  > & {
    unavailable: readonly { server: ServerName; variant: VariantName; reason: string }[];
  },
): TargetResult[] {
  // Each call at the target concurrency, or at the highest it was measured at.
  const concurrencyFor = (server: ServerName, call: CallName) => {
    const measured = concurrencyOf(call, server, run);
    return measured.includes(targetConcurrency) ? targetConcurrency : Math.max(...measured);
  };
  const find = (server: ServerName, call: CallName, variant: VariantName) =>
    cells.find(
      (c) =>
        c.server === server &&
        c.call === call &&
        c.concurrency === concurrencyFor(server, call) &&
        c.variant === variant,
    );
  const results: TargetResult[] = [];
  for (const comparison of comparisons) {
    const servers =
      "all" in comparison.servers
        ? comparison.servers.all.filter((s) => run.servers.includes(s))
        : comparison.servers.first.filter((s) => run.servers.includes(s)).slice(0, 1);
    for (const server of servers) {
      for (const call of run.calls.filter((c) => comparison.calls?.includes(c) ?? true)) {
        const sides = [comparison.numerator, comparison.denominator].map((variant) => {
          const cell = find(server, call, variant);
          return { variant, cell, why: missing(server, variant, cell, run.unavailable) };
        });
        const [top, bottom] = sides as [(typeof sides)[0], (typeof sides)[0]];
        const value = (cell: CellResult | undefined) => cell?.median[comparison.figure] ?? null;
        const spread = (cell: CellResult | undefined) => cell?.spread[comparison.figure] ?? null;
        const a = value(top.cell);
        const b = value(bottom.cell);
        const ratio = a !== null && b !== null && b !== 0 ? a / b : null;
        const why = top.why ?? bottom.why;
        results.push({
          id: comparison.id,
          title: comparison.title,
          server,
          call,
          concurrency: concurrencyFor(server, call),
          figure: comparison.figure,
          numerator: { variant: top.variant, value: a, spread: spread(top.cell) },
          denominator: { variant: bottom.variant, value: b, spread: spread(bottom.cell) },
          ratio,
          goal: comparison.goal,
          verdict: verdict(ratio, comparison.goal, why),
          note: why,
        });
      }
    }
  }
  return results;
}

function verdict(
  ratio: number | null,
  goal: Goal | null,
  why: string | null,
): TargetResult["verdict"] {
  if (goal === null) return "info";
  if (why !== null || ratio === null) return "n/a";
  return meets(ratio, goal) ? "MET" : "MISSED";
}

function meets(ratio: number, goal: Goal): boolean {
  switch (goal.op) {
    case "<":
      return ratio < goal.value;
    case "<=":
      return ratio <= goal.value;
    case ">=":
      return ratio >= goal.value;
  }
}

/** Why a side of a comparison has no figure to judge by, or null when it has one. */
function missing(
  server: ServerName,
  variant: VariantName,
  cell: CellResult | undefined,
  unavailable: readonly { server: ServerName; variant: VariantName; reason: string }[],
): string | null {
  const skipped = unavailable.find((u) => u.server === server && u.variant === variant);
  if (skipped) return `${variant} unavailable: ${skipped.reason}`;
  if (cell === undefined) return `${variant} not measured in this run`;
  if (cell.errors > 0) return `${variant} had ${cell.errors} failed calls`;
  if (!cell.valid) return `${variant} did not complete every round`;
  return null;
}
