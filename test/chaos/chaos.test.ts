// Chaos: nothing lost, nothing doubled, under faults.
//
// The reference services run in a child process (SQLite in a temp dir; then, when
// TEST_DATABASE_URL is set, on PostgreSQL for the two "retries" runs), each behind a fault proxy
// that, per attempt, resets the request before the service saw it (5%), resets it after the
// service answered (5%), answers 503 or gRPC UNAVAILABLE (5%), or stalls it (1%), drawn from a
// seeded PRNG keyed on the call and the attempt (CHAOS_SEED repeats a run's draws; the seed is
// printed). On HTTP/2 a tenth of the resets reset the whole connection, the rest one stream (see
// chaos-plan.ts). For each transport (Connect JSON over HTTP/1.1, and gRPC) N/2 creates run through
// the facade at a concurrency of 32, half CreateEvent into 4 sessions, half CreateMemory into one
// scope; once 40% of them have finished, the server process is SIGKILLed and, 300 ms later, started
// again on the same ports and data dir. Then, faults off and straight against the services' ports,
// every stored record is counted: each create that succeeded is stored exactly once (lost = 0), no
// create is stored twice (doubled = 0: each carries a unique marker in its content), every call
// either succeeded or failed with a ConnectError by its 5 s deadline, and each retry after a 503 or
// UNAVAILABLE sent less time on the wire than the attempt before it.
//
// No check depends on how fast the machine is: other suites share its two cores. How late a call
// may end is measured in the same run (how late this process's timers ran while the calls did); the
// rest counts what the plan injected and what the proxies saw, and the test timeouts bound a hang
// only. A call still unsettled 4 deadlines after it started is recorded as hung, and fails the run.
//
// Two client policies run this. "retries": retries only (circuit breaker and retry budget off), so
// that nearly every create goes through however many attempts it needs: at least 95% of the calls
// not caught by the outage must succeed, and a call whose last attempt was answered 503 or
// UNAVAILABLE may fail only after every attempt it was allowed, or at its deadline. "defaults": the
// clients as configured by default, circuit breaker and retry budget on (with a 500 ms probe delay
// instead of 5 s), N/4 creates per transport: the SIGKILL outage opens the circuit and the calls
// queued behind it fail fast, so the invariants are asserted there (nothing lost, nothing doubled,
// typed errors, deadlines), and that the circuit opened and, once the restart had finished, a
// probe closed it again.
//
// Size: N = CHAOS_N, default 5000 (2500 per transport in the "retries" runs, 1250 in the
// "defaults" ones). On a 2-core machine shared with other jobs the file took 45-55 s at N = 5000,
// most of it the services' own create rate (~250/s there, client and proxy on the other core)
// and the 5 s deadlines of stalled calls: inside the 3-minute CI budget, so the default is the
// full 5000. With both cores kept busy by other jobs it took 2-4 minutes, a restart up to 30 s.
// CHAOS_DEBUG=1 prints the retries' causes and one failure of each kind.
import { randomInt } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import {
  type ClientOptions,
  Code,
  ConnectError,
  MemoryServiceClient,
  ServiceUnavailableError,
  SessionsServiceClient,
  type TransportKind,
} from "../../src/index.js";
import { type Attempt, type FaultProxy, startFaultProxy } from "../support/fault-proxy.js";
import { freePorts, type ServiceProcess, serviceProcess } from "../support/service-process.js";
import { describeEachStore } from "../support/stores.js";
import {
  attemptsByMarker,
  type CallRecord,
  chaosPlan,
  faultsByKind,
  formatCounts,
  isTransientAnswer,
  markerHeader,
  retryDeadlines,
  type StoredRecord,
  tally,
} from "./chaos-plan.js";

const total = Number(process.env["CHAOS_N"] ?? 5000);
const seed = Number(process.env["CHAOS_SEED"] ?? randomInt(2 ** 31));
const debug = (process.env["CHAOS_DEBUG"] ?? "") !== "";
const concurrency = 32;
const sessionsPerRun = 4;
const timeoutMs = 5_000;
const maxRetries = 6;
/** The circuit breaker's probe delay in the "defaults" runs (the default is 5 s). */
const halfOpenAfterMs = 500;
/**
 * How many probes each client gets, once the services are back, to close its circuit: a probe can
 * land on a connection that died with the server and open the circuit again.
 */
const probeRounds = 5;
/** The event loop delay histogram's sampling interval. */
const loopResolutionMs = 10;
/** A call still unsettled this long after it started is hung: its deadline is `timeoutMs`. */
const hangAfterMs = 4 * timeoutMs;
/** When the server is killed: once this share of a run's creates has finished. */
const killAt = 0.4;
/** How long the services stay down between the kill and the restart. */
const downMs = 300;
/**
 * The share of a "retries" run's creates that must succeed, among those not in flight while the
 * server was down (those may use up their attempts before it is back: how many depends on how
 * fast it restarts). A stalled attempt costs its call the whole deadline, so about 1% fail anyway.
 */
const minSuccessRatio = 0.95;

// Below a few hundred creates the statistical assertions (retries happened, 95% succeeded) wobble.
if (!Number.isInteger(total) || total < 200) throw new Error("CHAOS_N must be an integer >= 200");
if (!Number.isInteger(seed)) throw new Error("CHAOS_SEED must be an integer");

interface Run {
  readonly name: string;
  readonly transport: TransportKind;
  readonly policy: "retries" | "defaults";
  readonly creates: number;
  readonly timeoutMs: number;
}

/**
 * A run's test timeout: a bound on a hang, not a speed budget. Every call ends by its deadline, so
 * the creates take at most `creates / concurrency` deadlines back to back, however busy the
 * machine; two minutes more cover the restart (whose start gives up after 30 s), the probes and
 * the counting.
 */
const hangBoundMs = (creates: number) => Math.ceil(creates / concurrency) * timeoutMs + 120_000;
const runs: Run[] = (
  [
    { transport: "json", policy: "retries", creates: Math.floor(total / 2) },
    { transport: "grpc", policy: "retries", creates: Math.floor(total / 2) },
    { transport: "json", policy: "defaults", creates: Math.floor(total / 4) },
    { transport: "grpc", policy: "defaults", creates: Math.floor(total / 4) },
  ] as Omit<Run, "name" | "timeoutMs">[]
).map((run) => ({
  ...run,
  timeoutMs: hangBoundMs(run.creates),
  name: `${run.transport === "json" ? "json over HTTP/1.1" : "grpc"}, ${run.policy === "retries" ? "retries only" : "default policy (circuit breaker, retry budget)"}`,
}));

/** Whether GET `url`/health answers 200, on a connection of its own. */
function answersHealth(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(`${url}/health`, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on("error", () => resolve(false));
  });
}

/**
 * Starts the killed services again. ServiceProcess.start gives up when /health has not answered
 * within 30 s, half a second a request: a restarted child that the run's calls are already
 * hammering, on a machine whose cores other jobs keep busy, can take longer. A slow start is no
 * fault of the clients under test, so while the child runs its health is awaited here, bounded by
 * the test's timeout only; a child that exits fails the run.
 */
async function startAgain(services: ServiceProcess): Promise<void> {
  try {
    await services.start();
  } catch (error) {
    if (services.pid === undefined) throw error;
    for (const url of [services.sessionsUrl, services.memoryUrl]) {
      while (!(await answersHealth(url))) {
        if (services.pid === undefined) {
          throw new Error(`the services exited while starting:\n${services.output()}`);
        }
        await sleep(25);
      }
    }
  }
}

let dataDir: string | undefined;
let dropStore = async () => {};
let services: ServiceProcess | undefined;
let sessionsProxy: FaultProxy | undefined;
let memoryProxy: FaultProxy | undefined;
let directSessions: SessionsServiceClient | undefined;
let directMemory: MemoryServiceClient | undefined;

function started() {
  if (!services || !sessionsProxy || !memoryProxy || !directSessions || !directMemory) {
    throw new Error("the services are not started");
  }
  return { services, sessionsProxy, memoryProxy, directSessions, directMemory };
}

// Each store in turn: the hooks below set the state above for the runs of their block.
describeEachStore("chaos", (store) => {
  beforeAll(async () => {
    console.log(
      `chaos on ${store.name}: seed ${seed} (CHAOS_SEED=${seed} repeats the draws), N=${total}`,
    );
    dataDir = await mkdtemp(join(tmpdir(), "contextiq-chaos-"));
    const provisioned = await store.provision();
    dropStore = provisioned.drop;
    const database = provisioned.options.database;
    const [sessionsPort, memoryPort] = await freePorts(2);
    if (sessionsPort === undefined || memoryPort === undefined) throw new Error("no free ports");
    services = serviceProcess({
      sessionsPort,
      memoryPort,
      dataDir,
      ...(database
        ? { env: { DATABASE_URL: database.url, CONTEXTIQ_DATABASE_SCHEMA: database.schema ?? "" } }
        : {}),
    });
    await services.start();
    sessionsProxy = await startFaultProxy(services.sessionsUrl);
    memoryProxy = await startFaultProxy(services.memoryUrl);
    // Straight to the services, for set-up and counting: never through a proxy, never faulted.
    const direct = {
      transport: "json",
      httpVersion: "1.1",
      timeoutMs: 30_000,
      circuitBreaker: false,
      retryBudget: false,
      env: {},
    } as const;
    directSessions = new SessionsServiceClient({ ...direct, baseUrl: services.sessionsUrl });
    directMemory = new MemoryServiceClient({ ...direct, baseUrl: services.memoryUrl });
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([directSessions?.close(), directMemory?.close()]);
    await Promise.allSettled([sessionsProxy?.close(), memoryProxy?.close()]);
    await services?.stop(5_000);
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    await dropStore();
  }, 30_000);

  // On PostgreSQL the "retries" runs only: the "defaults" ones test the client's circuit breaker,
  // which does not depend on the store.
  describe.each(runs.filter((run) => store.name === "SQLite" || run.policy === "retries"))(
    "chaos: $name",
    (run) => {
      it(`${run.creates} creates under resets, 503s, stalls and a SIGKILL: nothing lost, nothing doubled`, {
        timeout: run.timeoutMs,
      }, async () => {
        const { services, sessionsProxy, memoryProxy, directSessions, directMemory } = started();
        const label = `${run.transport}/${run.policy}`;
        const n = run.creates;
        const scope = { user_id: `chaos-${run.transport}-${run.policy}` };
        const sessionIds: string[] = [];
        for (let i = 0; i < sessionsPerRun; i++) {
          const session = await directSessions.createSession({
            scope,
            title: `chaos ${label} #${i}`,
            ttlSeconds: 86_400,
          });
          sessionIds.push(session.id);
        }

        // Faults on, drawn per call and attempt.
        let faultsOn = true;
        const plans = [sessionsProxy, memoryProxy].map((proxy, i) => {
          const chaos = chaosPlan({ seed, scope: `${label}/${i}`, enabled: () => faultsOn });
          proxy.reset();
          proxy.plan(chaos.plan);
          return chaos;
        });
        let retries = 0;
        const breaker = { breaks: 0, resets: 0 };
        const retryCauses: Record<string, number> = {};
        const options: ClientOptions = {
          transport: run.transport,
          ...(run.transport === "json" ? { httpVersion: "1.1" as const } : {}),
          timeoutMs,
          maxRetries,
          retryDelayMs: 20,
          maxRetryDelayMs: 500,
          ...(run.policy === "retries"
            ? { circuitBreaker: false, retryBudget: false }
            : {
                // The defaults, but a short probe delay, so that the run sees the circuit close again.
                circuitBreaker: {
                  halfOpenAfterMs: halfOpenAfterMs,
                  onBreak: () => breaker.breaks++,
                  onReset: () => breaker.resets++,
                },
              }),
          onRetry: ({ error }) => {
            retries++;
            if (debug) {
              const cause = `${Code[error.code]}: ${error.rawMessage.replace(/\d{3,}/g, "#")}`;
              retryCauses[cause] = (retryCauses[cause] ?? 0) + 1;
            }
          },
          env: {},
        };
        const sessions = new SessionsServiceClient({ ...options, baseUrl: sessionsProxy.url });
        const memory = new MemoryServiceClient({ ...options, baseUrl: memoryProxy.url });

        // One create: even markers are events, odd ones memories; the marker rides in the content
        // (to count what was stored) and in a header (for the fault plan's draw).
        const create = async (marker: number): Promise<CallRecord> => {
          const kind: CallRecord["kind"] = marker % 2 === 0 ? "event" : "memory";
          const callOptions = { headers: { [markerHeader]: String(marker) } };
          const started = performance.now();
          try {
            const created =
              kind === "event"
                ? await sessions.createEvent(
                    {
                      sessionId: sessionIds[(marker / 2) % sessionIds.length] ?? "",
                      eventType: "chaos",
                      data: { n: marker, run: label },
                      inputTokens: 1,
                    },
                    callOptions,
                  )
                : await memory.createMemory(
                    { scope, fact: `chaos ${label} #${marker}`, topic: "chaos" },
                    callOptions,
                  );
            const durationMs = performance.now() - started;
            return { kind, marker, startedAtMs: started, durationMs, id: created.id };
          } catch (error) {
            const base = {
              kind,
              marker,
              startedAtMs: started,
              durationMs: performance.now() - started,
            };
            const errorClass = error instanceof Error ? error.constructor.name : typeof error;
            if (!(error instanceof ConnectError)) {
              return { ...base, errorClass, message: String(error) };
            }
            return {
              ...base,
              errorClass,
              code: Code[error.code],
              ...(error instanceof ServiceUnavailableError
                ? { reason: error.reason, attempts: error.attempts }
                : {}),
              message: error.message,
            };
          }
        };

        // `concurrency` workers take the next marker until none is left; once `killAt` of the
        // creates have finished, the server is SIGKILLed and started again, while they go on.
        const calls: CallRecord[] = [];
        let next = 0;
        let restart: Promise<{ downAt: number; upAt: number }> | undefined;
        const killAndRestart = async () => {
          const downAt = performance.now();
          await services.kill("SIGKILL");
          await sleep(downMs);
          await startAgain(services);
          return { downAt, upAt: performance.now() };
        };
        // A call that outlives its deadline by far is recorded as hung, so that a client which
        // ignores its deadline fails the assertions below rather than the test's timeout.
        const createOrHang = async (marker: number): Promise<CallRecord> => {
          const guard = new AbortController();
          const startedAtMs = performance.now();
          const hung = sleep(hangAfterMs, undefined, { signal: guard.signal }).then(
            (): CallRecord => ({
              kind: marker % 2 === 0 ? "event" : "memory",
              marker,
              startedAtMs,
              durationMs: performance.now() - startedAtMs,
              errorClass: "Hang",
              message: `still unsettled ${hangAfterMs} ms after it started`,
            }),
            () => new Promise<never>(() => {}),
          );
          try {
            return await Promise.race([create(marker), hung]);
          } finally {
            guard.abort();
          }
        };
        const worker = async () => {
          for (let marker = next++; marker < n; marker = next++) {
            calls.push(await createOrHang(marker));
            if (restart === undefined && calls.length >= n * killAt) {
              restart = killAndRestart();
              restart.catch(() => {}); // awaited below
            }
          }
        };
        // How late this process's timers ran while the calls did: how late a call's deadline can
        // end it, on this machine in this run.
        const loopDelay = monitorEventLoopDelay({ resolution: loopResolutionMs });
        loopDelay.enable();
        // A probe of one request: listMemories would fetch every page, one memory each, all under
        // one deadline, and the scope holds hundreds by now.
        const firstMemory = async () => {
          const items = memory.iterateMemories({ scope, pageSize: 1 });
          await items.next();
          await items.return(undefined);
        };
        const wallStart = performance.now();
        let afterOutage: string[] = ["not tried"];
        let probesTried = 0;
        try {
          await Promise.all(Array.from({ length: concurrency }, worker));
          loopDelay.disable();
          faultsOn = false;
          if (run.policy === "defaults") {
            // Once the services are back (the calls, failing fast on an open circuit, can all
            // have ended before the restart has), each client's circuit lets a probe through after
            // its probe delay, and the probe closes it. Timers never fire early, so each round
            // comes after a whole probe delay, however busy the machine.
            await restart?.catch(() => {}); // a failed restart fails the test below
            while (probesTried < probeRounds && afterOutage.some((s) => s !== "fulfilled")) {
              probesTried++;
              await sleep(halfOpenAfterMs + 50);
              const probes = await Promise.allSettled([
                sessions.getSession(sessionIds[0] ?? ""),
                firstMemory(),
              ]);
              afterOutage = probes.map((p) =>
                p.status === "fulfilled" ? p.status : `rejected: ${String(p.reason)}`,
              );
            }
          }
        } finally {
          loopDelay.disable();
          faultsOn = false;
          // close() waits for the calls in flight, which a hung call would keep it doing.
          const closed = Promise.allSettled([sessions.close(), memory.close()]);
          if (!calls.some((c) => c.errorClass === "Hang")) await closed;
        }
        const wallMs = performance.now() - wallStart;
        // A failed restart fails the test here, with the child's output.
        const outage = await (restart ?? Promise.reject(new Error("the server was never killed")));
        // The calls in flight at some point while the server was down.
        const hit = calls.filter(
          (c) => c.startedAtMs < outage.upAt && c.startedAtMs + c.durationMs > outage.downAt,
        );
        const hitOk = hit.filter((c) => c.id !== undefined).length;
        const attempts = [...sessionsProxy.attempts, ...memoryProxy.attempts];
        const injected: Record<string, number> = {};
        for (const { injected: counts } of plans) {
          for (const [k, v] of Object.entries(counts)) injected[k] = (injected[k] ?? 0) + v;
        }
        const byMarker = attemptsByMarker(attempts);

        // What is stored, counted straight against the services' ports.
        const stored: StoredRecord[] = [];
        // The generated client, for ListEvents' total_size (the facade returns the events only); a
        // connection per call, so none is left over from before a restart.
        const rawSessions = createClient(
          SessionsService,
          createConnectTransport({
            baseUrl: services.sessionsUrl,
            httpVersion: "1.1",
            nodeOptions: { agent: new Agent({ keepAlive: false }) },
          }),
        );
        for (const sessionId of sessionIds) {
          const session = await directSessions.getSession(sessionId);
          const events = await directSessions.listEvents(sessionId, { pageSize: 1000 });
          const { totalSize } = await rawSessions.listEvents({ sessionId, pageSize: 1 });
          expect(
            { eventCount: session.eventCount, totalSize, inputTokens: session.totalInputTokens },
            `session ${sessionId}: event_count, ListEvents' total_size, the events listed and the token total agree`,
          ).toEqual({
            eventCount: events.length,
            totalSize: events.length,
            inputTokens: BigInt(events.length),
          });
          for (const event of events) {
            const marker = event.data?.["run"] === label ? event.data["n"] : undefined;
            stored.push({
              kind: "event",
              id: event.id,
              marker: typeof marker === "number" ? marker : undefined,
            });
          }
        }
        const memories = await directMemory.listMemories({ scope, pageSize: 1000 });
        let iterated = 0;
        for await (const _ of directMemory.iterateMemories({ scope, pageSize: 97 })) iterated++;
        expect(iterated, "iterateMemories and listMemories agree").toBe(memories.length);
        for (const m of memories) {
          const match = /^chaos (\S+) #(\d+)$/.exec(m.fact);
          const marker = match?.[1] === label ? Number(match[2]) : undefined;
          stored.push({ kind: "memory", id: m.id, marker });
        }

        const t = tally(calls, stored);
        const overshootMs = t.worstDurationMs - timeoutMs;
        // A call ends at its deadline as soon as this process's timers let it: its deadline's timer
        // runs as late as they did, and so can the steps that end the call after it. So a call may
        // end past its deadline by twice the worst timer lateness measured while the calls ran,
        // plus the sampling interval: on an idle machine a few tens of ms; on a loaded one, more.
        const loopDelayMaxMs = loopDelay.max / 1e6;
        const overshootAllowedMs = 2 * loopDelayMaxMs + loopResolutionMs;
        const deadlines = retryDeadlines(byMarker);
        console.log(
          [
            `chaos ${label}: N=${n} (${n - Math.floor(n / 2)} events, ${Math.floor(n / 2)} memories)`,
            `wall=${(wallMs / 1000).toFixed(1)}s`,
            `attempts=${attempts.length}`,
            `faults{${formatCounts(faultsByKind(attempts.filter((a) => a.fault !== "forward")))}}`,
            `(${formatCounts(injected)})`,
            `retries=${retries}`,
            `succeeded=${t.succeeded}`,
            `failed=${t.failed}{${formatCounts(t.failedBy)}}`,
            `failed-but-stored=${t.failedButStored}`,
            `stored=${t.stored}`,
            `lost=${t.lost.length}`,
            `doubled=${t.doubled.length}`,
            `worst=${Math.round(t.worstDurationMs)}ms`,
            `overshoot=${Math.max(0, Math.round(overshootMs))}ms(allowed=${Math.round(overshootAllowedMs)}ms)`,
            `loop-delay-max=${Math.round(loopDelayMaxMs)}ms`,
            `retry-deadlines=${deadlines.checked}(fresh=${deadlines.fresh.length})`,
            `sigkill-outage=${Math.round(outage.upAt - outage.downAt)}ms`,
            `outage-calls=${hit.length}(ok=${hitOk})`,
            ...(run.policy === "defaults"
              ? [
                  `circuit-breaks=${breaker.breaks} circuit-resets=${breaker.resets} probes=${probesTried}`,
                ]
              : []),
            `seed=${seed}`,
          ].join(" "),
        );
        if (debug) {
          const causes = Object.entries(retryCauses).sort(([, a], [, b]) => b - a);
          console.log(
            `retry causes (${label}):\n${causes.map(([k, v]) => `  ${v} ${k}`).join("\n")}`,
          );
          const seen = new Set<string>();
          for (const c of calls) {
            const key = `${c.code}:${(c.message ?? "").replace(/[0-9a-f-]{36}|\d+/g, "#")}`;
            if (c.id !== undefined || seen.has(key)) continue;
            seen.add(key);
            console.log(`failure (${label}):`, c.marker, Math.round(c.durationMs), c.message);
          }
        }

        expect(calls).toHaveLength(n);
        expect(
          t.untyped.slice(0, 5),
          "failed calls that did not reject with a ConnectError",
        ).toEqual([]);
        expect(
          calls
            .filter(
              (c) => c.code !== undefined && !["Unavailable", "DeadlineExceeded"].includes(c.code),
            )
            .slice(0, 5),
          "failures other than UNAVAILABLE and DEADLINE_EXCEEDED",
        ).toEqual([]);
        expect(t.lost.slice(0, 5), "succeeded creates not stored exactly once").toEqual([]);
        expect(t.doubled.slice(0, 5), "markers stored more than once").toEqual([]);
        expect(t.strangers.slice(0, 5), "stored records without a marker of this run").toEqual([]);
        expect(t.stored).toBe(t.succeeded + t.failedButStored);
        expect(
          overshootMs,
          `worst call duration past the deadline (timers ran up to ${Math.round(loopDelayMaxMs)} ms late)`,
        ).toBeLessThanOrEqual(overshootAllowedMs);
        // Each retry sends the time left of its call's deadline, not a fresh one.
        expect(deadlines.checked, "retries after a 503 or UNAVAILABLE").toBeGreaterThan(0);
        expect(
          deadlines.fresh.slice(0, 5),
          "retries after a 503 or UNAVAILABLE that sent no less time than the attempt before",
        ).toEqual([]);
        if (run.policy === "defaults") {
          // The outage opened a circuit, and once the services were back a probe closed it.
          expect(breaker.breaks, "times a circuit opened").toBeGreaterThanOrEqual(1);
          expect(afterOutage, `a call within ${probeRounds} probes, on each client`).toEqual([
            "fulfilled",
            "fulfilled",
          ]);
          expect(breaker.resets, "times a circuit closed").toBeGreaterThanOrEqual(1);
        }
        if (run.policy === "retries") {
          // The chaos happened and was retried through: calls the plan answered 503 or
          // UNAVAILABLE succeeded, and a call whose last attempt got such an answer gave up only
          // after every attempt it was allowed, or at its deadline.
          const answered = calls.filter((c) => byMarker.get(c.marker)?.some(isTransientAnswer));
          expect(
            answered.filter((c) => c.id !== undefined).length,
            "calls answered 503 or UNAVAILABLE that succeeded on a retry",
          ).toBeGreaterThan(0);
          expect(
            answered
              .filter(
                (c) =>
                  c.id === undefined &&
                  isTransientAnswer(byMarker.get(c.marker)?.at(-1) as Attempt) &&
                  c.code !== "DeadlineExceeded" &&
                  c.attempts !== maxRetries + 1,
              )
              .slice(0, 5),
            `calls that failed on a 503 or UNAVAILABLE before ${maxRetries + 1} attempts or their deadline`,
          ).toEqual([]);
          const calm = calls.length - hit.length;
          expect(
            t.succeeded - hitOk,
            `creates that succeeded, of the ${calm} not in flight during the outage`,
          ).toBeGreaterThanOrEqual(calm * minSuccessRatio);
        }
      });
    },
  );
});
