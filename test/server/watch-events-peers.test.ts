// WatchEvents read by programs this project did not write, straight from the .proto contract:
// buf curl (a Go client compiled from the buf workspace, over the Connect protocol on HTTP/1.1 and
// over gRPC on cleartext HTTP/2) and @grpc/grpc-js with @grpc/proto-loader. Each reads the backlog
// and the live tail in ListEvents' order and sees the stream end OK with the session; grpc-js also
// sees heartbeats as messages without an event, and its cancel frees the server's watch slot.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { type RunningServices, startServices } from "../../src/server/index.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const buf = join(repoRoot, "node_modules", ".bin", "buf");
const watchPath = "/contextiq.sessions.v1.SessionsService/WatchEvents";
/** A bound on a hang of one foreign program, not a speed budget. */
const programTimeoutMs = 60_000;
const testTimeoutMs = 90_000;

/** Whether `file --version` runs: the program is installed. */
const runs = (file: string) =>
  promisify(execFile)(file, ["--version"]).then(
    () => true,
    () => false,
  );
const hasBuf = await runs(buf);

type Sessions = Client<typeof SessionsService>;

let services: RunningServices;
let sessions: Sessions;

beforeAll(async () => {
  services = await startServices();
  sessions = createClient(SessionsService, createGrpcTransport({ baseUrl: services.sessionsUrl }));
});

afterAll(() => services?.close());

const newSession = async (title: string) =>
  (await sessions.createSession({ title })).session?.id as string;
const addEvent = async (sessionId: string, eventType: string) =>
  (await sessions.createEvent({ sessionId, eventType, data: { made: eventType } })).event
    ?.id as string;
const listedIds = async (sessionId: string) =>
  (await sessions.listEvents({ sessionId, pageSize: 1000 })).events.map((e) => e.id);

// ---------------------------------------------------------------------------------------------
// buf curl
// ---------------------------------------------------------------------------------------------

/** A running `buf curl` of WatchEvents; its output so far, and how it exited. */
interface BufWatch {
  output(): string;
  readonly exited: Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
}

const bufProtocols = [
  ["the Connect protocol on HTTP/1.1", ["--protocol", "connect"]],
  ["gRPC on cleartext HTTP/2", ["--protocol", "grpc", "--http2-prior-knowledge"]],
] as const;

/** Starts `buf curl` of WatchEvents with the schema compiled from the buf workspace. */
function startBufWatch(request: unknown, protocolArgs: readonly string[]): BufWatch {
  const child: ChildProcess = spawn(
    buf,
    [
      "curl",
      "--schema",
      ".",
      ...protocolArgs,
      "-d",
      JSON.stringify(request),
      `${services.sessionsUrl}${watchPath}`,
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  // Killed only if it hangs; its stderr then says where.
  const bound = setTimeout(() => child.kill(), programTimeoutMs);
  const exited = new Promise<{ exitCode: number | null; stdout: string; stderr: string }>(
    (resolve) =>
      child.on("close", (exitCode) => {
        clearTimeout(bound);
        resolve({ exitCode, stdout, stderr });
      }),
  );
  return { output: () => stdout, exited };
}

/**
 * The JSON documents buf curl printed one after the other, one per message of the stream. They
 * are pretty-printed over several lines, so they are split where their braces close.
 */
function jsonDocuments(text: string): Record<string, unknown>[] {
  const documents: Record<string, unknown>[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" && depth++ === 0) start = i;
    else if (c === "}" && --depth === 0) documents.push(JSON.parse(text.slice(start, i + 1)));
  }
  return documents;
}

/** The ids of the events among buf curl's messages (heartbeats, `{}`, have none). */
function bufEventIds(stdout: string): string[] {
  return jsonDocuments(stdout).flatMap((m) => {
    const event = m["event"] as { id: string } | undefined;
    return event ? [event.id] : [];
  });
}

/** Resolves once `condition` holds, checked as `watch` prints; rejects if it exits before. */
async function untilPrinted(watch: BufWatch, condition: (stdout: string) => boolean) {
  let exited = false;
  void watch.exited.then(() => {
    exited = true;
  });
  while (!condition(watch.output())) {
    if (exited) {
      const { exitCode, stderr } = await watch.exited;
      throw new Error(`buf curl exited (${exitCode}) too soon: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function describeWithBuf(title: string, body: () => void): void {
  if (hasBuf) describe(title, body);
  else {
    describe.skip(title, () => {
      it(`is skipped: buf is not installed at ${buf} (npm ci installs it)`, () => {});
    });
  }
}

describeWithBuf("WatchEvents read by buf curl", () => {
  describe.each(bufProtocols)("over %s", (_, protocolArgs) => {
    it("prints each event of an ended session as a JSON message, in order, and exits 0", {
      timeout: testTimeoutMs,
    }, async () => {
      const sessionId = await newSession("buf curl, ended");
      const made = [];
      for (const type of ["message", "tool_call", "message"])
        made.push(await addEvent(sessionId, type));
      await sessions.endSession({ id: sessionId });

      const { exitCode, stdout, stderr } = await startBufWatch(
        { session_id: sessionId },
        protocolArgs,
      ).exited;
      expect(exitCode, stderr).toBe(0);
      const messages = jsonDocuments(stdout);
      expect(messages).toEqual(
        made.map((id, i) => ({
          event: expect.objectContaining({
            id,
            sessionId,
            eventType: ["message", "tool_call", "message"][i],
            data: { made: ["message", "tool_call", "message"][i] },
          }),
        })),
      );
      expect(messages.map((m) => (m["event"] as { id: string }).id)).toEqual(
        await listedIds(sessionId),
      );
    });

    it("prints events created while it watches, and exits 0 when the session ends", {
      timeout: testTimeoutMs,
    }, async () => {
      const sessionId = await newSession("buf curl, live");
      const made = [await addEvent(sessionId, "before")];
      const watch = startBufWatch({ session_id: sessionId }, protocolArgs);
      // The backlog has been printed: the watch is live, and what follows comes from its tail.
      await untilPrinted(watch, (stdout) => bufEventIds(stdout).length === 1);
      for (let i = 0; i < 4; i++) made.push(await addEvent(sessionId, `live-${i}`));
      await untilPrinted(watch, (stdout) => bufEventIds(stdout).length === made.length);
      await sessions.endSession({ id: sessionId });

      const { exitCode, stdout, stderr } = await watch.exited;
      expect(exitCode, stderr).toBe(0);
      expect(bufEventIds(stdout)).toEqual(made);
      expect(made).toEqual(await listedIds(sessionId));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// @grpc/grpc-js
// ---------------------------------------------------------------------------------------------

/** A WatchEventsResponse as proto-loader decodes it (keepCase, defaults: a heartbeat's event is null). */
interface GrpcWatchResponse {
  event: { id: string; session_id: string; event_type: string } | null;
}

type WatchMethod = (
  request: { session_id: string; heartbeat_seconds?: number },
  options?: grpc.CallOptions,
) => grpc.ClientReadableStream<GrpcWatchResponse>;

/** The WatchEvents method of a grpc-js client made by loadPackageDefinition, bound to it. */
function watchMethod(client: grpc.Client): WatchMethod {
  const method = (client as unknown as Record<string, unknown>)["WatchEvents"];
  if (typeof method !== "function") throw new Error("the client has no method WatchEvents");
  return (method as WatchMethod).bind(client);
}

/** The call's final status, once grpc-js has it (OK, or the error's). */
function finalStatus(
  call: grpc.ClientReadableStream<GrpcWatchResponse>,
): Promise<grpc.StatusObject> {
  // A failed call also emits "error"; its status is what is checked.
  call.on("error", () => {});
  return new Promise((resolve) => call.on("status", resolve));
}

/** Opens a watch and waits for its first message; the iterator reads on from there. */
async function openGrpcWatch(
  watch: WatchMethod,
  sessionId: string,
): Promise<{
  call: grpc.ClientReadableStream<GrpcWatchResponse>;
  status: Promise<grpc.StatusObject>;
  first: GrpcWatchResponse;
}> {
  const call = watch({ session_id: sessionId, heartbeat_seconds: 1 });
  const status = finalStatus(call);
  const first = (await call[Symbol.asyncIterator]().next()) as IteratorResult<GrpcWatchResponse>;
  if (first.done) throw new Error(`the watch ended at once: ${grpc.status[(await status).code]}`);
  return { call, status, first: first.value };
}

describe("WatchEvents read by @grpc/grpc-js with @grpc/proto-loader", () => {
  let root: grpc.GrpcObject;
  const clients: grpc.Client[] = [];
  /** A grpc-js Sessions client of `url`, from the loaded definition. */
  const connect = (url: string): grpc.Client => {
    const contextiq = root["contextiq"] as grpc.GrpcObject;
    const v1 = (contextiq["sessions"] as grpc.GrpcObject)["v1"] as grpc.GrpcObject;
    const Sessions = v1["SessionsService"] as grpc.ServiceClientConstructor;
    const client = new Sessions(new URL(url).host, grpc.credentials.createInsecure());
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const definition = await protoLoader.load("contextiq/sessions/v1/sessions.proto", {
      includeDirs: [join(repoRoot, "proto"), join(repoRoot, "third_party")],
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    root = grpc.loadPackageDefinition(definition);
  });

  afterAll(() => {
    for (const client of clients) client.close();
  });

  it("reads the backlog, then events created after it started, in order, and ends OK with the session", {
    timeout: testTimeoutMs,
  }, async () => {
    const watch = watchMethod(connect(services.sessionsUrl));
    const sessionId = await newSession("grpc-js, live");
    const made = [await addEvent(sessionId, "before")];
    const call = watch({ session_id: sessionId });
    const status = finalStatus(call);
    const seen: string[] = [];
    for await (const response of call as AsyncIterable<GrpcWatchResponse>) {
      if (response.event === null) continue;
      expect(response.event).toMatchObject({ session_id: sessionId });
      seen.push(response.event.id);
      if (seen.length < made.length) continue;
      // Each next event is made once the one before it arrived: it comes from the live tail.
      if (made.length < 5) made.push(await addEvent(sessionId, `live-${made.length}`));
      else await sessions.endSession({ id: sessionId });
    }
    expect(grpc.status[(await status).code]).toBe("OK");
    expect(seen).toEqual(made);
    expect(seen).toEqual(await listedIds(sessionId));
  });

  it("gets a heartbeat as a message whose event is null", { timeout: testTimeoutMs }, async () => {
    const watch = watchMethod(connect(services.sessionsUrl));
    const sessionId = await newSession("grpc-js, quiet");
    const { call, status, first } = await openGrpcWatch(watch, sessionId);
    expect(first).toEqual({ event: null });
    call.cancel();
    expect(grpc.status[(await status).code]).toBe("CANCELLED");
    await sessions.endSession({ id: sessionId });
  });

  it("cancels a call and the server sees it: with maxWatchers 1, a new watch takes its slot", {
    timeout: testTimeoutMs,
  }, async () => {
    const bounded = await startServices({ maxWatchers: 1 });
    try {
      const watch = watchMethod(connect(bounded.sessionsUrl));
      const local = createClient(
        SessionsService,
        createGrpcTransport({ baseUrl: bounded.sessionsUrl }),
      );
      const sessionId = (await local.createSession({})).session?.id as string;
      const first = await openGrpcWatch(watch, sessionId);
      // The slot is taken: a second watch is refused while the first runs.
      const refused = await finalStatus(watch({ session_id: sessionId }));
      expect(grpc.status[refused.code], refused.details).toBe("RESOURCE_EXHAUSTED");

      first.call.cancel();
      expect(grpc.status[(await first.status).code]).toBe("CANCELLED");
      // The server frees the slot once the RST_STREAM reaches it, a moment after cancel() returns.
      const next = await eventually(() => openGrpcWatch(watch, sessionId));
      expect(next.first).toEqual({ event: null });
      await local.endSession({ id: sessionId });
      for await (const _ of next.call) {
        // Read to its end: grpc-js reports the status once the messages before it are read.
      }
      expect(grpc.status[(await next.status).code]).toBe("OK");
    } finally {
      await bounded.close();
    }
  });
});

/**
 * `fn`'s result once it succeeds, tried again while it fails with RESOURCE_EXHAUSTED; the bound
 * on tries stops a loop that would never end, it is no speed budget.
 */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 400 || !String(error).includes("RESOURCE_EXHAUSTED")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
