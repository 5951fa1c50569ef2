/**
 * Starts a server child process and waits for the READY line that gives its URLs. The reference
 * server gets a temporary data folder, removed when it stops or, at the latest, when the harness
 * exits.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ServerName } from "./catalog.js";
import { exited, spawnTypeScript, stopChild } from "./children.js";
import { readyPrefix } from "./servers/server-child.js";

/** A server running in its own process. */
export interface ServerProcess {
  readonly sessionsUrl: string;
  readonly memoryUrl: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

const entries: Readonly<Record<ServerName, string>> = {
  reference: "bench/harness/servers/reference.ts",
  canned: "bench/harness/servers/canned.ts",
  grpcjs: "bench/harness/servers/grpcjs.ts",
};

const readyTimeoutMs = 30_000;

const dataDirs = new Set<string>();

/** Removes the reference servers' data folders; synchronous, for the harness's exit. */
export function removeDataDirs(): void {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  dataDirs.clear();
}

/** Starts `server`; rejects if it exits or stays silent before its READY line. */
export async function startServerProcess(server: ServerName): Promise<ServerProcess> {
  if (server !== "reference") return spawnServer(server, []);
  const dataDir = mkdtempSync(join(tmpdir(), "contextiq-bench-"));
  dataDirs.add(dataDir);
  const running = await spawnServer(server, [dataDir]);
  return {
    ...running,
    stop: async () => {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
      dataDirs.delete(dataDir);
    },
  };
}

async function spawnServer(server: ServerName, args: readonly string[]): Promise<ServerProcess> {
  const child = spawnTypeScript(entries[server], args, { stdout: "pipe" });
  try {
    const urls = await readReady(child, server);
    return { ...urls, pid: child.pid, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

function readReady(
  child: ChildProcess,
  server: ServerName,
): Promise<{ sessionsUrl: string; memoryUrl: string }> {
  const stdout = child.stdout;
  if (stdout === null) throw new Error("server stdout is not piped");
  const lines = createInterface({ input: stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${server} server: no READY line in ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    );
    exited(child).then(() => {
      clearTimeout(timer);
      reject(new Error(`${server} server exited before it was ready (code ${child.exitCode})`));
    });
    lines.on("line", (line) => {
      if (!line.startsWith(readyPrefix)) {
        // Anything else the server prints belongs with the progress lines.
        process.stderr.write(`[${server}] ${line}\n`);
        return;
      }
      clearTimeout(timer);
      resolve(JSON.parse(line.slice(readyPrefix.length)));
    });
  });
}
