/**
 * Creates per second: CreateSession, CreateEvent and CreateMemory through the facade over gRPC,
 * in closed loops (the harness's measureWindow), on each engine, round after round with the
 * engine order alternating so that drift of the machine falls on both.
 */

import { measureWindow } from "../harness/clients/closed-loop.js";
import type { WindowResult } from "../harness/clients/messages.js";
import { sig3 } from "../harness/report/format.js";
import { median, relativeSpread } from "../harness/stats.js";
import { type EngineName, type Running, type Storage, startOn } from "./engines.js";
import type { Progress } from "./progress.js";
import { embeddings, streams } from "./vectors.js";

export const createCalls = ["createSession", "createEvent", "createMemory"] as const;
export type CreateCall = (typeof createCalls)[number];

/** Sessions the CreateEvent callers take in turn. */
export const eventSessions = 8;
/** Embeddings the CreateMemory callers take in turn (each a different seeded vector). */
const memoryVectors = 64;
const scope = { user_id: "bench-creates" };
export const eventContent = {
  eventType: "message",
  data: { content: "Hello, this is a benchmark message about the weather in Lisbon." },
  inputTokens: 12,
};

/** One window, as measureWindow reports it, with its place in the run. */
export interface CreateWindow extends WindowResult {
  readonly round: number;
  /** 1 or 2: whether this engine ran first or second in this cell of this round. */
  readonly position: number;
  /** Retries the facade made during the window, its warm-up and drain included. */
  readonly retries: number;
}

/** Every round of one (engine, call, concurrency). */
export interface CreateCell {
  readonly engine: EngineName;
  readonly call: CreateCall;
  readonly concurrency: number;
  readonly rounds: CreateWindow[];
  /** Medians over rounds. */
  readonly median: { rps: number | null; p50Ms: number | null; p99Ms: number | null };
  /** (max - min) / median of creates/s over rounds; null with one round. */
  readonly spreadRps: number | null;
  /** Failed calls over every round, warm-ups included. */
  readonly errors: number;
  readonly retries: number;
  readonly firstError: string | null;
}

/** The unmeasured warm-up of one call on one engine, before the first round. */
export interface CreateWarmup {
  readonly engine: EngineName;
  readonly call: CreateCall;
  readonly ok: number;
  readonly errors: number;
  readonly firstError: string | null;
}

export interface CreateSettings {
  readonly rounds: number;
  readonly concurrency: readonly number[];
  readonly windowMs: number;
  readonly warmupMs: number;
}

/** An engine ready for creates: its services, and one closure per call. */
interface Target {
  readonly engine: EngineName;
  readonly running: Running;
  readonly calls: Record<CreateCall, () => Promise<void>>;
}

async function prepare(storage: Storage): Promise<Target> {
  const running = await startOn(storage);
  const { sessions, memory } = running;
  const sessionIds: string[] = [];
  for (let i = 0; i < eventSessions; i++) {
    const session = await sessions.createSession({ scope, title: "bench", ttlSeconds: 86_400 });
    sessionIds.push(session.id);
  }
  const vectors = embeddings(streams.creates, memoryVectors).map((e) => e.values);
  let nextSession = 0;
  let nextVector = 0;
  return {
    engine: storage.engine,
    running,
    calls: {
      createSession: async () => {
        await sessions.createSession({ scope, title: "bench session" });
      },
      createEvent: async () => {
        const sessionId = sessionIds[nextSession++ % sessionIds.length] as string;
        await sessions.createEvent({ sessionId, ...eventContent });
      },
      createMemory: async () => {
        const embedding = vectors[nextVector++ % vectors.length] as number[];
        await memory.createMemory({ scope, fact: "The user prefers window seats.", embedding });
      },
    },
  };
}

/** Windows a run of `settings` on `engines` engines makes, for the progress lines. */
export function plannedWindows(settings: CreateSettings, engines: number): number {
  return settings.rounds * createCalls.length * settings.concurrency.length * engines;
}

/**
 * Starts services on each storage, warms each call up once (the most callers measured, not
 * measured itself: the first windows would measure code not yet optimised), then runs the rounds; returns one cell per
 * (engine, call, concurrency), in the order of `storages`.
 */
export async function measureCreates(
  storages: readonly Storage[],
  settings: CreateSettings,
  progress: Progress,
): Promise<{ cells: CreateCell[]; warmups: CreateWarmup[] }> {
  const targets: Target[] = [];
  const warmups: CreateWarmup[] = [];
  try {
    for (const storage of storages) targets.push(await prepare(storage));
    for (const target of targets) {
      for (const call of createCalls) {
        const warm = await measureWindow(target.calls[call], {
          concurrency: Math.max(...settings.concurrency),
          warmupMs: settings.warmupMs,
          durationMs: settings.warmupMs,
        });
        progress.note(`warm-up ${target.engine} ${call}: ${describeWindow(warm)}`);
        warmups.push({
          engine: target.engine,
          call,
          ok: warm.ok,
          errors: warm.errors + warm.warmupErrors,
          firstError: warm.firstError,
        });
      }
    }
    const windows = new Map<string, CreateWindow[]>();
    for (let round = 1; round <= settings.rounds; round++) {
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const call of createCalls) {
        for (const concurrency of settings.concurrency) {
          for (const [index, target] of order.entries()) {
            const retriesBefore = target.running.retries();
            const result = await measureWindow(target.calls[call], {
              concurrency,
              warmupMs: settings.warmupMs,
              durationMs: settings.windowMs,
            });
            const window = {
              ...result,
              round,
              position: index + 1,
              retries: target.running.retries() - retriesBefore,
            };
            const key = cellKey(target.engine, call, concurrency);
            windows.set(key, [...(windows.get(key) ?? []), window]);
            progress.step(
              `round ${round} ${call} c${concurrency} ${target.engine}: ${describeWindow(window)}`,
            );
          }
        }
      }
    }
    const cells = targets.flatMap(({ engine }) =>
      createCalls.flatMap((call) =>
        settings.concurrency.map((concurrency) =>
          toCell(engine, call, concurrency, windows.get(cellKey(engine, call, concurrency)) ?? []),
        ),
      ),
    );
    return { cells, warmups };
  } finally {
    for (const target of targets) await target.running.close();
  }
}

function cellKey(engine: EngineName, call: CreateCall, concurrency: number): string {
  return `${engine} ${call} ${concurrency}`;
}

function toCell(
  engine: EngineName,
  call: CreateCall,
  concurrency: number,
  rounds: CreateWindow[],
): CreateCell {
  const rps = rounds.map((w) => w.rps);
  return {
    engine,
    call,
    concurrency,
    rounds,
    median: {
      rps: median(rps),
      p50Ms: median(rounds.map((w) => w.p50Ms)),
      p99Ms: median(rounds.map((w) => w.p99Ms)),
    },
    spreadRps: relativeSpread(rps),
    errors: rounds.reduce((sum, w) => sum + w.errors + w.warmupErrors, 0),
    retries: rounds.reduce((sum, w) => sum + w.retries, 0),
    firstError: rounds.find((w) => w.firstError !== null)?.firstError ?? null,
  };
}

/** A progress line's figures. */
export function describeWindow(w: WindowResult & { retries?: number }): string {
  const text = `${sig3(w.rps)} /s  p50 ${sig3(w.p50Ms)} p99 ${sig3(w.p99Ms)} ms  (${w.ok} calls)`;
  const errors = w.errors + w.warmupErrors;
  const retries = w.retries ? `  ${w.retries} retries` : "";
  return errors > 0 ? `${text}${retries}  ${errors} ERRORS: ${w.firstError}` : `${text}${retries}`;
}
