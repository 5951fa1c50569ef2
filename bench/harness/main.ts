/**
 * The client benchmark harness: every client variant against every server, each in its
 * own process, closed loop, interleaved over rounds; writes latest.{json,md,svg} and prints the
 * markdown. See bench/README.md.
 *
 *   npx tsx bench/harness/main.ts [--quick] [--rounds N] [--concurrency 1,16,64,256] ...
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { killChildrenOnExit } from "./children.js";
import { describeMachine } from "./machine.js";
import { type BenchOptions, parseOptions, UsageError, usage } from "./options.js";
import type { BenchResults } from "./report/results.js";
import { computeTargets } from "./report/targets.js";
import { writeResults } from "./report/write-results.js";
import { runBench } from "./run-bench.js";
import { removeDataDirs } from "./server-process.js";
import { measureWorkload } from "./workload-sizes.js";

function parseCommandLine(argv: readonly string[]): BenchOptions {
  try {
    const options = parseOptions(argv);
    if (options !== undefined) return options;
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  } catch (error) {
    // parseArgs reports unknown options and missing values with a TypeError of its own.
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error)) {
      process.stderr.write(`${error.message}\n(--help lists the options)\n`);
      process.exit(2);
    }
    throw error;
  }
}

const argv = process.argv.slice(2);
const options = parseCommandLine(argv);
killChildrenOnExit(removeDataDirs);
if (options.cpuProf) rmSync(join(options.outDir, "profiles"), { recursive: true, force: true });

const machine = describeMachine();
const started = new Date();
const outcome = await runBench(options);
const finished = new Date();

const { outDir, ...settings } = options;
const results: BenchResults = {
  schemaVersion: 2,
  argv,
  startedAt: started.toISOString(),
  finishedAt: finished.toISOString(),
  wallSeconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
  machine,
  settings,
  workload: measureWorkload(),
  unavailable: outcome.unavailable,
  cells: outcome.cells,
  targets: computeTargets(outcome.cells, { ...options, unavailable: outcome.unavailable }),
};
const markdown = await writeResults(results, outDir);
process.stdout.write(markdown);
process.stderr.write(`\nwrote latest.json, latest.md and latest.svg to ${outDir}\n`);

// Failed calls make the run fail, so that a broken variant cannot pass for a slow one.
const failedCells = results.cells.filter((cell) => !cell.valid).length;
if (failedCells > 0) {
  process.stderr.write(`${failedCells} cell(s) had failed calls or windows: see latest.md\n`);
  process.exitCode = 1;
}
