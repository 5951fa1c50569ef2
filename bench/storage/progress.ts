/** Progress lines on stderr: one per window (or batch of queries), with the time elapsed. */
import { minutes } from "../harness/report/format.js";

export class Progress {
  private readonly started = performance.now();
  private done = 0;

  constructor(private readonly total: number) {}

  /** A line about a planned step (a window, a batch of searches). */
  step(text: string): void {
    this.done++;
    const count = `${String(this.done).padStart(String(this.total).length)}/${this.total}`;
    this.note(`[${count} ${this.elapsed()}] ${text}`);
  }

  /** A line about anything else (a load, a start-up). */
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }

  elapsed(): string {
    return minutes((performance.now() - this.started) / 1000);
  }
}
