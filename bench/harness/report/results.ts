/**
 * The results of a run, as written to latest.json (its schema is documented in bench/README.md).
 */
import type { ServerName, VariantName } from "../catalog.js";
import type { WindowResult } from "../clients/messages.js";
import type { Machine } from "../machine.js";
import type { BenchOptions } from "../options.js";
import type { CallName } from "../workload.js";

/** One window of one cell, in one round. */
export interface RoundResult extends WindowResult {
  /** 1-based round. */
  readonly round: number;
  /** 1-based place of the variant in the cell's order that round (the order rotates). */
  readonly position: number;
}

/** The medians of a cell's rounds. */
export interface Medians {
  readonly rps: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly cpuUsPerCall: number | null;
}

/** One (server, call, concurrency, variant): every round, and the medians. */
export interface CellResult {
  readonly server: ServerName;
  readonly call: CallName;
  readonly concurrency: number;
  readonly variant: VariantName;
  readonly rounds: RoundResult[];
  readonly median: Medians;
  /** (max - min) / median across rounds: how steady each figure was. */
  readonly spread: { readonly rps: number | null; readonly cpuUsPerCall: number | null };
  /** Failed calls, in windows and warm-ups, over every round. */
  readonly errors: number;
  readonly firstError: string | null;
  /** Callers still on their first call when a window opened, over every round. */
  readonly lateCallers: number;
  /** Calls still in flight 5 s after a window closed (counted nowhere), over every round. */
  readonly stragglers: number;
  /** Windows that produced no result at all (the client process failed), with why. */
  readonly failures: string[];
  /**
   * True when every round ran and counted calls, and no call failed: only valid cells have
   * figures in the tables and count for targets.
   */
  readonly valid: boolean;
}

/** What a target's ratio must be, e.g. `{ op: "<=", value: 1.5 }`. */
export interface Goal {
  readonly op: "<=" | ">=" | "<";
  readonly value: number;
}

/** One side of a target's ratio: a variant's median, and how much its rounds disagreed. */
export interface TargetSide {
  readonly variant: VariantName;
  readonly value: number | null;
  /** (max - min) / median of the figure over the rounds. */
  readonly spread: number | null;
}

/** The comparison a target makes, and how it went. */
export interface TargetResult {
  /** The target's letter in bench/README.md: a, b, c or d. */
  readonly id: string;
  readonly title: string;
  readonly server: ServerName;
  readonly call: CallName;
  readonly concurrency: number;
  readonly figure: "cpuUsPerCall" | "rps";
  readonly numerator: TargetSide;
  readonly denominator: TargetSide;
  readonly ratio: number | null;
  /** What the ratio must be; null for informational rows. */
  readonly goal: Goal | null;
  /** "n/a" when a side is missing or invalid; see `note`. Informational rows have "info". */
  readonly verdict: "MET" | "MISSED" | "n/a" | "info";
  readonly note: string | null;
}

/** Sizes of one call's messages on the wire, in protobuf and in proto3 JSON. */
export interface MessageSizes {
  readonly requestBytes: number;
  readonly requestJsonBytes: number;
  readonly responseBytes: number;
  readonly responseJsonBytes: number;
}

/** What the workload sends, for the report. */
export interface WorkloadSizes {
  readonly embeddingDimensions: number;
  /** Memories in the ListMemories page. */
  readonly pageMemories: number;
  /** Results of SearchMemories. */
  readonly searchResults: number;
  readonly calls: Readonly<Record<CallName, MessageSizes>>;
}

export interface BenchResults {
  readonly schemaVersion: 2;
  /** The command line, as typed after the entry point. */
  readonly argv: readonly string[];
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallSeconds: number;
  readonly machine: Machine;
  readonly settings: Omit<BenchOptions, "outDir">;
  readonly workload: WorkloadSizes;
  readonly unavailable: { server: ServerName; variant: VariantName; reason: string }[];
  readonly cells: CellResult[];
  readonly targets: TargetResult[];
}
