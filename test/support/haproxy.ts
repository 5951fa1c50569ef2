// HAProxy in front of a fleet's replicas, as a user would run it: one port per service on
// 127.0.0.1 taking HTTP/1.1 and HTTP/2 cleartext (prior knowledge) alike, HTTP/2 to every replica
// so that gRPC and its trailers pass end to end, round robin per request, its own health checks.
//
// Reads (NO_SIDE_EFFECTS in the contract) and writes go to two backends over the same replicas.
// HAProxy retries a read on another replica on any failure, and never retries a write: over
// HTTP/2 to the replicas, HAProxy 2.6 logs a write cut off by its replica's death as a connection
// failure (SC), so even `retry-on conn-failure` would send again a write the replica may have
// stored. It answers such a write with 503, or resets an HTTP/2 client's stream with
// REFUSED_STREAM, and the client sends it again with its request_id, which the services
// deduplicate. See docs/fleet.md.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fleet } from "./fleet.js";
import { freePorts } from "./service-process.js";

/** Where Debian puts it; `.ci/run` installs the package when it is missing. */
const haproxyBinary =
  ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"].find(existsSync) ?? "haproxy";

/** How long HAProxy may take to listen. */
const startTimeoutMs = 10_000;

/** One request as HAProxy logged it (see the log-format below). */
export interface HaproxyLogLine {
  /** "sessions_reads", "sessions_writes", "memory_reads" or "memory_writes". */
  readonly backend: string;
  /** The replica's server name, "r0" to "r2", or "<NOSRV>". */
  readonly server: string;
  readonly status: number;
  /** How many times HAProxy tried the request again: reads alone. */
  readonly retries: number;
  /** HAProxy's termination state, e.g. "----" for a clean end, "SH--" for a server that died. */
  readonly termination: string;
  readonly path: string;
  /** The request's `x-test-tag` header, "" without one: which test sent it. */
  readonly tag: string;
}

export interface Haproxy {
  /** Where clients reach the Sessions service through HAProxy. */
  readonly sessionsUrl: string;
  readonly memoryUrl: string;
  /** The configuration HAProxy runs. */
  readonly config: string;
  /** The requests HAProxy has logged so far. */
  requests(): HaproxyLogLine[];
  /** Its other output: warnings, health check changes. */
  output(): string;
  /** Stops HAProxy and waits until it has exited. */
  close(): Promise<void>;
}

/** The configuration of HAProxy on `ports` in front of every replica `fleet` has now. */
export function haproxyConfig(fleet: Fleet, ports: { sessions: number; memory: number }): string {
  const service = (name: "sessions" | "memory", port: number) => {
    const servers = fleet.replicas.map((r) => `  server r${r.index} ${r.host}:${port}`).join("\n");
    return `
frontend ${name}
  bind 127.0.0.1:${ports[name]}
  capture request header x-test-tag len 64
  acl read path_reg ^/[^/]+/(Get|List|Search|BatchGet)[A-Za-z]*$
  use_backend ${name}_reads if read
  default_backend ${name}_writes

backend ${name}_reads
  retry-on conn-failure empty-response response-timeout
  option redispatch 1
${servers}

backend ${name}_writes
  retry-on none
${servers}
`;
  };
  return `global
  log stderr format raw local0 info

defaults
  mode http
  balance roundrobin
  log global
  log-format "request %b %s %ST %rc %tsc %HP %hr"
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  timeout check 2s
  option httpchk
  http-check send meth GET uri /health hdr host contextiq
  http-check expect status 200
  default-server proto h2 check inter 500ms fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down
${service("sessions", fleet.sessionsPort)}${service("memory", fleet.memoryPort)}`;
}

/** Starts HAProxy (foreground) on free ports of 127.0.0.1 in front of `fleet`'s replicas. */
export async function startHaproxy(fleet: Fleet): Promise<Haproxy> {
  const [sessions = 0, memory = 0] = await freePorts(2);
  const config = haproxyConfig(fleet, { sessions, memory });
  const dir = await mkdtemp(join(tmpdir(), "contextiq-haproxy-"));
  const file = join(dir, "haproxy.cfg");
  await writeFile(file, config);

  // A small Node parent that ends HAProxy when its stdin closes: when this process is gone,
  // whatever way it ended, HAProxy goes too (see exit-with-parent.ts for the services).
  const watchdog = `
    const haproxy = require("node:child_process").spawn(process.argv[1], ["-db", "-f", process.argv[2]], { stdio: "inherit" });
    process.stdin.on("end", () => haproxy.kill("SIGKILL")).resume();
    haproxy.on("exit", (code, signal) => process.exit(code ?? 1));
    haproxy.on("error", (error) => { console.error(String(error)); process.exit(1); });`;
  const child = spawn(process.execPath, ["-e", watchdog, haproxyBinary, file], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const logged: HaproxyLogLine[] = [];
  const other: string[] = [];
  let partial = "";
  const note = (text: string) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      // Retries read "+1" when the last went to another server; an HTTP/2 request's path is its
      // whole URL.
      const fields =
        /^request (\S+) (\S+) (-?\d+) \+?(\d+) (\S+) (?:\w+:\/\/[^/]*)?(\S*) \{(.*)\}$/.exec(line);
      if (fields) {
        const [
          ,
          backend = "",
          server = "",
          status,
          retries,
          termination = "",
          path = "",
          tag = "",
        ] = fields;
        logged.push({
          backend,
          server,
          status: Number(status),
          retries: Number(retries),
          termination,
          path,
          tag,
        });
      } else if (line.trim() !== "") {
        other.push(line);
      }
    }
  };
  child.stdout.setEncoding("utf8").on("data", note);
  child.stderr.setEncoding("utf8").on("data", note);
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));

  const close = async () => {
    child.stdin.end();
    await exited;
    await rm(dir, { recursive: true, force: true });
  };

  const sessionsUrl = `http://127.0.0.1:${sessions}`;
  const memoryUrl = `http://127.0.0.1:${memory}`;
  // Up when it answers on both ports: any answer, a 503 before its first checks included.
  const deadline = performance.now() + startTimeoutMs;
  for (const url of [sessionsUrl, memoryUrl]) {
    while (!(await answers(url))) {
      if (child.exitCode !== null || performance.now() > deadline) {
        await close();
        throw new Error(`haproxy did not start (${haproxyBinary}):\n${other.join("\n")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  return {
    sessionsUrl,
    memoryUrl,
    config,
    requests: () => [...logged],
    output: () => other.join("\n"),
    close,
  };
}

/** Whether anything answers HTTP at `url`. */
async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(500) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}
