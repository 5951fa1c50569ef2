/**
 * Every process the harness starts goes through here, so that every one of them is killed when
 * the harness ends: normally, on Ctrl-C or SIGTERM, or on an error. Children also exit on their
 * own when their IPC channel to the harness closes, which covers the harness being SIGKILLed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { codeRoot, compiled, repoRoot } from "./paths.js";

const live = new Set<ChildProcess>();
// Resolved once, so children run from source load TypeScript through tsx without npx's start-up cost.
const tsxLoader = compiled ? undefined : import.meta.resolve("tsx");

/** How a TypeScript child process is started. */
export interface ChildOptions {
  /** Extra Node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  /** "pipe" to read the child's stdout; else it goes to the harness's stderr. */
  readonly stdout: "pipe" | "stderr";
}

/**
 * Starts `entry` (a .ts file, relative to the repository root) in a child process with IPC: its
 * compiled .js when the harness itself is compiled, else the source through tsx.
 */
export function spawnTypeScript(
  entry: string,
  args: readonly string[],
  options: ChildOptions,
): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      ...(tsxLoader ? ["--import", tsxLoader] : []),
      ...(options.nodeFlags ?? []),
      compiled ? join(codeRoot, entry.replace(/\.ts$/, ".js")) : entry,
      ...args,
    ],
    {
      cwd: repoRoot,
      // The harness's stdout is for the report only.
      stdio: ["ignore", options.stdout === "pipe" ? "pipe" : 2, 2, "ipc"],
    },
  );
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** Resolves once `child` has exited. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Stops `child`: SIGTERM, then SIGKILL if it has not exited within `graceMs`. With `exitGraceMs`,
 * it first gets that long to exit by itself (a client process that was told to close).
 */
export async function stopChild(
  child: ChildProcess,
  exitGraceMs = 0,
  graceMs = 3_000,
): Promise<void> {
  const done = exited(child);
  const timers = [
    setTimeout(() => child.kill("SIGTERM"), exitGraceMs),
    setTimeout(() => child.kill("SIGKILL"), exitGraceMs + graceMs),
  ];
  await done;
  for (const timer of timers) clearTimeout(timer);
}

/** Kills every child still running, at once. */
export function killAllChildren(): void {
  for (const child of live) child.kill("SIGKILL");
}

/**
 * Kills every child when the harness exits, however it exits; `cleanup` runs too (synchronously,
 * e.g. to remove a temporary folder).
 */
export function killChildrenOnExit(cleanup: () => void): void {
  process.once("exit", () => {
    killAllChildren();
    cleanup();
  });
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping every server and client process\n`);
      process.exit(code);
    });
  }
}
