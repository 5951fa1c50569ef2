// Runs the inputs in batches, many in flight at once, and checks after each batch that the server
// is still the same process, still answers, and has written nothing. After a crash or a write it
// replays the batch one input at a time (restarting the server first after a crash) to find the
// input responsible.
import type { Input } from "./input.js";
import { describeOutcome, failureOf, type Outcome } from "./outcome.js";
import type { Senders } from "./senders.js";

/** The server under test, as far as the runner needs it. */
export interface Server {
  /** The running child's pid, undefined once it has exited. */
  readonly pid: number | undefined;
  /** Whether it answers GET /health on both ports. */
  healthy(): Promise<boolean>;
  /** Starts it again after a crash (kills it first if it hangs). */
  restart(): Promise<void>;
  /** Its last lines of output. */
  output(): string;
}

export interface Failure {
  readonly input: Input;
  readonly reason: string;
}

export interface Crash {
  /** The input that took the server down, when the replay found it. */
  readonly input: Input | undefined;
  readonly batch: string;
  readonly output: string;
}

/** Tables that changed, and the input that changed them when the replay found it. */
export interface Write {
  readonly input: Input | undefined;
  readonly batch: string;
  readonly tables: readonly string[];
}

/** The database, as far as the runner needs it. */
export interface Rows {
  /** The tables that differ from the last accepted state, e.g. "sessions.db/sessions: 1 rows, now 2". */
  changes(): string[];
  /** Takes the current state as the one later changes are measured from. */
  accept(): void;
}

export interface FuzzResult {
  tried: number;
  readonly byClass: Map<string, number>;
  readonly byOutcome: Map<string, number>;
  readonly failures: Failure[];
  readonly crashes: Crash[];
  readonly writes: Write[];
  /**
   * Inputs after whose GOAWAY (for a connection error) the server left the connection open:
   * RFC 9113 §5.4.1 says it must close it. Node's HTTP/2 server (20.x) stops reading after such
   * an error and keeps the socket until the session's idle timeout, so this is reported, not
   * failed: the server did answer, and serve.ts has no public hook to close it sooner.
   */
  readonly openAfterGoaway: Input[];
  /** Set when the run stopped early, and why. */
  stoppedEarly: string | undefined;
}

export interface FuzzOptions {
  readonly total: number;
  readonly input: (index: number) => Input;
  readonly senders: Senders;
  readonly server: Server;
  readonly rows: Rows;
  readonly concurrency: number;
  readonly batchSize: number;
  readonly maxCrashes: number;
  /** Runs after each batch, with the number of inputs tried so far (good reads, log polling). */
  readonly afterBatch: (tried: number) => Promise<void>;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const result: FuzzResult = {
    tried: 0,
    byClass: new Map(),
    byOutcome: new Map(),
    failures: [],
    crashes: [],
    writes: [],
    openAfterGoaway: [],
    stoppedEarly: undefined,
  };
  const watching: Promise<void>[] = [];
  const record = (input: Input, outcome: Outcome) => {
    result.tried++;
    increment(result.byClass, input.class);
    increment(result.byOutcome, describeOutcome(outcome));
    const reason = failureOf(outcome, input.mayClose);
    if (reason !== undefined) result.failures.push({ input, reason });
    if (outcome.kind === "goaway" && outcome.stayedOpen !== undefined && outcome.h2Code !== 0) {
      watching.push(
        outcome.stayedOpen.then((open) => {
          if (open) result.openAfterGoaway.push(input);
        }),
      );
    }
  };

  for (let start = 0; start < options.total; start += options.batchSize) {
    const batch = range(start, Math.min(start + options.batchSize, options.total)).map(
      options.input,
    );
    const pid = options.server.pid;
    const outcomes = await inParallel(batch, options.concurrency, (input) =>
      options.senders.send(input),
    );
    if (options.server.pid !== pid || !(await options.server.healthy())) {
      await replayCrash(batch, options, result, record);
      if (result.crashes.length >= options.maxCrashes) {
        result.stoppedEarly = `stopped after ${result.crashes.length} crashes`;
        break;
      }
    } else if (options.rows.changes().length > 0) {
      await replayWrite(batch, options, result, record);
    } else {
      for (const [i, input] of batch.entries()) record(input, outcomes[i] as Outcome);
    }
    await options.afterBatch(result.tried);
  }
  await Promise.all(watching);
  return result;
}

/** After a crash: restart, then send the batch again one input at a time, watching the server. */
async function replayCrash(
  batch: Input[],
  options: FuzzOptions,
  result: FuzzResult,
  record: (input: Input, outcome: Outcome) => void,
): Promise<void> {
  const batchName = `inputs ${batch[0]?.index}-${batch.at(-1)?.index}`;
  const restart = async () => {
    await options.server.restart();
    options.senders.reset();
  };
  const before = result.crashes.length;
  result.crashes.push({ input: undefined, batch: batchName, output: options.server.output() });
  await restart();
  for (const input of batch) {
    const pid = options.server.pid;
    const outcome = await options.senders.send(input);
    record(input, outcome);
    // A server that dies cuts the connection of the input that killed it: one that answered lives.
    if (outcome.kind !== "response" && (await exited(options.server, pid))) {
      // The first crash of the batch is now explained; later ones are new.
      const crash = { input, batch: batchName, output: options.server.output() };
      if (result.crashes[before]?.input === undefined) result.crashes[before] = crash;
      else result.crashes.push(crash);
      await restart();
      if (result.crashes.length >= options.maxCrashes) return;
    }
  }
}

/** After a write: send the batch again one input at a time, looking at the tables after each. */
async function replayWrite(
  batch: Input[],
  options: FuzzOptions,
  result: FuzzResult,
  record: (input: Input, outcome: Outcome) => void,
): Promise<void> {
  const batchName = `inputs ${batch[0]?.index}-${batch.at(-1)?.index}`;
  const found = result.writes.length;
  // Only changes the batch made are attributed; a repeat of a create (same request_id) may not
  // write again, so the batch's own write is kept when the replay finds no culprit.
  const tables = options.rows.changes();
  options.rows.accept();
  for (const input of batch) {
    record(input, await options.senders.send(input));
    const changed = options.rows.changes();
    if (changed.length > 0) {
      result.writes.push({ input, batch: batchName, tables: changed });
      options.rows.accept();
    }
  }
  if (result.writes.length === found)
    result.writes.push({ input: undefined, batch: batchName, tables });
}

/** Whether the server exited since it had `pid`; the exit can reach us a little after the cut. */
async function exited(server: Server, pid: number | undefined): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    if (server.pid !== pid) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

async function inParallel<T, R>(
  items: T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
