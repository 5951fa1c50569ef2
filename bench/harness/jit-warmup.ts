/**
 * Runs the calls in every client before the first round, so that the first windows measure
 * optimised code, as the later ones do, rather than V8's interpreter and compilers. Each client
 * spends the same budget of CPU time per call, whatever its speed; they warm up all at once, since
 * nothing is measured and both cores are then busy.
 */
import type { ServerName } from "./catalog.js";
import type { ClientProcess } from "./client-process.js";
import { type BenchOptions, concurrencyOf } from "./options.js";
import type { Progress } from "./progress.js";

/**
 * Callers per call: enough to exercise the pools and the multiplexing paths, but no more than the
 * call is measured with on the server. The reference server measures the payload calls with one
 * caller; 16 callers of ListMemories on one HTTP/2 connection there make it refuse new streams
 * (ENHANCE_YOUR_CALM: Node's 10 MB of session memory holds four JSON pages), which would open the
 * facade's circuit breaker for the windows after.
 */
const jitWarmupConcurrency = 16;
/**
 * When the server is the bottleneck (the reference server with every client calling it), clients
 * wait more than they compute, and their CPU budget would take minutes: the warm-up stops there.
 */
const jitWarmupMaxWallMs = 20_000;

export async function warmUpClients(
  server: ServerName,
  clients: readonly ClientProcess[],
  options: BenchOptions,
  progress: Progress,
): Promise<void> {
  const cpuMs = options.jitWarmupCpuMs;
  if (cpuMs === 0) return;
  progress.note(`${server}: warming up every client, ${cpuMs} ms of CPU per call`);
  const spec = {
    calls: options.calls.map((call) => ({
      call,
      concurrency: Math.min(
        jitWarmupConcurrency,
        Math.max(...concurrencyOf(call, server, options)),
      ),
    })),
    cpuMs: cpuMs * options.calls.length,
    maxWallMs: jitWarmupMaxWallMs,
  };
  await Promise.all(
    clients.map(async (client) => {
      try {
        const result = await client.warm(spec);
        if (result.errors > 0) {
          progress.note(
            `${server}: ${client.variant} warm-up: ${result.errors} failed calls: ${result.firstError}`,
          );
        }
      } catch (error) {
        // The process is gone; each of its windows will say so.
        progress.note(`${server}: ${client.variant} failed its warm-up: ${String(error)}`);
      }
    }),
  );
}
