// Foreign clients: programs this project did not write call the reference services straight from
// the .proto contract. buf curl (Connect, gRPC and gRPC-Web, compiled from the buf workspace),
// @grpc/grpc-js with @grpc/proto-loader, and plain curl posting Connect JSON.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type RunningServices, startServices } from "../../src/server/index.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const buf = join(repoRoot, "node_modules", ".bin", "buf");
const execFileAsync = promisify(execFile);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const unknownId = "00000000-0000-4000-8000-000000000000";
const sessionsPath = "/contextiq.sessions.v1.SessionsService";
const memoryPath = "/contextiq.memory.v1.MemoryService";
// Each foreign program gets this long per call; buf compiles the workspace in well under a second.
const callTimeoutMs = 20_000;

/** What a finished process left behind; `exitCode` is 0 on success. */
interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

interface ExecFailure {
  code: number;
  stdout: string;
  stderr: string;
}

function isExecFailure(error: unknown): error is ExecFailure {
  return (
    error instanceof Error &&
    "code" in error &&
    typeof error.code === "number" &&
    "stdout" in error &&
    typeof error.stdout === "string" &&
    "stderr" in error &&
    typeof error.stderr === "string"
  );
}

/** Runs `file` from the repository root; a non-zero exit resolves, a timeout or spawn error throws. */
async function run(file: string, args: readonly string[]): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      cwd: repoRoot,
      timeout: callTimeoutMs,
      encoding: "utf8",
    });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    if (isExecFailure(error)) {
      return { exitCode: error.code, stdout: error.stdout, stderr: error.stderr };
    }
    throw error;
  }
}

const hasCurl = await run("curl", ["--version"]).then(
  (r) => r.exitCode === 0,
  () => false,
);

let services: RunningServices;
let securedServices: RunningServices;

beforeAll(async () => {
  services = await startServices();
  securedServices = await startServices({ apiKeys: ["k1"] });
});

afterAll(async () => {
  await services?.close();
  await securedServices?.close();
});

// ---------------------------------------------------------------------------------------------
// buf curl
// ---------------------------------------------------------------------------------------------

type BufProtocol = "connect" | "grpc" | "grpcweb";

interface BufOptions {
  protocol: BufProtocol;
  http2?: boolean;
  headers?: readonly string[];
  /** Adds -v, whose stderr log names the HTTP version of the response. */
  verbose?: boolean;
}

/** `buf curl` with the schema compiled from the buf workspace at the repository root. */
function bufCurl(url: string, data: unknown, options: BufOptions): Promise<RunResult> {
  const args = ["curl", "--schema", ".", "--protocol", options.protocol];
  if (options.http2) args.push("--http2-prior-knowledge");
  if (options.verbose) args.push("-v");
  for (const header of options.headers ?? []) args.push("-H", header);
  args.push("-d", JSON.stringify(data), url);
  return run(buf, args);
}

/** The proto3 JSON buf curl printed for a successful call. */
function bufOutput(result: RunResult): Record<string, unknown> {
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** The Connect error JSON buf curl prints on stderr when an RPC fails, e.g. {"code":"not_found"}. */
function bufError(result: RunResult): { code: string; message: string } {
  const start = result.stderr.indexOf("{");
  expect(start, result.stderr).toBeGreaterThanOrEqual(0);
  return JSON.parse(result.stderr.slice(start)) as { code: string; message: string };
}

/** A session as buf curl prints it: proto3 JSON, camelCase names, int64 as strings. */
interface JsonSession {
  id: string;
  scope: Record<string, string>;
  title: string;
  ttlSeconds: number;
  eventCount?: number;
  totalInputTokens?: string;
  startedAt: string;
  expiresAt: string;
}

function sessionOf(output: Record<string, unknown>): JsonSession {
  const session = output["session"] as JsonSession | undefined;
  return session ?? expect.fail(`no session in ${JSON.stringify(output)}`);
}

describe("buf curl, a Go client compiled from the buf workspace", { timeout: 30_000 }, () => {
  it("creates a session over the Connect protocol on HTTP/1.1", async () => {
    const result = await bufCurl(
      `${services.sessionsUrl}${sessionsPath}/CreateSession`,
      { scope: { user_id: "123" }, title: "t" },
      { protocol: "connect", verbose: true },
    );
    const session = sessionOf(bufOutput(result));
    expect(session.id).toMatch(uuidPattern);
    expect(session).toMatchObject({ scope: { user_id: "123" }, title: "t", ttlSeconds: 3600 });
    expect(Date.parse(session.expiresAt) - Date.parse(session.startedAt)).toBe(3600_000);
    // The Connect protocol (buf sends binary protobuf) really went over HTTP/1.1.
    expect(result.stderr).toContain("Connect-Protocol-Version: 1");
    expect(result.stderr).toMatch(/< \(#1\) HTTP\/1\.1 200 OK/);
  });

  it("creates and reads a session over gRPC on cleartext HTTP/2, int64 printed as strings", async () => {
    const created = await bufCurl(
      `${services.sessionsUrl}${sessionsPath}/CreateSession`,
      { scope: { user_id: "grpc-user" }, title: "over grpc", ttl_seconds: 60 },
      { protocol: "grpc", http2: true, verbose: true },
    );
    expect(created.stderr).toContain("Content-Type: application/grpc");
    expect(created.stderr).toMatch(/< \(#1\) HTTP\/2\.0 200 OK/);
    const { id } = sessionOf(bufOutput(created));
    expect(id).toMatch(uuidPattern);

    const read = await bufCurl(
      `${services.sessionsUrl}${sessionsPath}/GetSession`,
      { id },
      { protocol: "grpc", http2: true },
    );
    expect(sessionOf(bufOutput(read))).toMatchObject({
      id,
      scope: { user_id: "grpc-user" },
      title: "over grpc",
      ttlSeconds: 60,
    });

    // Appending an event is visible to the next read, and the int64 token total is a JSON string.
    const event = await bufCurl(
      `${services.sessionsUrl}${sessionsPath}/CreateEvent`,
      { session_id: id, event_type: "message", data: { text: "hi" }, input_tokens: 7 },
      { protocol: "grpc", http2: true },
    );
    expect(bufOutput(event)).toMatchObject({
      event: { sessionId: id, eventType: "message", data: { text: "hi" }, inputTokens: 7 },
    });
    const again = await bufCurl(
      `${services.sessionsUrl}${sessionsPath}/GetSession`,
      { id },
      { protocol: "grpc", http2: true },
    );
    expect(sessionOf(bufOutput(again))).toMatchObject({ eventCount: 1, totalInputTokens: "7" });
  });

  it("gets NOT_FOUND over gRPC for an unknown session: exit code 5 << 3 and a not_found error", async () => {
    const result = await bufCurl(
      `${services.sessionsUrl}${sessionsPath}/GetSession`,
      { id: unknownId },
      { protocol: "grpc", http2: true },
    );
    // buf curl exits with the gRPC code shifted left by three bits: NOT_FOUND (5) gives 40.
    expect(result.exitCode).toBe(5 << 3);
    expect(result.stdout).toBe("");
    expect(bufError(result)).toEqual({
      code: "not_found",
      message: `session ${unknownId} not found`,
    });
  });

  it("gets INVALID_ARGUMENT over gRPC naming the field, with a google.rpc.BadRequest detail", async () => {
    const result = await bufCurl(
      `${services.memoryUrl}${memoryPath}/CreateMemory`,
      { scope: { user_id: "u" }, fact: "" },
      { protocol: "grpc", http2: true },
    );
    expect(result.exitCode).toBe(3 << 3);
    const error = bufError(result) as { code: string; message: string; details?: unknown };
    expect(error).toMatchObject({
      code: "invalid_argument",
      message: expect.stringMatching(/^fact: /),
      details: [expect.objectContaining({ type: "google.rpc.BadRequest" })],
    });
  });

  it("creates and ranks memories over gRPC-Web on HTTP/1.1", async () => {
    const scope = { user_id: randomUUID() };
    const url = `${services.memoryUrl}${memoryPath}`;
    for (const [fact, embedding] of [
      ["likes tea", [1, 0]],
      ["likes coffee", [0, 1]],
    ] as const) {
      const created = await bufCurl(
        `${url}/CreateMemory`,
        { scope, fact, embedding },
        { protocol: "grpcweb" },
      );
      expect(bufOutput(created)).toMatchObject({ memory: { fact, scope } });
    }
    const search = await bufCurl(
      `${url}/SearchMemories`,
      { scope, query_embedding: [1, 0] },
      { protocol: "grpcweb", verbose: true },
    );
    expect(search.stderr).toContain("Content-Type: application/grpc-web");
    expect(search.stderr).toMatch(/< \(#1\) HTTP\/1\.1 200 OK/);
    const { results } = bufOutput(search) as {
      results: { memory: { fact: string }; similarityScore?: number }[];
    };
    expect(results.map((r) => r.memory.fact)).toEqual(["likes tea", "likes coffee"]);
    expect(results[0]?.similarityScore).toBeCloseTo(1);
    // proto3 JSON leaves out a zero double, so the orthogonal memory has no score printed.
    expect(results[1]?.similarityScore ?? 0).toBeCloseTo(0);
  });

  it("is refused UNAUTHENTICATED without a key and let in with `x-api-key`", async () => {
    const url = `${securedServices.sessionsUrl}${sessionsPath}/CreateSession`;
    const refused = await bufCurl(url, { title: "no key" }, { protocol: "grpc", http2: true });
    expect(refused.exitCode).toBe(16 << 3);
    expect(bufError(refused).code).toBe("unauthenticated");
    const allowed = await bufCurl(
      url,
      { title: "with key" },
      { protocol: "connect", headers: ["x-api-key: k1"] },
    );
    expect(sessionOf(bufOutput(allowed)).title).toBe("with key");
  });
});

// ---------------------------------------------------------------------------------------------
// @grpc/grpc-js with @grpc/proto-loader
// ---------------------------------------------------------------------------------------------

/** A google.protobuf.Struct as proto-loader represents it (the Value oneof is named by `kind`). */
interface GrpcStruct {
  fields: Record<string, { kind?: string; stringValue?: string; numberValue?: number }>;
}

/** google.protobuf.Timestamp with longs as strings. */
interface GrpcTimestamp {
  seconds: string;
  nanos: number;
}

/** Session with keepCase, longs as strings and defaults filled in. */
interface GrpcSession {
  id: string;
  scope: Record<string, string>;
  title: string;
  state: GrpcStruct | null;
  started_at: GrpcTimestamp | null;
  expires_at: GrpcTimestamp | null;
  ended_at: GrpcTimestamp | null;
  ttl_seconds: number;
  event_count: number;
  total_input_tokens: string;
  total_output_tokens: string;
}

interface GrpcEvent {
  id: string;
  session_id: string;
  event_type: string;
  data: GrpcStruct | null;
  input_tokens: number;
  output_tokens: number;
}

interface GrpcMemory {
  id: string;
  scope: Record<string, string>;
  fact: string;
  embedding: number[];
  confidence: number;
  importance: number;
  access_count: string;
  source_type: string;
}

/** The RPCs these tests call, by their proto name: request and response as proto-loader sees them. */
interface Rpcs {
  CreateSession: [
    { scope?: Record<string, string>; title?: string; ttl_seconds?: number },
    { session: GrpcSession | null },
  ];
  GetSession: [{ id: string }, { session: GrpcSession | null }];
  CreateEvent: [
    {
      session_id: string;
      event_type: string;
      data?: GrpcStruct;
      input_tokens?: number;
      output_tokens?: number;
    },
    { event: GrpcEvent | null },
  ];
  ListEvents: [
    { session_id: string },
    { events: GrpcEvent[]; next_page_token: string; total_size: number },
  ];
  CreateMemory: [
    {
      scope: Record<string, string>;
      fact: string;
      embedding?: number[];
      confidence?: number;
      source_type?: string;
    },
    { memory: GrpcMemory | null },
  ];
  GetMemory: [{ id: string }, { memory: GrpcMemory | null }];
  ListMemories: [{ scope: Record<string, string> }, { memories: GrpcMemory[] }];
  SearchMemories: [
    { query_embedding: number[]; scope: Record<string, string> },
    { results: { memory: GrpcMemory | null; similarity_score: number }[] },
  ];
  Check: [{ service: string }, { status: string }];
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

/** Calls the unary method `name` of a grpc-js client made by loadPackageDefinition. */
function unary<Name extends keyof Rpcs>(
  client: grpc.Client,
  name: Name,
  request: Rpcs[Name][0],
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<Rpcs[Name][1]> {
  const method = (client as unknown as Record<string, unknown>)[name];
  if (typeof method !== "function") throw new Error(`the client has no method ${name}`);
  const call = method as UnaryMethod<Rpcs[Name][0], Rpcs[Name][1]>;
  return new Promise((resolve, reject) => {
    call.call(client, request, metadata, { deadline: Date.now() + callTimeoutMs }, (error, res) => {
      if (error) reject(error);
      else if (res === undefined) reject(new Error(`${name} returned no response`));
      else resolve(res);
    });
  });
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && "code" in error && "details" in error && "metadata" in error;
}

/** Awaits `call`, expects it to fail with the gRPC status `code`, and returns the error. */
async function grpcFailure(call: Promise<unknown>, code: grpc.status): Promise<grpc.ServiceError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isServiceError(error)) return expect.fail(`expected a gRPC error, got ${String(error)}`);
  expect(grpc.status[error.code], error.details).toBe(grpc.status[code]);
  return error;
}

function serviceConstructor(root: grpc.GrpcObject, name: string): grpc.ServiceClientConstructor {
  let node: grpc.GrpcObject | grpc.ServiceClientConstructor | protoLoader.AnyDefinition = root;
  for (const part of name.split(".")) {
    if (typeof node !== "object" || !(part in node)) break;
    const next: unknown = (node as Record<string, unknown>)[part];
    node = next as typeof node;
  }
  if (typeof node !== "function") throw new Error(`${name} is not a service in the definition`);
  return node;
}

/** host:port of a base URL, the target grpc-js dials. */
const target = (url: string) => new URL(url).host;

describe("@grpc/grpc-js with @grpc/proto-loader, loading the .proto files", () => {
  let root: grpc.GrpcObject;
  const clients: grpc.Client[] = [];
  const connect = (service: string, url: string): grpc.Client => {
    const Client = serviceConstructor(root, service);
    const client = new Client(target(url), grpc.credentials.createInsecure());
    clients.push(client);
    return client;
  };
  let sessions: grpc.Client;
  let memory: grpc.Client;

  beforeAll(async () => {
    const definition = await protoLoader.load(
      [
        "contextiq/sessions/v1/sessions.proto",
        "contextiq/memory/v1/memory.proto",
        "grpc/health/v1/health.proto",
      ],
      {
        includeDirs: [join(repoRoot, "proto"), join(repoRoot, "third_party")],
        keepCase: true,
        longs: String,
        enums: String,
        defaults: true,
        oneofs: true,
      },
    );
    root = grpc.loadPackageDefinition(definition);
    sessions = connect("contextiq.sessions.v1.SessionsService", services.sessionsUrl);
    memory = connect("contextiq.memory.v1.MemoryService", services.memoryUrl);
  });

  afterAll(() => {
    for (const client of clients) client.close();
  });

  it("creates a session, appends an event, lists it back and sees the session's counters move", async () => {
    const created = await unary(sessions, "CreateSession", {
      scope: { user_id: "grpc-js" },
      title: "from grpc-js",
    });
    const session = created.session ?? expect.fail("no session");
    expect(session.id).toMatch(uuidPattern);
    expect(session).toMatchObject({
      scope: { user_id: "grpc-js" },
      title: "from grpc-js",
      ttl_seconds: 3600,
      event_count: 0,
      total_input_tokens: "0",
      ended_at: null,
    });
    const startedAt = session.started_at ?? expect.fail("no started_at");
    expect(Number(startedAt.seconds) * 1000).toBeLessThanOrEqual(Date.now());

    const { event } = await unary(sessions, "CreateEvent", {
      session_id: session.id,
      event_type: "message",
      data: { fields: { text: { stringValue: "hello" } } },
      input_tokens: 12,
      output_tokens: 3,
    });
    expect(event?.id).toMatch(uuidPattern);
    expect(event).toMatchObject({ session_id: session.id, event_type: "message" });

    const listed = await unary(sessions, "ListEvents", { session_id: session.id });
    expect(listed.total_size).toBe(1);
    expect(listed.next_page_token).toBe("");
    expect(listed.events).toHaveLength(1);
    expect(listed.events[0]).toMatchObject({
      id: event?.id,
      event_type: "message",
      input_tokens: 12,
      output_tokens: 3,
      data: { fields: { text: { kind: "stringValue", stringValue: "hello" } } },
    });

    const read = await unary(sessions, "GetSession", { id: session.id });
    expect(read.session).toMatchObject({
      id: session.id,
      event_count: 1,
      total_input_tokens: "12",
      total_output_tokens: "3",
    });
  });

  it("stores memories with embeddings and ranks them by cosine similarity", async () => {
    const scope = { user_id: randomUUID() };
    const tea = await unary(memory, "CreateMemory", {
      scope,
      fact: "likes tea",
      embedding: [1, 0],
    });
    expect(tea.memory).toMatchObject({
      fact: "likes tea",
      embedding: [1, 0],
      confidence: 1,
      importance: 0.5,
      source_type: "SOURCE_TYPE_DIRECT",
      access_count: "0",
    });
    await unary(memory, "CreateMemory", {
      scope,
      fact: "likes coffee",
      embedding: [0, 1],
      source_type: "SOURCE_TYPE_EXTRACTED",
    });
    // A third memory in another scope must not take part.
    await unary(memory, "CreateMemory", {
      scope: { user_id: randomUUID() },
      fact: "elsewhere",
      embedding: [1, 0],
    });

    const { results } = await unary(memory, "SearchMemories", { query_embedding: [1, 0], scope });
    expect(results.map((r) => r.memory?.fact)).toEqual(["likes tea", "likes coffee"]);
    expect(results[0]?.similarity_score).toBeCloseTo(1);
    expect(results[1]?.similarity_score).toBeCloseTo(0);
    expect(results[1]?.memory?.source_type).toBe("SOURCE_TYPE_EXTRACTED");
    // The search counts as an access of each memory returned, written after it answers;
    // ListMemories counts none.
    await vi.waitFor(
      async () => {
        const { memories } = await unary(memory, "ListMemories", { scope });
        expect(memories.map((m) => m.access_count)).toEqual(["1", "1"]);
      },
      { timeout: 10_000, interval: 50 },
    );
  });

  it("gets INVALID_ARGUMENT (3) naming `fact`, with a grpc-status-details-bin BadRequest", async () => {
    const error = await grpcFailure(
      unary(memory, "CreateMemory", { scope: { user_id: "u" }, fact: "" }),
      grpc.status.INVALID_ARGUMENT,
    );
    expect(error.code).toBe(3);
    // connect-es percent-encodes grpc-message with encodeURIComponent and grpc-js decodes it with
    // decodeURI, which leaves reserved characters escaped: grpc-js shows "fact%3A is required".
    expect(error.details).toContain("fact");
    expect(decodeURIComponent(error.details)).toBe("fact: is required");
    const [details] = error.metadata.get("grpc-status-details-bin");
    expect(Buffer.isBuffer(details)).toBe(true);
    const text = Buffer.isBuffer(details) ? details.toString("latin1") : "";
    expect(text).toContain("type.googleapis.com/google.rpc.BadRequest");
    expect(text).toContain("fact");
  });

  it("gets NOT_FOUND (5) for an unknown session and an unknown memory", async () => {
    const session = await grpcFailure(
      unary(sessions, "GetSession", { id: unknownId }),
      grpc.status.NOT_FOUND,
    );
    expect(session.details).toBe(`session ${unknownId} not found`);
    const mem = await grpcFailure(
      unary(memory, "GetMemory", { id: unknownId }),
      grpc.status.NOT_FOUND,
    );
    expect(mem.details).toBe(`memory ${unknownId} not found`);
  });

  it("reports both services SERVING on grpc.health.v1.Health/Check", async () => {
    const sessionsHealth = connect("grpc.health.v1.Health", services.sessionsUrl);
    await expect(
      unary(sessionsHealth, "Check", { service: "contextiq.sessions.v1.SessionsService" }),
    ).resolves.toEqual({ status: "SERVING" });
    const memoryHealth = connect("grpc.health.v1.Health", services.memoryUrl);
    await expect(unary(memoryHealth, "Check", { service: "" })).resolves.toEqual({
      status: "SERVING",
    });
  });

  it("is refused UNAUTHENTICATED (16) without a key and served with `authorization: Bearer k1`", async () => {
    const secured = connect("contextiq.sessions.v1.SessionsService", securedServices.sessionsUrl);
    const refused = await grpcFailure(
      unary(secured, "CreateSession", { title: "no key" }),
      grpc.status.UNAUTHENTICATED,
    );
    expect(refused.code).toBe(16);

    const wrong = new grpc.Metadata();
    wrong.set("authorization", "Bearer not-the-key");
    await grpcFailure(
      unary(secured, "CreateSession", { title: "wrong key" }, wrong),
      grpc.status.UNAUTHENTICATED,
    );

    const bearer = new grpc.Metadata();
    bearer.set("authorization", "Bearer k1");
    const created = await unary(secured, "CreateSession", { title: "with key" }, bearer);
    expect(created.session?.id).toMatch(uuidPattern);
    expect(created.session?.title).toBe("with key");
  });
});

// ---------------------------------------------------------------------------------------------
// curl posting Connect JSON
// ---------------------------------------------------------------------------------------------

interface CurlResponse {
  status: number;
  httpVersion: string;
  body: string;
}

const writeOut = "\n%{http_code} %{http_version}";

/** curl with the status and HTTP version appended after the body. */
async function curl(args: readonly string[]): Promise<CurlResponse> {
  const result = await run("curl", ["-sS", "--max-time", "15", "-w", writeOut, ...args]);
  expect(result.exitCode, result.stderr).toBe(0);
  const cut = result.stdout.lastIndexOf("\n");
  const [status = "", httpVersion = ""] = result.stdout.slice(cut + 1).split(" ");
  return { status: Number(status), httpVersion, body: result.stdout.slice(0, cut) };
}

/** A Connect unary call: POST of a JSON body to /package.Service/Method. */
function postJson(url: string, body: unknown, extra: readonly string[] = []) {
  return curl([
    "-X",
    "POST",
    "-H",
    "Content-Type: application/json",
    ...extra,
    "--data",
    JSON.stringify(body),
    url,
  ]);
}

const json = (response: CurlResponse): Record<string, unknown> =>
  JSON.parse(response.body) as Record<string, unknown>;

describe("curl posting Connect JSON (skipped when curl is not on PATH)", () => {
  it.skipIf(!hasCurl)("creates a memory with a plain JSON POST over HTTP/1.1", async () => {
    const response = await postJson(`${services.memoryUrl}${memoryPath}/CreateMemory`, {
      scope: { user_id: "u" },
      fact: "likes tea",
    });
    expect(response).toMatchObject({ status: 200, httpVersion: "1.1" });
    const { memory } = json(response) as { memory: Record<string, unknown> };
    expect(memory["id"]).toMatch(uuidPattern);
    expect(memory).toMatchObject({
      scope: { user_id: "u" },
      fact: "likes tea",
      confidence: 1,
      importance: 0.5,
      sourceType: "SOURCE_TYPE_DIRECT",
    });

    // And reads it back by id.
    const read = await postJson(`${services.memoryUrl}${memoryPath}/GetMemory`, {
      id: memory["id"],
    });
    expect(read.status).toBe(200);
    expect(json(read)).toMatchObject({ memory: { id: memory["id"], fact: "likes tea" } });
  });

  it.skipIf(!hasCurl)(
    "gets HTTP 400 and a Connect invalid_argument error naming `fact` for an empty fact",
    async () => {
      const response = await postJson(`${services.memoryUrl}${memoryPath}/CreateMemory`, {
        scope: { user_id: "u" },
        fact: "",
      });
      expect(response.status).toBe(400);
      expect(json(response)).toMatchObject({
        code: "invalid_argument",
        message: expect.stringMatching(/^fact: /),
        details: [
          expect.objectContaining({
            type: "google.rpc.BadRequest",
            value: expect.any(String),
          }),
        ],
      });
    },
  );

  it.skipIf(!hasCurl)("gets HTTP 404 and a Connect not_found error for an unknown id", async () => {
    const response = await postJson(`${services.memoryUrl}${memoryPath}/GetMemory`, {
      id: unknownId,
    });
    expect(response.status).toBe(404);
    expect(json(response)).toEqual({
      code: "not_found",
      message: `memory ${unknownId} not found`,
    });
  });

  it.skipIf(!hasCurl)(
    "creates a session over cleartext HTTP/2 with --http2-prior-knowledge",
    async () => {
      const response = await postJson(
        `${services.sessionsUrl}${sessionsPath}/CreateSession`,
        { scope: { user_id: "h2" }, title: "h2c" },
        ["--http2-prior-knowledge"],
      );
      expect(response).toMatchObject({ status: 200, httpVersion: "2" });
      const { session } = json(response) as { session: Record<string, unknown> };
      expect(session["id"]).toMatch(uuidPattern);
      expect(session).toMatchObject({ scope: { user_id: "h2" }, title: "h2c", ttlSeconds: 3600 });
    },
  );

  it.skipIf(!hasCurl)(
    "gets HTTP 401 unauthenticated without a key, 200 with a Bearer key",
    async () => {
      const url = `${securedServices.memoryUrl}${memoryPath}/CreateMemory`;
      const body = { scope: { user_id: "u" }, fact: "secret" };
      const refused = await postJson(url, body);
      expect(refused.status).toBe(401);
      expect(json(refused)).toMatchObject({ code: "unauthenticated" });
      const allowed = await postJson(url, body, ["-H", "Authorization: Bearer k1"]);
      expect(allowed.status).toBe(200);
      expect(json(allowed)).toMatchObject({ memory: { fact: "secret" } });
    },
  );

  it.skipIf(!hasCurl)("gets 200 {status: ok} from GET /health on both ports", async () => {
    for (const url of [services.sessionsUrl, services.memoryUrl]) {
      const response = await curl([`${url}/health`]);
      expect(response.status).toBe(200);
      expect(json(response)).toEqual({ status: "ok" });
    }
  });
});
