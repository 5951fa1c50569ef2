/**
 * One measured window of a closed loop: N callers, each awaiting its call before it issues the
 * next, first through a warm-up, then through the window itself.
 *
 * Both phases stretch when the loop is slow, so that a window measures a steady state rather than
 * the first burst: the warm-up lasts until every caller has completed a call, and the window until
 * at least N/2 calls completed in it (one for every other caller). At 256 callers against a busy
 * server a call can take longer than a whole fixed window, which would otherwise count nothing,
 * or only the first wave of answers. Stretches are bounded, and so is the wait for the calls still
 * in flight after the window: a few calls stuck for many seconds (it happens, see bench/README.md)
 * are reported as such rather than holding the run up.
 *
 * Only calls that complete inside the window count, successes and failures apart. The window's
 * CPU time is the whole process's (user + system, every thread) between its two edges, and each
 * edge is taken in the same event-loop turn as the phase change, so the calls counted and the CPU
 * measured cover the same span.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { percentile } from "../stats.js";
import { LatencyRecorder } from "./latency-recorder.js";
import type { WindowResult, WindowSpec } from "./messages.js";

/** The longest the warm-up may stretch beyond its planned length. */
const maxWarmupStretchMs = 5_000;
/** The longest the window may stretch beyond its planned length. */
const maxWindowStretchMs = 10_000;
/** How long the calls in flight after the window are waited for; later ones count nowhere. */
const maxDrainMs = 5_000;

export async function measureWindow(
  call: () => Promise<void>,
  spec: Omit<WindowSpec, "call">,
): Promise<WindowResult> {
  const { concurrency } = spec;
  let phase: "warmup" | "window" | "over" = "warmup";
  let warmupTimeUp = false;
  let windowTimeUp = false;
  let warmCallers = 0;
  const latencies = new LatencyRecorder();
  let ok = 0;
  let errors = 0;
  let warmupErrors = 0;
  let firstError: string | null = null;
  let cpuStart = process.cpuUsage();
  let cpu = { user: 0, system: 0 };
  let start = 0;
  let windowMs = 0;
  let endWindow = () => {};
  const windowOver = new Promise<void>((resolve) => {
    endWindow = () => {
      cpu = process.cpuUsage(cpuStart);
      windowMs = performance.now() - start;
      phase = "over";
      resolve();
    };
  });

  const begun = performance.now();
  let lateCallers = 0;
  const startWindow = () => {
    lateCallers = concurrency - warmCallers;
    cpuStart = process.cpuUsage();
    start = performance.now();
    phase = "window";
    timers.push(
      setTimeout(() => {
        windowTimeUp = true;
        endWindowIfDone();
      }, spec.durationMs),
      setTimeout(() => phase === "window" && endWindow(), spec.durationMs + maxWindowStretchMs),
    );
  };
  const startWindowIfWarm = () => {
    if (phase === "warmup" && warmupTimeUp && warmCallers === concurrency) startWindow();
  };
  const minWindowCalls = Math.ceil(concurrency / 2);
  const endWindowIfDone = () => {
    if (phase === "window" && windowTimeUp && ok + errors >= minWindowCalls) endWindow();
  };
  const timers = [
    setTimeout(() => {
      warmupTimeUp = true;
      startWindowIfWarm();
    }, spec.warmupMs),
    setTimeout(() => phase === "warmup" && startWindow(), spec.warmupMs + maxWarmupStretchMs),
  ];

  let inFlight = 0;
  const caller = async () => {
    let warm = false;
    while (phase !== "over") {
      const started = performance.now();
      let failure: { error: unknown } | undefined;
      inFlight++;
      try {
        await call();
      } catch (error) {
        failure = { error };
      }
      inFlight--;
      if (phase === "window") {
        if (failure === undefined) {
          ok++;
          latencies.record(performance.now() - started);
        } else {
          errors++;
        }
      } else if (phase === "warmup" && failure !== undefined) {
        warmupErrors++;
      }
      if (!warm) {
        warm = true;
        warmCallers++;
        startWindowIfWarm();
      }
      endWindowIfDone();
      if (failure !== undefined) {
        firstError ??= describe(failure.error);
        // A call that fails without I/O would loop on microtasks and starve the phase timers.
        await nextTurn();
      }
    }
  };

  const callers = Promise.all(Array.from({ length: concurrency }, caller));
  await windowOver;
  const ended = performance.now();
  await Promise.race([callers, sleep(maxDrainMs)]);
  for (const timer of timers) clearTimeout(timer);

  const sorted = latencies.sorted();
  const cpuUs = cpu.user + cpu.system;
  return {
    ok,
    errors,
    warmupErrors,
    firstError,
    warmupMs: start - begun,
    lateCallers,
    windowMs,
    drainMs: performance.now() - ended,
    stragglers: inFlight,
    rps: ok > 0 ? (ok * 1000) / windowMs : null,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    cpuUsPerCall: ok > 0 ? cpuUs / ok : null,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
  };
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
