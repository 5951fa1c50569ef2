/**
 * The JIT warm-up of a client process: closed loops that run until the process has spent a budget
 * of CPU time, rather than of wall time, so that every variant gets the same amount of compilation
 * and profiling whatever the machine's load and however many clients warm up at once.
 *
 * Every call runs at the same time. Warmed one after the other, the code they share would be
 * optimised for the last one only, and the first window of another would pay for deoptimising it.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import type { WarmupResult, WarmupSpec } from "./messages.js";

/** How often the CPU spent is read. */
const checkEveryMs = 20;
/** How long the calls in flight at the end are waited for (as in closed-loop.ts). */
const maxDrainMs = 5_000;

export async function warmUntilCpuSpent(
  calls: readonly { readonly call: () => Promise<void>; readonly concurrency: number }[],
  spec: Omit<WarmupSpec, "calls">,
): Promise<WarmupResult> {
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let done = false;
  let completed = 0;
  let errors = 0;
  let firstError: string | null = null;
  const finished = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const { user, system } = process.cpuUsage(cpuStart);
      if (user + system >= spec.cpuMs * 1000 || performance.now() - started >= spec.maxWallMs) {
        done = true;
        clearInterval(timer);
        resolve();
      }
    }, checkEveryMs);
  });
  const caller = async (call: () => Promise<void>) => {
    while (!done) {
      try {
        await call();
        completed++;
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
        await nextTurn(); // see closed-loop.ts
      }
    }
  };
  const callers = Promise.all(
    calls.flatMap(({ call, concurrency }) =>
      Array.from({ length: concurrency }, () => caller(call)),
    ),
  );
  await finished;
  await Promise.race([callers, sleep(maxDrainMs)]);
  return { calls: completed, errors, firstError, wallMs: performance.now() - started };
}
