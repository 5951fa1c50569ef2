// Runs `contextiq` as a child process, the way a user or a script does: `node --import tsx
// src/cli/main.ts ...`, from the repository root, against the services the test started.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";
import { type RunningServices, startServices } from "../../src/server/index.js";

/** How one run of the CLI ended. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where the CLI's clients go by default: the services a test started. */
export interface CliServices {
  readonly sessionsUrl: string;
  readonly memoryUrl: string;
}

const root = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);

/**
 * Runs the CLI with `args` against `services` and returns its exit code and output; a non-zero
 * exit is a result here, not a failure.
 */
export async function runCli(services: CliServices, ...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: root, env: cliEnv(services), timeout: 30_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    // execFile's error carries the exit code; a spawn failure has a string code and no output.
    if (typeof failed.code !== "number") throw error;
    return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** The test's environment without the *_SERVICE_* settings of whoever runs it, plus the URLs. */
export function cliEnv(services: CliServices): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(SESSIONS|MEMORY)_SERVICE_/.test(name)),
  );
  return {
    ...env,
    SESSIONS_SERVICE_URL: services.sessionsUrl,
    MEMORY_SERVICE_URL: services.memoryUrl,
    NO_COLOR: "1",
  };
}

/** Parses the CLI's `--json` output. */
export function json<T = Record<string, unknown>>(run: CliRun): T {
  if (run.code !== 0) throw new Error(`the CLI exited with ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/**
 * Starts the reference services before a test file's tests and closes them after; returns the
 * CLI runner aimed at them, and the services themselves for checks made without the CLI.
 */
export function useServicesForCli(): {
  cli: (...args: string[]) => Promise<CliRun>;
  services: () => RunningServices;
} {
  let running: RunningServices | undefined;
  beforeAll(async () => {
    running = await startServices();
  });
  afterAll(async () => {
    await running?.close();
  });
  const services = () => {
    if (!running) throw new Error("the services are not started yet");
    return running;
  };
  return { cli: (...args) => runCli(services(), ...args), services };
}
