// The reference services as a child process (`contextiq serve`, as `npm run serve` runs it), on
// fixed ports and a data dir (or a database), so that a test can SIGKILL them mid-run and start
// them again on the same ports and the same data, or run several replicas side by side.
import { type ChildProcess, type Serializable, spawn } from "node:child_process";
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
  /** Sends `message` on the running child's IPC channel; false when no child runs. */
  send(message: Serializable): boolean;
}

/**
 * Ports that were free a moment ago on every one of `hosts` (default 127.0.0.1), all different:
 * the system picks each on the first host, and one taken on another host is passed over.
 */
export async function freePorts(
  count: number,
  hosts: readonly string[] = ["127.0.0.1"],
): Promise<number[]> {
  const servers: Server[] = [];
  const listen = async (port: number, host: string): Promise<number | undefined> => {
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, host, () => resolve(true));
    });
    if (!bound) return undefined;
    servers.push(server);
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port assigned");
    return address.port;
  };
  try {
    const ports: number[] = [];
    for (let tries = 0; ports.length < count; tries++) {
      if (tries >= count + 20) throw new Error(`no port free on all of ${hosts.join(", ")}`);
      const [first = "127.0.0.1", ...others] = hosts;
      const port = await listen(0, first);
      if (port === undefined) throw new Error(`cannot listen on ${first}`);
      let free = true;
      for (const host of others) free &&= (await listen(port, host)) !== undefined;
      if (free) ports.push(port);
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
  /** The address both services listen on. Defaults to 127.0.0.1. */
  host?: string;
  /** More environment for the child, e.g. DATABASE_URL to run on PostgreSQL. */
  env?: Readonly<Record<string, string>>;
  /** More modules the child preloads (`--import`), as file URLs. Defaults to none. */
  preload?: readonly string[];
  /** Called with every message a child sends on its IPC channel. */
  onMessage?: (message: unknown) => void;
}): ServiceProcess {
  const host = options.host ?? "127.0.0.1";
  const sessionsUrl = `http://${host}:${options.sessionsPort}`;
  const memoryUrl = `http://${host}:${options.memoryPort}`;
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
      [
        "--import",
        "tsx",
        "--import",
        exitWithParent,
        ...(options.preload ?? []).flatMap((url) => ["--import", url]),
        "src/cli/main.ts",
        "serve",
      ],
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
    if (options.onMessage) spawned.on("message", options.onMessage);
    exited = new Promise<void>((resolve) => {
      // 'close', not 'exit': it comes once the IPC channel is read to its end too, so every
      // message the child sent before it died has been seen.
      spawned.once("close", (code, signal) => {
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
    send: (message) => {
      if (!running() || !child?.connected) return false;
      // With a callback, a channel that closes meanwhile is reported there, not as an 'error'.
      child.send(message, () => {});
      return true;
    },
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
