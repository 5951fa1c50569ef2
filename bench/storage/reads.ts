/**
 * Reads per second: GetMemory and SearchMemories (the default search) by callers in a closed loop
 * through the facade over gRPC, on the small one-scope dataset of each engine, rounds alternating
 * the engine order. What a read writes (access counts) is what this part watches, so it uses only
 * what the code from before the search indexes has too: run `--only reads` there to compare.
 */

import { mulberry32 } from "../../test/support/mulberry32.js";
import { measureWindow } from "../harness/clients/closed-loop.js";
import type { WindowResult } from "../harness/clients/messages.js";
import { describeWindow } from "./creates.js";
import { idOf, oneScope } from "./datasets.js";
import {
  type EngineName,
  type Running,
  type Storage,
  type StoreSettings,
  startOn,
} from "./engines.js";
import type { Progress } from "./progress.js";
import { searchRequests } from "./queries.js";
import { type LoopSettings, summarise, type WindowSummary } from "./window-summary.js";

export const readCalls = ["getMemory", "searchMemories"] as const;
export type ReadCall = (typeof readCalls)[number];

/** Queries the searching callers take in turn. */
const searchQueries = 64;

export interface ReadsRecord extends WindowSummary {
  readonly engine: EngineName;
  readonly call: ReadCall;
  readonly size: number;
}

/** The closures the callers run on one engine: seeded ids, queries in turn. */
function readsOn(running: Running, size: number): Record<ReadCall, () => Promise<void>> {
  const pickIndex = mulberry32(size);
  const requests = searchRequests(oneScope, "none", searchQueries);
  let next = 0;
  return {
    getMemory: async () => {
      await running.memory.getMemory(idOf(oneScope, Math.floor(pickIndex() * size)));
    },
    searchMemories: async () => {
      const request = requests[next++ % requests.length] as (typeof requests)[number];
      await running.memory.searchMemories(request);
    },
  };
}

/**
 * `loop.windows` rounds; in each, every call on every storage (each loaded with `size` memories
 * of the one scope), the engine order alternating from round to round.
 */
export async function measureReads(
  storages: readonly Storage[],
  size: number,
  settings: StoreSettings,
  loop: LoopSettings,
  progress: Progress,
): Promise<ReadsRecord[]> {
  const targets: { engine: EngineName; running: Running }[] = [];
  const windows = new Map<string, WindowResult[]>();
  try {
    for (const storage of storages) {
      targets.push({ engine: storage.engine, running: await startOn(storage, settings) });
    }
    for (let round = 1; round <= loop.windows; round++) {
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const call of readCalls) {
        for (const { engine, running } of order) {
          const window = await measureWindow(readsOn(running, size)[call], {
            concurrency: loop.concurrency,
            warmupMs: loop.warmupMs,
            durationMs: loop.windowMs,
          });
          const key = `${engine} ${call}`;
          windows.set(key, [...(windows.get(key) ?? []), window]);
          progress.step(`round ${round} ${call} ${engine}: ${describeWindow(window)}`);
        }
      }
    }
  } finally {
    for (const { running } of targets) await running.close();
  }
  return targets.flatMap(({ engine }) =>
    readCalls.map((call) => ({
      engine,
      call,
      size,
      ...summarise(windows.get(`${engine} ${call}`) ?? []),
    })),
  );
}
