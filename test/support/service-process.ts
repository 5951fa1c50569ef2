// The reference services as a child process (`contextiq serve`, as `npm run serve` runs it), on
// fixed ports and a data dir (or a database), so that a test can SIGKILL them mid-run and start
// them again on the same ports and the same data, or run several replicas side by side.
import { type ChildProcess, spawn } from "node:child_process";
import * as http from "node:http";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";

/** The repository root: the child runs `src/cli/main.ts serve` from there. */
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Makes the child exit when this process is gone, whatever way it ends. */
const exitWithParent = new URL("./exit-with-parent.ts", import.meta.url).href;

/** How long a start may take before it counts as failed (tsx compiles on a cold start). */
const startTimeoutMs = 30_000;

/** The services running in a child process, restartable on the same ports and data dir. */
export interface ServiceProcess {
  readonly sessionsUrl: string;
  readonly memoryUrl: string;
  readonly dataDir: string;
  /** The running child's pid, undefined between a kill and the next start. */
  readonly pid: number | undefined;
  /** Starts the child and waits until GET /health answers 200 on both ports. */
  start(): Promise<void>;
  /** Sends `signal` to the child and waits until it has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** The child's last lines of output, for failure messages. */
  output(): string;
}

/** Ports that were free a moment ago on 127.0.0.1, all different. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("no port assigned");
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** A child process of the services on `sessionsPort` and `memoryPort`, data in `dataDir`. */
export function serviceProcess(options: {
  sessionsPort: number;
  memoryPort: number;
  dataDir: string;
  /** More environment for the child, e.g. DATABASE_URL to run on PostgreSQL. */
  env?: Readonly<Record<string, string>>;
}): ServiceProcess {
  const sessionsUrl = `http://127.0.0.1:${options.sessionsPort}`;
  const memoryUrl = `http://127.0.0.1:${options.memoryPort}`;
  const lines: string[] = [];
  const note = (text: string) => {
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  // Should the test process end without afterAll (a crash), the child must not outlive it.
  const killOnExit = () => child?.kill("SIGKILL");

  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const start = async () => {
    if (running()) throw new Error("the services are already running");
    const spawned = spawn(
      process.execPath,
      ["--import", "tsx", "--import", exitWithParent, "src/cli/main.ts", "serve"],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          SESSIONS_SERVICE_URL: sessionsUrl,
          MEMORY_SERVICE_URL: memoryUrl,
          CONTEXTIQ_DATA_DIR: options.dataDir,
          CONTEXTIQ_API_KEYS: "",
          // SQLite in dataDir unless the test asks for a database, whatever the shell has set.
          DATABASE_URL: "",
          ...options.env,
        },
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      },
    );
    child = spawned;
    process.once("exit", killOnExit);
    spawned.stdout?.setEncoding("utf8").on("data", note);
    spawned.stderr?.setEncoding("utf8").on("data", note);
    exited = new Promise<void>((resolve) => {
      spawned.once("exit", (code, signal) => {
        note(`[exited: ${signal ?? `code ${code}`}]`);
        process.off("exit", killOnExit);
        resolve();
      });
      spawned.once("error", (error) => {
        note(`[spawn failed: ${error.message}]`);
        process.off("exit", killOnExit);
        resolve();
      });
    });
    const deadline = performance.now() + startTimeoutMs;
    for (const url of [sessionsUrl, memoryUrl]) {
      for (;;) {
        if (!running()) {
          throw new Error(`the services exited while starting:\n${lines.join("\n")}`);
        }
        if (await healthy(url)) break;
        if (performance.now() > deadline) {
          throw new Error(`${url}/health did not answer 200 in time:\n${lines.join("\n")}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  };

  const kill = async (signal: NodeJS.Signals) => {
    if (running()) child?.kill(signal);
    await exited;
  };

  const stop = async (graceMs = 5_000) => {
    if (!running()) {
      await exited;
      return;
    }
    child?.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), graceMs);
    });
    const outcome = await Promise.race([exited.then(() => "exited" as const), late]);
    clearTimeout(timer);
    if (outcome === "late") await kill("SIGKILL");
  };

  return {
    sessionsUrl,
    memoryUrl,
    dataDir: options.dataDir,
    get pid() {
      return running() ? child?.pid : undefined;
    },
    start,
    kill,
    stop,
    output: () => lines.join("\n"),
  };
}

/**
 * Whether GET `url`/health answers 200 within half a second, on a connection of its own (a pooled
 * one could still be the killed server's).
 */
function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(`${url}/health`, { agent: false, timeout: 500 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(false));
  });
}
