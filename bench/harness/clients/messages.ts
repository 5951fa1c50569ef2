/** The messages between the harness and a client process, over its IPC channel. */
import type { CallName, Target } from "../workload.js";

/** One measured window: N closed-loop callers, a warm-up, then the window itself. */
export interface WindowSpec {
  readonly call: CallName;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** What one window measured. Figures are null when no call succeeded in it. */
export interface WindowResult {
  /** Calls that succeeded and completed within the window. */
  readonly ok: number;
  /** Calls that failed and completed within the window. */
  readonly errors: number;
  /** Calls that failed during the warm-up. */
  readonly warmupErrors: number;
  /** The first failure's message, if any. */
  readonly firstError: string | null;
  /** How long the warm-up actually lasted (it stretches until every caller completed a call). */
  readonly warmupMs: number;
  /** Callers still on their first call when the window opened (the warm-up's stretch ran out). */
  readonly lateCallers: number;
  /** The window's actual length (it stretches until N/2 calls completed in it). */
  readonly windowMs: number;
  /** How long the harness waited for the calls still in flight at the end of the window. */
  readonly drainMs: number;
  /** Calls still in flight when the wait ran out: they count nowhere. */
  readonly stragglers: number;
  /** Successful calls per second of the window. */
  readonly rps: number | null;
  /** Latency percentiles of the successful calls, from each call's start to its end. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Process CPU time (user + system) over the window divided by successful calls. */
  readonly cpuUsPerCall: number | null;
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
}

/**
 * A JIT warm-up: closed-loop callers of each call, as many as it says, all at once, until the
 * process has spent `cpuMs` of CPU time or `maxWallMs` have passed.
 */
export interface WarmupSpec {
  readonly calls: readonly { readonly call: CallName; readonly concurrency: number }[];
  readonly cpuMs: number;
  readonly maxWallMs: number;
}

/** What a JIT warm-up did. */
export interface WarmupResult {
  readonly calls: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly wallMs: number;
}

/** From the harness to a client process, whose variant is named on its command line. */
export type ClientCommand =
  | { readonly type: "init"; readonly target: Target }
  | ({ readonly type: "warm" } & WarmupSpec)
  | ({ readonly type: "run" } & WindowSpec)
  | { readonly type: "close" };

/** From a client process to the harness, one answer per command. */
export type ClientReply =
  | { readonly type: "ready" }
  | { readonly type: "unavailable"; readonly reason: string }
  | { readonly type: "warmed"; readonly result: WarmupResult }
  | { readonly type: "result"; readonly result: WindowResult }
  | { readonly type: "failed"; readonly error: string }
  | { readonly type: "closed" };
