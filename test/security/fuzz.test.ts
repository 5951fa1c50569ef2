// Hostile input: random and mutated bytes, malformed JSON, wrong content types, truncated gRPC
// frames, huge length prefixes, invalid UTF-8 and deeply nested JSON, sent to every method of both
// services, to Health/Check and to unknown paths, on both ports, over Connect (POST and GET, JSON
// and binary, HTTP/1.1 and h2c), gRPC (h2c), gRPC-Web, raw HTTP/1.1, raw HTTP/2 frames and raw TCP.
//
// Every input is invalid by construction (each generator in fuzz/ says why, and checks it with the
// services' own decoder where that is what refuses it), so the only right answer is a protocol
// error: an HTTP status of 400 or more, or a grpc-status other than OK, UNKNOWN and DATA_LOSS, and
// INTERNAL only for connect's two decoder errors (outcome.ts); or, for input that breaks HTTP
// itself, a closed connection, a reset stream or a GOAWAY. Never a success, never a hang (5 s).
//
// The services run in a child process on SQLite, so that a crash shows: after every batch the
// child must still be the same process and answer /health. Every table of both databases is
// counted and digested after every batch: no record may be written or changed. A crash or a write
// is replayed input by input to name the input responsible. Valid reads over each wire must
// succeed before the fuzz (so the harness is seen to notice a success) and every 1,000 inputs,
// and a valid create at the end must add exactly one session. The child may print nothing but its
// banner (logUnexpectedErrors prints handler errors that are not ConnectErrors). Connections an
// HTTP/2 GOAWAY left open are counted in the summary, not failed (see FuzzResult.openAfterGoaway).
//
// FUZZ_SEED repeats a run (the seed is printed); FUZZ_INPUTS sets the count (default 10,000, the
// least a full run must reach). On a 2-core machine 10,000 inputs take 15-25 s.
import { randomInt } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePorts, type ServiceProcess, serviceProcess } from "../support/service-process.js";
import { generateInput } from "./fuzz/generate.js";
import {
  answersHealth,
  createSession,
  failedReads,
  goodReads,
  seedRecords,
} from "./fuzz/good-requests.js";
import {
  describeCrashes,
  describeFailures,
  describeOpenAfterGoaway,
  describeWrites,
  summarize,
} from "./fuzz/report.js";
import { changedTables, snapshotRows, totalRows } from "./fuzz/rows.js";
import { runFuzz, type Server } from "./fuzz/run-fuzz.js";
import { createSenders, type Senders } from "./fuzz/senders.js";
import { createLogWatch } from "./fuzz/server-log.js";

const minimumInputs = 10_000;
const seed = Number(process.env["FUZZ_SEED"] ?? randomInt(2 ** 31));
const total = Number(process.env["FUZZ_INPUTS"] ?? minimumInputs);
if (!Number.isInteger(seed)) throw new Error("FUZZ_SEED must be an integer");
if (!Number.isInteger(total) || total < 1) {
  throw new Error("FUZZ_INPUTS must be a positive integer");
}
// Printed now, not only in the summary: a run that stops early must be repeatable too.
console.log(`fuzz: seed ${seed} (FUZZ_SEED=${seed} repeats the run)`);

/** Inputs in flight at once, over pooled connections (raw inputs open their own). */
const concurrency = 24;
const batchSize = 250;
const inputTimeoutMs = 5_000;
/** Good reads run after every this many inputs. */
const goodReadEvery = 1_000;
/** After this many crashes the run stops: each costs a restart. */
const maxCrashes = 5;

let dataDir = "";
let services: ServiceProcess | undefined;
let senders: Senders | undefined;
let ports = { sessions: 0, memory: 0 };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "contextiq-fuzz-"));
  const [sessions, memory] = await freePorts(2);
  if (sessions === undefined || memory === undefined) throw new Error("no free ports");
  ports = { sessions, memory };
  services = serviceProcess({ sessionsPort: sessions, memoryPort: memory, dataDir });
  await services.start();
  senders = createSenders(ports, { maxSockets: concurrency, timeoutMs: inputTimeoutMs });
}, 60_000);

afterAll(async () => {
  senders?.close();
  // Connections left open after a GOAWAY hold up a graceful drain: 2 s, then SIGKILL.
  await services?.stop(2_000);
  if (dataDir !== "") await rm(dataDir, { recursive: true, force: true });
}, 30_000);

describe("hostile input", () => {
  it(`${total} invalid inputs to every endpoint get protocol errors, write nothing and crash nothing`, {
    timeout: 180_000,
  }, async () => {
    if (services === undefined || senders === undefined) throw new Error("not started");
    const child = services;
    const send = senders;
    const firstPid = child.pid;

    // The row counter sees writes, named by table: first one session, then an event and a memory.
    const empty = snapshotRows(dataDir);
    const sessionId = await createSession(child.sessionsUrl, "fuzz target");
    const oneSession = snapshotRows(dataDir);
    const sessionTables = changedTables(empty, oneSession);
    expect(sessionTables).toContain("sessions.db/sessions: 0 rows, now 1");
    const ids = await seedRecords(child.sessionsUrl, child.memoryUrl, sessionId);
    const before = snapshotRows(dataDir);
    expect(changedTables(oneSession, before)).toEqual(
      expect.arrayContaining([
        "sessions.db/events: 0 rows, now 2",
        "memory.db/memories: 0 rows, now 1",
      ]),
    );
    // The harness sees a success for what it is, on every wire.
    const reads = goodReads(ids);
    expect(await failedReads(send, reads)).toEqual([]);

    const logs = createLogWatch(() => child.output());
    const midRunProblems: string[] = [];
    const server = asServer(child);
    let reference = before;
    const rows = {
      changes: () => changedTables(reference, snapshotRows(dataDir)),
      accept: () => {
        reference = snapshotRows(dataDir);
      },
    };

    const started = performance.now();
    const result = await runFuzz({
      total,
      input: (index) => generateInput(seed, index, ids),
      senders: send,
      server,
      rows,
      concurrency,
      batchSize,
      maxCrashes,
      afterBatch: async (tried) => {
        logs.poll();
        if (tried % goodReadEvery === 0) {
          const problems = await failedReads(send, reads);
          midRunProblems.push(...problems.map((problem) => `after ${tried}: ${problem}`));
        }
      },
    });
    const durationMs = performance.now() - started;
    logs.poll();

    const after = snapshotRows(dataDir);
    const changed = changedTables(before, after);
    console.log(
      summarize({
        seed,
        result,
        durationMs,
        rowsBefore: totalRows(before),
        rowsAfter: totalRows(after),
        changedTables: changed,
        unexpectedLogLines: logs.lines().length,
      }),
    );
    const failures = describeFailures(result.failures, seed);
    const crashes = describeCrashes(result.crashes, seed);
    const writes = describeWrites(result.writes, seed);
    const findings = [...crashes, ...writes, ...failures, ...describeOpenAfterGoaway(result)];
    if (findings.length > 0) console.log(findings.join("\n"));

    expect.soft(crashes, "crashes").toEqual([]);
    expect.soft(writes, "writes by hostile input").toEqual([]);
    expect.soft(changed, "tables written by hostile input").toEqual([]);
    expect.soft(failures, "inputs not answered with a protocol error").toEqual([]);
    expect.soft(logs.lines(), "unexpected server output").toEqual([]);
    expect.soft(midRunProblems, "good reads during the fuzz").toEqual([]);
    if (process.env["FUZZ_INPUTS"] === undefined) {
      expect.soft(result.tried, "inputs tried").toBeGreaterThanOrEqual(minimumInputs);
    }

    // Still the same process, still serving: good reads, and a good create that adds one row.
    expect.soft(child.pid, "the server process").toBe(firstPid);
    expect(await failedReads(send, reads)).toEqual([]);
    await createSession(child.sessionsUrl, "after the fuzz");
    // Exactly what the first session wrote, once more: one row more in each of its tables.
    const grown = sessionTables.map((change) => {
      const table = change.slice(0, change.indexOf(":"));
      const rows = after.get(table)?.rows ?? 0;
      return `${table}: ${rows} rows, now ${rows + 1}`;
    });
    expect(changedTables(after, snapshotRows(dataDir))).toEqual(grown);
  });
});

/** The child process as the runner sees it: restartable, and healthy when both ports answer. */
function asServer(child: ServiceProcess): Server {
  return {
    get pid() {
      return child.pid;
    },
    // Three tries: one slow answer from a busy machine is not a crash.
    healthy: async () => {
      for (let i = 0; i < 3; i++) {
        if ((await answersHealth(ports.sessions)) && (await answersHealth(ports.memory)))
          return true;
      }
      return false;
    },
    restart: async () => {
      await child.stop(1_000);
      await child.start();
    },
    output: () => child.output(),
  };
}
