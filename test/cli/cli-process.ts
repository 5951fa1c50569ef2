// Runs `contextiq` as a child process that the test talks to while it runs, for the commands that
// last (`events watch`, `workers generate --follow`): wait for output, signal it, await its exit.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { type CliServices, cliEnv } from "./run-cli.js";

/** A running CLI. */
export interface CliProcess {
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves once stdout so far satisfies `ready`; rejects after `timeoutMs` or at exit. */
  waitFor(ready: (stdout: string) => boolean, timeoutMs?: number): Promise<void>;
  /** Sends `signal` to the process. */
  kill(signal: NodeJS.Signals): void;
  /** How it ended: its exit code, or the signal that killed it. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const root = join(import.meta.dirname, "..", "..");

/** Starts the CLI with `args` against `services`; kill it (or let it end) before the test ends. */
export function startCli(services: CliServices, ...args: string[]): CliProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: root,
    env: cliEnv(services),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  let ended = false;
  void exit.then(() => {
    ended = true;
    for (const listener of listeners) listener();
  });
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor: (ready, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (ready(stdout)) done();
          else if (ended) done(new Error(`the CLI exited first; stderr: ${stderr}`));
        };
        const timer = setTimeout(
          () => done(new Error(`no such output after ${timeoutMs} ms: ${stdout}${stderr}`)),
          timeoutMs,
        );
        const done = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        listeners.add(check);
        check();
      }),
    kill: (signal) => {
      child.kill(signal);
    },
    exited: () => exit,
  };
}
