/**
 * The run itself, one server at a time: start the server in its own process and every variant
 * that speaks its protocols in a process of its own, warm the clients up, run the rounds, stop
 * everything.
 */
import { join } from "node:path";
import { runsOn, type ServerName, type VariantName } from "./catalog.js";
import {
  type ClientProcess,
  startClientProcess,
  type UnavailableVariant,
} from "./client-process.js";
import { warmUpClients } from "./jit-warmup.js";
import { type BenchOptions, concurrencyOf } from "./options.js";
import { Progress } from "./progress.js";
import { CellCollector } from "./report/cells.js";
import type { CellResult } from "./report/results.js";
import { runRounds } from "./rounds.js";
import { targetOn } from "./seed.js";
import { startServerProcess } from "./server-process.js";
import type { Target } from "./workload.js";

export interface RunOutcome {
  readonly cells: CellResult[];
  readonly unavailable: { server: ServerName; variant: VariantName; reason: string }[];
}

export async function runBench(options: BenchOptions): Promise<RunOutcome> {
  const windowsPerVariant = (server: ServerName) =>
    options.rounds *
    options.calls.reduce((sum, call) => sum + concurrencyOf(call, server, options).length, 0);
  const progress = new Progress(
    options.servers.reduce(
      (sum, server) =>
        sum + windowsPerVariant(server) * options.variants.filter((v) => runsOn(v, server)).length,
      0,
    ),
  );
  const collector = new CellCollector(options.rounds);
  const unavailable: RunOutcome["unavailable"] = [];

  for (const server of options.servers) {
    const variants = options.variants.filter((v) => runsOn(v, server));
    if (variants.length === 0) continue;
    progress.note(`${server}: starting the server and ${variants.length} client processes`);
    const serverStarting = startServerProcess(server);
    const target = serverStarting.then((running) => targetOn(server, running));
    const profiles = options.cpuProf ? join(options.outDir, "profiles", server) : undefined;
    const clientsStarting = startClients(variants, target, profiles);
    const running = await serverStarting.catch(async (error: unknown) => {
      await clientsStarting;
      throw error;
    });
    const clients: ClientProcess[] = [];
    try {
      await target;
      for (const started of await clientsStarting) {
        if ("unavailable" in started) {
          progress.note(`${server}: ${started.variant} skipped: ${started.unavailable}`);
          progress.skip(windowsPerVariant(server));
          unavailable.push({ server, variant: started.variant, reason: started.unavailable });
        } else {
          clients.push(started);
        }
      }
      progress.note(`${server}: server and clients ready after ${progress.sinceNote()}`);
      await warmUpClients(server, clients, options, progress);
      progress.note(
        `${server}: warm-up took ${progress.sinceNote()}; measuring ${clients.length} variants`,
      );
      await runRounds(server, clients, options, collector, progress);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await running.stop();
    }
  }
  return { cells: collector.results(), unavailable };
}

/**
 * Starts every variant's process; they start in parallel, as they do nothing until told. With
 * `profiles`, each writes its CPU profile into a folder of that name per variant.
 */
async function startClients(
  variants: readonly VariantName[],
  target: Promise<Target>,
  profiles: string | undefined,
): Promise<(ClientProcess | UnavailableVariant)[]> {
  const flags = (variant: VariantName) =>
    profiles === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${join(profiles, variant)}`];
  const started = await Promise.allSettled(
    variants.map((variant) => startClientProcess(variant, target, flags(variant))),
  );
  return started.map((outcome, i) =>
    outcome.status === "fulfilled"
      ? outcome.value
      : { variant: variants[i] as VariantName, unavailable: `failed to start: ${outcome.reason}` },
  );
}
