/** Collects each cell's rounds as they come, then sums them up into medians. */
import { type ServerName, serverNames, type VariantName, variantNames } from "../catalog.js";
import { median, relativeSpread } from "../stats.js";
import { type CallName, callNames } from "../workload.js";
import type { CellResult, RoundResult } from "./results.js";

/** Where a cell is in the matrix. */
export interface CellKey {
  readonly server: ServerName;
  readonly call: CallName;
  readonly concurrency: number;
  readonly variant: VariantName;
}

interface Collected {
  readonly key: CellKey;
  readonly rounds: RoundResult[];
  readonly failures: string[];
}

export class CellCollector {
  private readonly cells = new Map<string, Collected>();

  constructor(private readonly expectedRounds: number) {}

  addRound(key: CellKey, round: RoundResult): void {
    this.cell(key).rounds.push(round);
  }

  addFailure(key: CellKey, round: number, reason: string): void {
    this.cell(key).failures.push(`round ${round}: ${reason}`);
  }

  /** Every cell, in the catalog's order of servers, calls, concurrencies and variants. */
  results(): CellResult[] {
    return [...this.cells.values()].sort(byCatalogOrder).map(({ key, rounds, failures }) => {
      const errors = rounds.reduce((sum, r) => sum + r.errors + r.warmupErrors, 0);
      const of = (figure: "rps" | "p50Ms" | "p99Ms" | "cpuUsPerCall") =>
        rounds.map((r) => r[figure]);
      return {
        ...key,
        rounds,
        median: {
          rps: median(of("rps")),
          p50Ms: median(of("p50Ms")),
          p99Ms: median(of("p99Ms")),
          cpuUsPerCall: median(of("cpuUsPerCall")),
        },
        spread: {
          rps: relativeSpread(of("rps")),
          cpuUsPerCall: relativeSpread(of("cpuUsPerCall")),
        },
        errors,
        lateCallers: rounds.reduce((sum, r) => sum + r.lateCallers, 0),
        stragglers: rounds.reduce((sum, r) => sum + r.stragglers, 0),
        firstError: rounds.find((r) => r.firstError !== null)?.firstError ?? null,
        failures,
        valid:
          errors === 0 &&
          failures.length === 0 &&
          rounds.length === this.expectedRounds &&
          rounds.every((r) => r.ok > 0),
      };
    });
  }

  private cell(key: CellKey): Collected {
    const id = `${key.server}|${key.call}|${key.concurrency}|${key.variant}`;
    let cell = this.cells.get(id);
    if (cell === undefined) {
      cell = { key, rounds: [], failures: [] };
      this.cells.set(id, cell);
    }
    return cell;
  }
}

function byCatalogOrder({ key: a }: Collected, { key: b }: Collected): number {
  return (
    serverNames.indexOf(a.server) - serverNames.indexOf(b.server) ||
    callNames.indexOf(a.call) - callNames.indexOf(b.call) ||
    a.concurrency - b.concurrency ||
    variantNames.indexOf(a.variant) - variantNames.indexOf(b.variant)
  );
}

/** Why a cell has no figures, in a few words; null when it is valid. */
export function invalidReason(cell: CellResult): string | null {
  if (cell.valid) return null;
  if (cell.errors > 0) return `${cell.errors} errors`;
  if (cell.failures.length > 0) return "client failed";
  return "no calls counted";
}
