// `contextiq serve` as a user runs it: it prints where the services listen, serves calls, and
// shuts down cleanly on SIGTERM.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, type Settings } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SessionsServiceClient } from "../../src/client/sessions-client.js";
import { createTestPki } from "../support/certificates.js";

const root = join(import.meta.dirname, "..", "..");
const dataDirs: string[] = [];
afterAll(async () => {
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh folder, removed after the file's tests. */
async function folder(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dataDirs.push(dir);
  return dir;
}

/**
 * The environment of `contextiq serve`: `variables`, and of this process's only what Node needs to
 * run. Nothing else of whoever runs the tests reaches it: their DATABASE_URL, CONTEXTIQ_* or
 * *_SERVICE_* settings would change where it listens, what it stores and whom it lets in.
 */
function serveEnv(variables: Record<string, string>): NodeJS.ProcessEnv {
  const kept = ["PATH", "HOME", "TMPDIR", "TEMP", "TMP", "SystemRoot"].filter(
    (name) => process.env[name] !== undefined,
  );
  return {
    ...Object.fromEntries(kept.map((name) => [name, process.env[name]])),
    NO_COLOR: "1",
    ...variables,
  };
}

/**
 * Runs `contextiq serve` with `env` until its banner is printed, then `use`s its Sessions URL,
 * then sends SIGTERM. Resolves with the exit code and everything it printed.
 */
async function serving(
  env: NodeJS.ProcessEnv,
  use: (sessionsUrl: string, banner: string) => Promise<void>,
): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
    cwd: root,
    env,
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
    await use(/Sessions service: (\S+)/.exec(stdout)?.[1] ?? "", stdout);
  } finally {
    child.kill("SIGTERM");
  }
  return { code: await exited, stdout };
}

describe("contextiq serve", { timeout: 30_000 }, () => {
  it("serves both services until SIGTERM", async () => {
    const dataDir = await folder("contextiq-cli-");
    // Port 0: each service gets an ephemeral port, which the banner reports.
    const env = serveEnv({
      SESSIONS_SERVICE_URL: "http://127.0.0.1:0",
      MEMORY_SERVICE_URL: "http://127.0.0.1:0",
      CONTEXTIQ_DATA_DIR: dataDir,
      CONTEXTIQ_MAX_CONCURRENT_STREAMS: "7",
    });
    const { code, stdout } = await serving(env, async (sessionsUrl, banner) => {
      expect(banner).toContain(`data: ${dataDir} (SQLite)`);
      expect(sessionsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await using client = new SessionsServiceClient({ baseUrl: sessionsUrl, env: {} });
      expect((await client.createSession({ title: "served" })).title).toBe("served");
      // A limit from its variable reaches the services.
      const session = connect(sessionsUrl);
      try {
        const [settings] = (await once(session, "remoteSettings")) as [Settings];
        expect(settings.maxConcurrentStreams).toBe(7);
      } finally {
        session.destroy();
      }
    });
    expect(code).toBe(0);
    expect(stdout).toContain("SIGTERM: draining in-flight calls, then closing the stores");
  });

  it("serves HTTPS with mutual TLS from the CONTEXTIQ_TLS_* files", async () => {
    const dir = await folder("contextiq-cli-tls-");
    const pki = await createTestPki();
    const file = async (name: string, pem: string) => {
      await writeFile(join(dir, name), pem);
      return join(dir, name);
    };
    const { code } = await serving(
      serveEnv({
        SESSIONS_SERVICE_URL: "https://127.0.0.1:0",
        MEMORY_SERVICE_URL: "https://127.0.0.1:0",
        CONTEXTIQ_DATA_DIR: dir,
        CONTEXTIQ_TLS_CERT_FILE: await file("server.pem", pki.server.cert),
        CONTEXTIQ_TLS_KEY_FILE: await file("server-key.pem", pki.server.key),
        CONTEXTIQ_TLS_CLIENT_CA_FILE: await file("ca.pem", pki.ca.cert),
      }),
      async (sessionsUrl, banner) => {
        expect(banner).toContain("HTTP/1.1 and HTTP/2, over TLS, client certificates required");
        expect(sessionsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
        // A worker's configuration: everything from the environment.
        await using client = new SessionsServiceClient({
          env: {
            SESSIONS_SERVICE_URL: sessionsUrl,
            SESSIONS_SERVICE_TRANSPORT: "grpc",
            SESSIONS_SERVICE_CA_FILE: join(dir, "ca.pem"),
            SESSIONS_SERVICE_CERT_FILE: await file("client.pem", pki.client.cert),
            SESSIONS_SERVICE_KEY_FILE: await file("client-key.pem", pki.client.key),
          },
        });
        expect((await client.createSession({ title: "mutual" })).title).toBe("mutual");
      },
    );
    expect(code).toBe(0);
  });
});
