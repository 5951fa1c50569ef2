/**
 * The services opened on a loaded dataset, timed: on PostgreSQL that builds the HNSW index when it
 * is missing (the load drops it), so the difference with an open without the index is the build.
 * Then what the dataset and its index take on disk.
 */
import type { Dataset } from "./datasets.js";
import {
  type EngineName,
  type Running,
  type Storage,
  type StoreSettings,
  startOn,
} from "./engines.js";
import { type Footprint, footprintOf } from "./footprint.js";
import type { Progress } from "./progress.js";

export interface OpeningRecord {
  readonly engine: EngineName;
  readonly dataset: Dataset["kind"];
  readonly size: number;
  /** PostgreSQL: startServices with `vectorIndex: false`, the open without a build; null on SQLite. */
  readonly openWithoutIndexSeconds: number | null;
  /** startServices as measured: on PostgreSQL with the index, built when missing. */
  readonly openSeconds: number;
  readonly footprint: Footprint;
}

async function timedStart(
  storage: Storage,
  settings: StoreSettings,
): Promise<{ running: Running; seconds: number }> {
  const start = performance.now();
  const running = await startOn(storage, settings);
  return { running, seconds: (performance.now() - start) / 1000 };
}

/** Starts the services on `storage` with `settings`, timed; the caller closes them. */
export async function openMeasured(
  storage: Storage,
  dataset: Dataset,
  size: number,
  settings: StoreSettings,
  progress: Progress,
): Promise<{ running: Running; opening: OpeningRecord }> {
  let openWithoutIndexSeconds: number | null = null;
  if (storage.engine === "postgres") {
    const bare = await timedStart(storage, { ...settings, vectorIndex: false });
    await bare.running.close();
    openWithoutIndexSeconds = bare.seconds;
  }
  const { running, seconds } = await timedStart(storage, settings);
  const footprint = await footprintOf(storage);
  const opening: OpeningRecord = {
    engine: storage.engine,
    dataset: dataset.kind,
    size,
    openWithoutIndexSeconds,
    openSeconds: seconds,
    footprint,
  };
  progress.note(`opened ${storage.engine} ${dataset.kind} ${size}: ${describeOpening(opening)}`);
  return { running, opening };
}

const megabytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

function describeOpening(o: OpeningRecord): string {
  const without =
    o.openWithoutIndexSeconds === null
      ? ""
      : ` (${o.openWithoutIndexSeconds.toFixed(2)} s without the index)`;
  const index =
    o.footprint.indexBytes === null
      ? "no HNSW index"
      : `index ${megabytes(o.footprint.indexBytes)}`;
  return `${o.openSeconds.toFixed(2)} s${without}, data ${megabytes(o.footprint.dataBytes)}, ${o.engine === "sqlite" ? "files" : index}`;
}
