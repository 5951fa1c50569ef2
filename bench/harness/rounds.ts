/**
 * The measured part of a server's turn: for each round, call and concurrency, one window per
 * variant, in an order that rotates from one cell and round to the next, so that no variant always
 * runs first, or right after the same neighbour, while the machine drifts.
 */
import type { ServerName } from "./catalog.js";
import type { ClientProcess } from "./client-process.js";
import { type BenchOptions, concurrencyOf } from "./options.js";
import type { Progress } from "./progress.js";
import type { CellCollector } from "./report/cells.js";

export async function runRounds(
  server: ServerName,
  clients: readonly ClientProcess[],
  options: BenchOptions,
  collector: CellCollector,
  progress: Progress,
): Promise<void> {
  const { warmupMs, durationMs } = options;
  for (let round = 1; round <= options.rounds; round++) {
    let cellIndex = 0;
    for (const call of options.calls) {
      for (const concurrency of concurrencyOf(call, server, options)) {
        const order = rotate(clients, round - 1 + cellIndex++);
        for (const [index, client] of order.entries()) {
          const key = { server, call, concurrency, variant: client.variant };
          const label = `${server} ${call} c=${concurrency} round ${round}: ${client.variant}`;
          if (!client.alive) {
            const failure = new Error("the client process had failed earlier");
            collector.addFailure(key, round, failure.message);
            progress.window(label, failure);
            continue;
          }
          try {
            const result = await client.run({ call, concurrency, warmupMs, durationMs });
            collector.addRound(key, { round, position: index + 1, ...result });
            progress.window(label, result);
          } catch (error) {
            const failure = error instanceof Error ? error : new Error(String(error));
            collector.addFailure(key, round, failure.message.split("\n")[0] ?? "");
            progress.window(label, failure);
          }
        }
      }
    }
  }
}

/** `items` starting at index `by` (modulo its length), wrapping around. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
