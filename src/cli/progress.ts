import type { ProgressEvent } from "../workers/types.js";
import type { OutputStream } from "./io.js";

/** Draws a worker's progress; `finish()` ends the last line. */
export interface ProgressDisplay {
  /** Undefined when nothing is drawn, so that the worker need not even call it. */
  readonly onProgress: ((event: ProgressEvent) => void) | undefined;
  finish(): void;
}

const barWidth = 20;

/**
 * A progress bar on `stream` when it is a terminal (`\r[#####-----] 5/10 extract`, one line per
 * stage); nothing at all otherwise, so that piped or logged output stays clean for scripts.
 */
export function progressDisplay(stream: OutputStream): ProgressDisplay {
  if (!stream.isTTY) return { onProgress: undefined, finish: () => {} };
  let stage: string | undefined;
  let drawn = 0;
  return {
    onProgress: (event) => {
      // A finished stage keeps its line: the user sees each stage's final count.
      if (stage !== undefined && stage !== event.stage) stream.write("\n");
      if (stage !== event.stage) drawn = 0;
      stage = event.stage;
      const line = fitToWidth(render(event), stream.columns);
      // Blank out whatever the previous, longer line left behind.
      stream.write(`\r${line}${" ".repeat(Math.max(0, drawn - line.length))}`);
      drawn = line.length;
    },
    finish: () => {
      if (stage !== undefined) stream.write("\n");
      stage = undefined;
    },
  };
}

function render({ stage, done, total, message }: ProgressEvent): string {
  const suffix = message ? ` ${message}` : "";
  if (total === undefined || total <= 0) return `${stage} ${done}${suffix}`;
  const filled = Math.round((Math.min(done, total) / total) * barWidth);
  return `[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${done}/${total} ${stage}${suffix}`;
}

// A line wider than the terminal wraps, and `\r` then redraws only its last part.
function fitToWidth(line: string, columns: number | undefined): string {
  return columns !== undefined && columns > 1 && line.length >= columns
    ? line.slice(0, columns - 1)
    : line;
}
