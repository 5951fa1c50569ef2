// What the "json" transport puts on the wire, seen by servers this library did not make: a plain
// node:http or node:http2 server records each request and answers canned Connect JSON, and curl
// replays a recorded body against the reference services.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { create, type DescMessage, fromJson, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  Code,
  ConnectError,
  EventSchema,
  MemoryRevisionSchema,
  MemorySchema,
  MemoryService,
  MemoryServiceClient,
  ScoredMemorySchema,
  SessionSchema,
  SessionsService,
  SessionsServiceClient,
  SourceType,
} from "../../src/index.js";
import { startServices } from "../../src/server/index.js";
import {
  type CannedAnswer,
  type RecordedRequest,
  type RecordingServer,
  startRecordingServer,
} from "../support/recording-server.js";

const execFileAsync = promisify(execFile);
const sessionId = "5b0e6c2a-9d4f-4a51-8e1c-3f7a2b9d0c11";
const memoryId = "8f3d2a71-4c6e-4b9a-a2d5-7e1f0c9b3a42";
const requestId = "c4a9e1d0-2b7f-4e38-9a16-5d8c3f0b7e29";
// Above 2^53: an int64 that only survives as a JSON string.
const bigTokens = 9_007_199_254_740_993n;

const time = "2025-01-15T09:30:00Z";
const memoryJson = {
  id: memoryId,
  scope: { user_id: "u1" },
  fact: "likes tea",
  embedding: [0.5, -0.25],
  accessCount: "5",
  sourceType: "SOURCE_TYPE_EXTRACTED",
  createdAt: time,
};

/**
 * One resource of each kind in Connect's JSON encoding, written by hand rather than with
 * protobuf-es, so the client is checked against the format and not against its own codec.
 */
const resources = new Map<string, JsonObject>([
  [
    SessionSchema.typeName,
    {
      id: sessionId,
      scope: { user_id: "u1" },
      state: { step: 1 },
      totalInputTokens: bigTokens.toString(),
      startedAt: time,
    },
  ],
  [EventSchema.typeName, { id: requestId, sessionId, eventType: "message", timestamp: time }],
  [MemorySchema.typeName, memoryJson],
  [ScoredMemorySchema.typeName, { memory: memoryJson, similarityScore: 0.75 }],
  [
    MemoryRevisionSchema.typeName,
    { id: requestId, memoryId, revisionNumber: 2, newFact: "likes tea", createdAt: time },
  ],
]);

/** Every RPC, by URL path, with its schemas. */
const methods = new Map<string, { input: DescMessage; output: DescMessage; methodKind: string }>(
  [SessionsService, MemoryService].flatMap((service) =>
    service.methods.map((method) => [`/${service.typeName}/${method.name}`, method] as const),
  ),
);

/** The method's response with every resource field filled; page tokens left empty. */
function sampleResponseJson(output: DescMessage): JsonObject {
  const json: JsonObject = {};
  for (const field of output.fields) {
    const resource = field.message && resources.get(field.message.typeName);
    if (resource === undefined) continue;
    json[field.jsonName] = field.fieldKind === "list" ? [resource] : resource;
  }
  return json;
}

function answerAll(request: RecordedRequest): CannedAnswer {
  const method = methods.get(request.path);
  if (!method) return { status: 404, headers: {}, body: "" };
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(sampleResponseJson(method.output)),
  };
}

const retrying = { maxRetries: 1, retryDelayMs: 1, circuitBreaker: false } as const;

describe.each(["1.1", "2"] as const)('transport "json" over HTTP/%s', (httpVersion) => {
  let server: RecordingServer;
  let sessions: SessionsServiceClient;
  let memory: MemoryServiceClient;
  let answer: (request: RecordedRequest) => CannedAnswer = answerAll;

  beforeAll(async () => {
    server = await startRecordingServer(httpVersion, (request) => answer(request));
    const options = { baseUrl: server.url, transport: "json", httpVersion, ...retrying } as const;
    sessions = new SessionsServiceClient(options);
    memory = new MemoryServiceClient(options);
  });
  afterAll(async () => {
    await sessions?.close();
    await memory?.close();
    await server?.close();
  });

  /** Runs `call` and returns the one request it sent. */
  async function sent<T>(call: () => Promise<T>): Promise<{ request: RecordedRequest; result: T }> {
    const before = server.requests.length;
    const result = await call();
    expect(server.requests.length - before).toBe(1);
    return { request: server.requests[before] as RecordedRequest, result };
  }

  /** The request's body, checked to be Connect JSON of its method's input. */
  function jsonBody(request: RecordedRequest): JsonObject {
    expect(request.httpVersion).toBe(httpVersion === "2" ? "2.0" : "1.1");
    expect(request.method).toBe("POST");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["connect-protocol-version"]).toBe("1");
    // A body of compressMinBytes or more goes gzipped (test/transport/compression.test.ts).
    const body =
      request.headers["content-encoding"] === "gzip" ? gunzipSync(request.body) : request.body;
    const json = JSON.parse(body.toString("utf8")) as JsonObject;
    const input = methods.get(request.path)?.input;
    expect(input, `an RPC of the contract: ${request.path}`).toBeDefined();
    // Strict: a field name that is not the proto3 JSON name would be refused here.
    fromJson(input as DescMessage, json);
    return json;
  }

  it("sends CreateEvent as proto3 JSON and reads the event from a JSON answer", async () => {
    const { request, result } = await sent(() =>
      sessions.createEvent({
        sessionId,
        eventType: "message",
        data: { role: "user", content: "hi", nested: { n: [1, true, null] } },
        inputTokens: 10,
        requestId,
      }),
    );
    expect(request.path).toBe("/contextiq.sessions.v1.SessionsService/CreateEvent");
    expect(jsonBody(request)).toEqual({
      sessionId,
      eventType: "message",
      data: { role: "user", content: "hi", nested: { n: [1, true, null] } },
      inputTokens: 10,
      requestId,
    });
    expect(result.id).toBe(requestId);
    expect(result.timestamp?.seconds).toBe(BigInt(Date.UTC(2025, 0, 15, 9, 30) / 1000));
  });

  it("sends an embedding as numbers and an enum by name; reads int64 strings exactly", async () => {
    const { request, result } = await sent(() =>
      memory.createMemory({
        scope: { user_id: "u1" },
        fact: "likes tea",
        embedding: [0.5, -0.25, 1],
        sourceType: "extracted",
        requestId,
      }),
    );
    expect(jsonBody(request)).toEqual({
      scope: { user_id: "u1" },
      fact: "likes tea",
      embedding: [0.5, -0.25, 1],
      sourceType: "SOURCE_TYPE_EXTRACTED",
      requestId,
    });
    expect(result.accessCount).toBe(5n);
    expect(result.sourceType).toBe(SourceType.EXTRACTED);
    const session = await sessions.getSession(sessionId);
    expect(session.totalInputTokens).toBe(bigTokens);
  });

  it("sends the deadline as connect-timeout-ms and a 1536-float embedding as a JSON array", async () => {
    const embedding = Array.from({ length: 1536 }, (_, i) => Math.fround(Math.sin(i) / 3));
    const { request } = await sent(() =>
      memory.createMemory(
        { scope: { user_id: "u1" }, fact: "likes tea", embedding, requestId },
        { timeoutMs: 7_000 },
      ),
    );
    expect(request.path).toBe("/contextiq.memory.v1.MemoryService/CreateMemory");
    const timeout = Number(request.headers["connect-timeout-ms"]);
    expect(timeout).toBeGreaterThan(6_000);
    expect(timeout).toBeLessThanOrEqual(7_000);
    const json = jsonBody(request);
    expect(Array.isArray(json["embedding"])).toBe(true);
    expect(json["embedding"]).toEqual(embedding);
  });

  it("speaks JSON for every RPC of both services", async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ["CreateSession", () => sessions.createSession({ scope: { user_id: "u1" }, requestId })],
      ["GetSession", () => sessions.getSession(sessionId)],
      ["ListSessions", () => sessions.listSessions({ scope: { user_id: "u1" } })],
      ["UpdateSessionState", () => sessions.updateSessionState(sessionId, { a: 1 })],
      ["EndSession", () => sessions.endSession(sessionId)],
      ["DeleteSession", () => sessions.deleteSession(sessionId)],
      ["CreateEvent", () => sessions.createEvent({ sessionId, eventType: "m", requestId })],
      ["GetEvent", () => sessions.getEvent(sessionId, requestId)],
      ["ListEvents", () => sessions.listEvents(sessionId)],
      ["CreateMemory", () => memory.createMemory({ scope: { u: "1" }, fact: "f", requestId })],
      ["GetMemory", () => memory.getMemory(memoryId)],
      ["BatchGetMemories", () => memory.batchGetMemories([memoryId])],
      ["ListMemories", () => memory.listMemories({ scope: { user_id: "u1" } })],
      [
        "SearchMemories",
        () => memory.searchMemories({ queryEmbedding: [1, 0], scope: { u: "1" } }),
      ],
      ["UpdateMemory", () => memory.updateMemory(memoryId, { fact: "g", confidence: 0.5 })],
      ["DeleteMemory", () => memory.deleteMemory(memoryId)],
      ["ListMemoryRevisions", () => memory.listMemoryRevisions(memoryId)],
      ["GetMemoryRevision", () => memory.getMemoryRevision(memoryId, 2)],
    ];
    // Every unary RPC: WatchEvents, a stream, is Connect's streaming JSON on the wire, checked by
    // streams-http1.test.ts and streams-connect-http2.test.ts.
    const contract = [...methods.entries()]
      .filter(([, method]) => method.methodKind === "unary")
      .map(([path]) => path.split("/")[2]);
    expect(calls.map(([name]) => name).sort()).toEqual(contract.sort());
    for (const [name, call] of calls) {
      const { request } = await sent(call);
      expect(request.path.endsWith(`/${name}`), request.path).toBe(true);
      jsonBody(request);
    }
  });

  it("reads a Connect JSON error with its details, and sends the retry as JSON too", async () => {
    const violation = { field: "event_type", description: "must be 1-100 characters" };
    const details = toBinary(
      BadRequestSchema,
      create(BadRequestSchema, { fieldViolations: [violation] }),
    );
    const before = server.requests.length;
    answer = () =>
      server.requests.length - before === 1
        ? {
            status: 503,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ code: "unavailable", message: "draining" }),
          }
        : {
            status: 400,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              code: "invalid_argument",
              message: "event_type: must be 1-100 characters",
              details: [
                {
                  type: "google.rpc.BadRequest",
                  value: Buffer.from(details).toString("base64").replace(/=+$/, ""),
                },
              ],
            }),
          };
    try {
      const error = await sessions
        .createEvent({ sessionId, eventType: "", requestId })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      const connectError = error as ConnectError;
      expect(connectError.code).toBe(Code.InvalidArgument);
      expect(connectError.rawMessage).toBe("event_type: must be 1-100 characters");
      expect(connectError.findDetails(BadRequestSchema)[0]?.fieldViolations).toMatchObject([
        violation,
      ]);
      const attempts = server.requests.slice(before);
      expect(attempts).toHaveLength(2);
      for (const attempt of attempts) expect(jsonBody(attempt)).toMatchObject({ requestId });
    } finally {
      answer = answerAll;
    }
  });

  it("refuses an answer that is not JSON", async () => {
    answer = () => ({ status: 200, headers: { "content-type": "application/proto" }, body: "" });
    try {
      const error = await memory.getMemory(memoryId).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).message).toMatch(/application\/proto/);
    } finally {
      answer = answerAll;
    }
  });
});

// curl is an outside client: it must get the same answer for the bytes our client sent.
const hasCurl = await execFileAsync("curl", ["--version"]).then(
  () => true,
  () => false,
);

describe.skipIf(!hasCurl)("curl replays what the json transport sent", () => {
  it.each(["1.1", "2"] as const)(
    "over HTTP/%s, against the reference services",
    async (httpVersion) => {
      await using services = await startServices();
      await using direct = new SessionsServiceClient({ baseUrl: services.sessionsUrl });
      const session = await direct.createSession({ scope: { user_id: "curl" } });

      const recorder = await startRecordingServer(httpVersion, answerAll);
      try {
        await using client = new SessionsServiceClient({
          baseUrl: recorder.url,
          transport: "json",
          httpVersion,
        });
        await client.createEvent({
          sessionId: session.id,
          eventType: "message",
          data: { content: "from curl" },
          inputTokens: 3,
        });
      } finally {
        await recorder.close();
      }
      const [recorded] = recorder.requests;
      if (!recorded) throw new Error("the client sent nothing");
      const bodyFile = join(tmpdir(), `contextiq-json-wire-${process.pid}-${httpVersion}.json`);
      await writeFile(bodyFile, recorded.body);
      const { stdout } = await execFileAsync("curl", [
        "--silent",
        "--show-error",
        httpVersion === "2" ? "--http2-prior-knowledge" : "--http1.1",
        "--write-out",
        "\n%{http_code} %{content_type} %{http_version}",
        "--header",
        `content-type: ${recorded.headers["content-type"]}`,
        "--header",
        "connect-protocol-version: 1",
        "--data-binary",
        `@${bodyFile}`,
        `${services.sessionsUrl}${recorded.path}`,
      ]);
      const [body = "", status = ""] = stdout.split("\n");
      expect(status).toBe(`200 application/json ${httpVersion === "2" ? "2" : "1.1"}`);
      const { event } = JSON.parse(body) as { event: JsonObject };
      expect(event).toMatchObject({
        sessionId: session.id,
        eventType: "message",
        data: { content: "from curl" },
        inputTokens: 3,
      });
      const [stored] = await direct.listEvents(session.id);
      expect(stored?.id).toBe(event["id"]);
    },
  );

  it.each(["1.1", "2"] as const)(
    "over HTTP/%s, reads the JSON our transport decodes, a 1536-float embedding included",
    async (httpVersion) => {
      await using services = await startServices();
      await using memory = new MemoryServiceClient({
        baseUrl: services.memoryUrl,
        transport: "json",
        httpVersion,
      });
      const embedding = Array.from({ length: 1536 }, (_, i) => Math.cos(i) / 7);
      const created = await memory.createMemory({
        scope: { user_id: "curl" },
        fact: "f",
        embedding,
      });
      const { stdout } = await execFileAsync("curl", [
        "--silent",
        "--show-error",
        httpVersion === "2" ? "--http2-prior-knowledge" : "--http1.1",
        "--write-out",
        "\n%{http_code} %{content_type} %{http_version}",
        "--header",
        "content-type: application/json",
        "--header",
        "connect-protocol-version: 1",
        "--data-binary",
        JSON.stringify({ id: created.id }),
        `${services.memoryUrl}/${MemoryService.typeName}/GetMemory`,
      ]);
      const [body = "", status = ""] = stdout.split("\n");
      expect(status).toBe(`200 application/json ${httpVersion === "2" ? "2" : "1.1"}`);
      const json = JSON.parse(body) as { memory: JsonObject };
      expect(json.memory["embedding"]).toHaveLength(1536);
      const fromCurl = fromJson(MemorySchema, json.memory, { ignoreUnknownFields: true });
      const fromTransport = await memory.getMemory(created.id);
      // GetMemory counts accesses: the transport's read is the second.
      expect({ ...fromTransport, accessCount: 0n, lastAccessedAt: undefined }).toEqual({
        ...fromCurl,
        accessCount: 0n,
        lastAccessedAt: undefined,
      });
      expect(fromTransport.embedding).toEqual(fromCurl.embedding);
    },
  );
});
