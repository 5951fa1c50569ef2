// `contextiq serve` as a user runs it: it prints where the services listen, serves calls, and
// shuts down cleanly on SIGTERM.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SessionsServiceClient } from "../../src/client/sessions-client.js";
import { cliEnv } from "./run-cli.js";

const root = join(import.meta.dirname, "..", "..");
const dataDirs: string[] = [];
afterAll(async () => {
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("contextiq serve", { timeout: 30_000 }, () => {
  it("serves both services until SIGTERM", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "contextiq-cli-"));
    dataDirs.push(dataDir);
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
      cwd: root,
      env: {
        // Port 0: each service gets an ephemeral port, which the banner reports.
        ...cliEnv({ sessionsUrl: "http://127.0.0.1:0", memoryUrl: "http://127.0.0.1:0" }),
        CONTEXTIQ_DATA_DIR: dataDir,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", () => {
          if (stdout.includes("Ctrl-C stops")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${stdout}`)));
      });
      expect(stdout).toContain(`data: ${dataDir} (SQLite)`);
      const sessionsUrl = /Sessions service: (\S+)/.exec(stdout)?.[1];
      expect(sessionsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      await using client = new SessionsServiceClient({ baseUrl: sessionsUrl ?? "" });
      const session = await client.createSession({ title: "served" });
      expect(session.title).toBe("served");
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain("SIGTERM: draining in-flight calls, then closing the stores");
  });
});
