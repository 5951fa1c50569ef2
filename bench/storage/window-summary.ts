/** Windows of a closed loop (the harness's measureWindow) summed up: medians, failures. */
import type { WindowResult } from "../harness/clients/messages.js";
import { median } from "../harness/stats.js";

export interface WindowSummary {
  readonly windows: WindowResult[];
  /** Medians over the windows. */
  readonly median: { rps: number | null; p50Ms: number | null; p99Ms: number | null };
  /** Failed calls over every window, warm-ups included. */
  readonly errors: number;
  readonly firstError: string | null;
}

export function summarise(windows: WindowResult[]): WindowSummary {
  return {
    windows,
    median: {
      rps: median(windows.map((w) => w.rps)),
      p50Ms: median(windows.map((w) => w.p50Ms)),
      p99Ms: median(windows.map((w) => w.p99Ms)),
    },
    errors: windows.reduce((sum, w) => sum + w.errors + w.warmupErrors, 0),
    firstError: windows.find((w) => w.firstError !== null)?.firstError ?? null,
  };
}

/** How the closed loops run: callers, windows per condition, their length. */
export interface LoopSettings {
  readonly concurrency: number;
  readonly windows: number;
  readonly windowMs: number;
  readonly warmupMs: number;
}
