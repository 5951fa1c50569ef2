/**
 * What the HNSW index costs writers: CreateMemory through the facade over gRPC, callers in a
 * closed loop, on the large one-scope dataset, first with the index in place, then without it
 * (dropped, and the store opened with `vectorIndex: false`). On SQLite the index is the covering
 * index of sign sketches that its searches scan, dropped the same way.
 */
import { measureWindow } from "../harness/clients/closed-loop.js";
import type { WindowResult } from "../harness/clients/messages.js";
import { describeWindow } from "./creates.js";
import { confidenceOf, oneScope, scopeOf, topicNames } from "./datasets.js";
import { type EngineName, type Storage, type StoreSettings, startOn } from "./engines.js";
import { dropVectorIndex } from "./footprint.js";
import type { Progress } from "./progress.js";
import { embeddings, streams } from "./vectors.js";
import { type LoopSettings, summarise, type WindowSummary } from "./window-summary.js";

/** Embeddings the callers take in turn, each a new memory of its own topic. */
const memoryVectors = 64;

export interface IndexedCreatesRecord {
  readonly engine: EngineName;
  readonly size: number;
  readonly withIndex: WindowSummary;
  readonly withoutIndex: WindowSummary;
  /** Median creates/s with the index over without; null when either failed calls. */
  readonly ratio: number | null;
}

/** `loop.windows` windows with the index, then as many without, on `storage`. */
export async function measureIndexedCreates(
  storage: Storage,
  size: number,
  settings: StoreSettings,
  loop: LoopSettings,
  progress: Progress,
): Promise<IndexedCreatesRecord> {
  const postgres = storage.engine === "postgres";
  const withIndex = await createWindows(storage, settings, "with the index", loop, progress);
  if (await dropVectorIndex(storage))
    progress.note(`  dropped the vector index of ${storage.engine}`);
  const withoutIndex = await createWindows(
    storage,
    postgres ? { ...settings, vectorIndex: false } : settings,
    "without the index",
    loop,
    progress,
  );
  const [a, b] = [withIndex.median.rps, withoutIndex.median.rps];
  const valid = withIndex.errors === 0 && withoutIndex.errors === 0;
  return {
    engine: storage.engine,
    size,
    withIndex,
    withoutIndex,
    ratio: valid && a !== null && b !== null && b > 0 ? a / b : null,
  };
}

async function createWindows(
  storage: Storage,
  settings: StoreSettings,
  label: string,
  loop: LoopSettings,
  progress: Progress,
): Promise<WindowSummary> {
  // Opening builds the index if the searches have not (then it is not timed here).
  const running = await startOn(storage, settings);
  const drawn = embeddings(streams.creates, memoryVectors);
  let next = 0;
  const create = async () => {
    const i = next++;
    const { topic, values } = drawn[i % drawn.length] as (typeof drawn)[number];
    await running.memory.createMemory({
      scope: scopeOf(oneScope, 0),
      fact: "The user prefers window seats.",
      topic: topicNames[topic] as string,
      embedding: values,
      confidence: confidenceOf(i),
      importance: 0.5,
    });
  };
  const windows: WindowResult[] = [];
  try {
    for (let w = 1; w <= loop.windows; w++) {
      const window = await measureWindow(create, {
        concurrency: loop.concurrency,
        warmupMs: loop.warmupMs,
        durationMs: loop.windowMs,
      });
      windows.push(window);
      progress.step(
        `CreateMemory ${storage.engine} ${label}, window ${w}: ${describeWindow(window)}`,
      );
    }
  } finally {
    await running.close();
  }
  return summarise(windows);
}
