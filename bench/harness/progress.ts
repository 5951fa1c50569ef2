/**
 * Progress lines on stderr: one per window, with the time elapsed and an estimate of what is left.
 * Any note (a server starting, clients warming up) restarts the clock of the next window.
 */
import type { WindowResult } from "./clients/messages.js";
import { minutes, sig3 } from "./report/format.js";

export class Progress {
  private done = 0;
  private readonly started = performance.now();
  /** Time spent in windows alone: start-ups and warm-ups between them would skew the pace. */
  private windowsMs = 0;
  private lastAt = performance.now();

  /** `total` windows are planned; the estimate of what is left follows their pace so far. */
  constructor(private total: number) {}

  /** A planned window will not run (its variant is unavailable). */
  skip(windows: number): void {
    this.total -= windows;
  }

  note(text: string): void {
    process.stderr.write(`${text}\n`);
    this.lastAt = performance.now();
  }

  /** Time since the last note or window, e.g. "4.2 s". */
  sinceNote(): string {
    return `${((performance.now() - this.lastAt) / 1000).toFixed(1)} s`;
  }

  window(label: string, outcome: WindowResult | Error): void {
    const now = performance.now();
    this.done++;
    this.windowsMs += now - this.lastAt;
    const left = (this.windowsMs / this.done / 1000) * (this.total - this.done);
    const count = `${String(this.done).padStart(String(this.total).length)}/${this.total}`;
    const head = `[${count} ${minutes((now - this.started) / 1000)} ~${minutes(left)} left]`;
    this.note(
      `${head} ${label}: ${outcome instanceof Error ? `FAILED ${outcome.message}` : figures(outcome)}`,
    );
  }
}

function figures(result: WindowResult): string {
  const errors = result.errors + result.warmupErrors;
  const text = `${sig3(result.cpuUsPerCall)} µs/call  ${sig3(result.rps)} rps  p50 ${sig3(result.p50Ms)} p99 ${sig3(result.p99Ms)} ms`;
  return errors > 0 ? `${text}  ${errors} ERRORS: ${result.firstError}` : text;
}
