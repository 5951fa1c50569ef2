/** A client variant in its own long-lived process, driven over IPC one command at a time. */
import type { ChildProcess } from "node:child_process";
import type { VariantName } from "./catalog.js";
import { spawnTypeScript, stopChild } from "./children.js";
import type {
  ClientCommand,
  ClientReply,
  WarmupResult,
  WarmupSpec,
  WindowResult,
  WindowSpec,
} from "./clients/messages.js";
import type { Target } from "./workload.js";

/** A client process that is connected and ready to run windows. */
export interface ClientProcess {
  readonly variant: VariantName;
  /** Whether the process is still usable: a failed window or a crash ends it. */
  readonly alive: boolean;
  /** Runs a JIT warm-up; rejects when the process failed or died. */
  warm(spec: WarmupSpec): Promise<WarmupResult>;
  /** Runs one window; rejects when the process failed or died. */
  run(spec: WindowSpec): Promise<WindowResult>;
  /** Closes the variant's connections and ends the process. */
  close(): Promise<void>;
}

/** A variant that cannot run, and why. */
export interface UnavailableVariant {
  readonly variant: VariantName;
  readonly unavailable: string;
}

const startTimeoutMs = 60_000;
const exitGraceMs = 10_000;
/**
 * Slack over a window's planned length before the harness gives up on the process: covers the
 * window's own stretching (up to 40 s) and its drain (15 s).
 */
const runSlackMs = 70_000;
/** Slack over a warm-up's own bound on wall time. */
const warmSlackMs = 30_000;

/**
 * Starts `variant` in its own process at once, so that it loads its libraries while the server
 * starts, then connects it to `target` once that is known.
 */
export async function startClientProcess(
  variant: VariantName,
  target: Promise<Target>,
  nodeFlags: readonly string[],
): Promise<ClientProcess | UnavailableVariant> {
  const child = spawnTypeScript("bench/harness/clients/worker.ts", [variant], {
    stdout: "stderr",
    // For the collection the worker runs between windows.
    nodeFlags: ["--expose-gc", ...nodeFlags],
  });
  const reply = await target
    .then((resolved) => request(child, { type: "init", target: resolved }, startTimeoutMs))
    .catch(async (error: unknown) => {
      await stopChild(child);
      throw error;
    });
  if (reply.type === "unavailable") {
    await stopChild(child);
    return { variant, unavailable: reply.reason };
  }
  let alive = true;
  /** Sends a command; any failure ends the process, which is not trusted afterwards. */
  const send = (command: ClientCommand, timeoutMs: number) =>
    request(child, command, timeoutMs).catch(async (error: unknown) => {
      alive = false;
      await stopChild(child);
      throw error;
    });
  const unexpected = (answer: ClientReply) => {
    alive = false;
    return new Error(`${variant}: unexpected answer "${answer.type}"`);
  };
  return {
    variant,
    get alive() {
      return alive && child.exitCode === null;
    },
    async warm(spec) {
      const answer = await send({ type: "warm", ...spec }, spec.maxWallMs + warmSlackMs);
      if (answer.type !== "warmed") throw unexpected(answer);
      return answer.result;
    },
    async run(spec) {
      const answer = await send(
        { type: "run", ...spec },
        spec.warmupMs + spec.durationMs + runSlackMs,
      );
      if (answer.type !== "result") throw unexpected(answer);
      return answer.result;
    },
    async close() {
      alive = false;
      if (child.exitCode !== null) return;
      await request(child, { type: "close" }, 10_000).catch(() => {});
      // It exits by itself once closed, after writing its CPU profile if it makes one.
      await stopChild(child, exitGraceMs);
    },
  };
}

/** Sends `command` and waits for the reply; rejects on a "failed" reply, exit or timeout. */
function request(
  child: ChildProcess,
  command: ClientCommand,
  timeoutMs: number,
): Promise<ClientReply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no answer to "${command.type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (reply: ClientReply) => {
      cleanup();
      if (reply.type === "failed") reject(new Error(reply.error));
      else resolve(reply);
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`the client process exited (code ${child.exitCode}, ${child.signalCode})`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
    try {
      child.send(command);
    } catch (error) {
      cleanup();
      reject(error);
    }
  });
}
