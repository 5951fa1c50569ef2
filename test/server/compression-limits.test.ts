// Compressed requests at and past the services' limits, sent as raw HTTP/1.1 and h2c requests on
// every protocol (Connect JSON and binary, gRPC, gRPC-Web; a streaming call over gRPC and the
// Connect streaming protocol; a Connect GET): readMaxBytes counts the bytes a request inflates
// to, so a megabyte of gzip that would inflate to 1 GiB is RESOURCE_EXHAUSTED, writes nothing and
// costs the server's memory a few MiB, not the gibibyte (its peak resident memory says so: the
// services run in this process); gzip that is not gzip, or is cut short, is INTERNAL, as gRPC's
// status codes say of a message that cannot be decompressed, and writes nothing.
import { gzipSync } from "node:zlib";
import { create, toJsonString } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateMemoryRequestSchema,
  MemoryService,
} from "../../gen/contextiq/memory/v1/memory_pb.js";
import {
  CreateEventRequestSchema,
  CreateSessionRequestSchema,
  GetSessionRequestSchema,
  SessionsService,
  WatchEventsRequestSchema,
} from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import type { Outcome } from "../security/fuzz/outcome.js";
import { createSenders, type Senders } from "../security/fuzz/senders.js";
import { envelope, type Wire } from "../security/fuzz/wire.js";
import { bombFillBytes, gzipBomb, peakMemoryGrowth } from "../support/gzip-bomb.js";
import { useServices } from "../support/services.js";
import { describeEachStore } from "../support/stores.js";
import {
  encode,
  gzipped,
  type Http2Answer,
  http2Post,
  padded,
  streamErrorCode,
} from "./compressed-requests.js";

const wires: readonly Wire[] = [
  { protocol: "connect", codec: "json", http: "http1", contentType: "application/json" },
  { protocol: "connect", codec: "json", http: "h2", contentType: "application/json" },
  { protocol: "connect", codec: "proto", http: "http1", contentType: "application/proto" },
  { protocol: "grpc", codec: "proto", http: "h2", contentType: "application/grpc" },
  {
    protocol: "grpc-web",
    codec: "proto",
    http: "http1",
    contentType: "application/grpc-web+proto",
  },
  { protocol: "grpc-web", codec: "proto", http: "h2", contentType: "application/grpc-web+proto" },
];
const mebibyte = 1024 * 1024;
const memoryPath = "/contextiq.memory.v1.MemoryService/CreateMemory";
const eventPath = "/contextiq.sessions.v1.SessionsService/CreateEvent";
const sessionPath = "/contextiq.sessions.v1.SessionsService/CreateSession";
const watchPath = "/contextiq.sessions.v1.SessionsService/WatchEvents";
const getSessionPath = "/contextiq.sessions.v1.SessionsService/GetSession";

function codeOf(outcome: Outcome): Code | undefined {
  if (outcome.kind !== "response") throw new Error(`no answer: ${JSON.stringify(outcome)}`);
  return outcome.code;
}

const portOf = (url: string): number => Number(new URL(url).port);

describeEachStore("compressed requests past the limits", (store) => {
  const services = useServices({ store });
  let send: Senders;
  let sessionId = "";
  const clients = () => {
    const { sessionsUrl, memoryUrl } = services().services;
    return {
      sessions: createClient(
        SessionsService,
        createConnectTransport({ baseUrl: sessionsUrl, httpVersion: "1.1" }),
      ),
      memory: createClient(
        MemoryService,
        createConnectTransport({ baseUrl: memoryUrl, httpVersion: "1.1" }),
      ),
    };
  };

  beforeAll(async () => {
    const { sessionsUrl, memoryUrl } = services().services;
    send = createSenders(
      { sessions: portOf(sessionsUrl), memory: portOf(memoryUrl) },
      { maxSockets: 4, timeoutMs: 30_000 },
    );
    const { session } = await clients().sessions.createSession({ title: "gzip limits" });
    sessionId = session?.id ?? "";
  });
  afterAll(() => send?.close());

  /** How many memories the scope holds, and events the session. */
  async function written(scope: Record<string, string>): Promise<[number, number]> {
    const { memories } = await clients().memory.listMemories({ scope });
    const { events } = await clients().sessions.listEvents({ sessionId });
    return [memories.length, events.length];
  }

  describe.each(wires)("$protocol+$codec over $http", (wire) => {
    const scope = { user_id: `bomb-${wire.protocol}-${wire.codec}-${wire.http}` };

    it("refuses a CreateMemory and a CreateEvent that would inflate to 1 GiB with RESOURCE_EXHAUSTED, writing nothing, inflating a few MiB", async () => {
      const bombs = [
        gzipped(
          wire,
          "memory",
          memoryPath,
          bomb(encode(wire, CreateMemoryRequestSchema, { scope, fact: "boom" })),
        ),
        gzipped(
          wire,
          "sessions",
          eventPath,
          bomb(encode(wire, CreateEventRequestSchema, { sessionId, eventType: "boom" })),
        ),
      ];
      for (const input of bombs) {
        expect(input.request.body.byteLength).toBeLessThan(2 * mebibyte);
        let outcome: Outcome | undefined;
        const grew = await peakMemoryGrowth(async () => {
          outcome = await send.send(input);
        });
        expect(codeOf(outcome as Outcome), JSON.stringify(outcome)).toBe(Code.ResourceExhausted);
        // readMaxBytes, 4 MiB, and the buffers around it: not the gibibyte.
        expect(grew).toBeLessThan(256 * mebibyte);
      }
      expect(await written(scope)).toEqual([0, 0]);

      function bomb(message: Uint8Array): Buffer {
        const { head, byte } = padded(wire, message, bombFillBytes());
        return gzipBomb(head, byte);
      }
    });

    it.each([
      ["is not gzip", (message: Uint8Array) => message],
      ["is cut short", (message: Uint8Array) => gzipSync(message).subarray(0, 20)],
    ])("answers INTERNAL to a gzipped CreateMemory that %s, writing nothing", async (_, body) => {
      const message = encode(wire, CreateMemoryRequestSchema, { scope, fact: "broken" });
      const outcome = await send.send(gzipped(wire, "memory", memoryPath, body(message)));
      expect(codeOf(outcome), JSON.stringify(outcome)).toBe(Code.Internal);
      expect(outcome.kind === "response" && outcome.message).toMatch(
        /^request message could not be decompressed \(gzip\)/,
      );
      expect(await written(scope)).toEqual([0, 0]);
    });
  });
});

describe("readMaxBytes, once inflated, on a streaming call and a Connect GET", () => {
  let services: RunningServices;
  let sessionId = "";
  beforeAll(async () => {
    services = await startServices();
    const sessions = createClient(
      SessionsService,
      createConnectTransport({ baseUrl: services.sessionsUrl, httpVersion: "1.1" }),
    );
    sessionId = (await sessions.createSession({ title: "gzip streams" })).session?.id ?? "";
  });
  afterAll(() => services?.close());

  /** A WatchEvents request that would inflate to 1 GiB, in `codec`. */
  function watchBomb(codec: "json" | "proto"): Buffer {
    const wire = { codec } as Wire;
    const message = encode(wire, WatchEventsRequestSchema, { sessionId });
    const { head, byte } = padded(wire, message, bombFillBytes());
    return gzipBomb(head, byte);
  }

  it.each([
    ["gRPC", "application/grpc", { te: "trailers", "grpc-encoding": "gzip" }, "proto"],
    [
      "the Connect streaming protocol",
      "application/connect+json",
      { "connect-protocol-version": "1", "connect-content-encoding": "gzip" },
      "json",
    ],
  ] as const)(
    "refuses a WatchEvents over %s that would inflate to 1 GiB with RESOURCE_EXHAUSTED",
    async (_, contentType, headers, codec) => {
      const body = Buffer.from(envelope(1, watchBomb(codec)));
      let answer: Http2Answer | undefined;
      const grew = await peakMemoryGrowth(async () => {
        answer = await http2Post(
          services.sessionsUrl,
          watchPath,
          {
            "content-type": contentType,
            ...headers,
          },
          body,
        );
      });
      expect(streamErrorCode(answer as Http2Answer)).toBe("resource_exhausted");
      expect(grew).toBeLessThan(256 * mebibyte);
    },
  );

  it("refuses a Connect GET whose gzipped message would inflate past the limit", async () => {
    // The message travels in the URL, which Node holds to 16 KiB: 8 MiB of gzip fits in 8 KB.
    const message = Buffer.from(
      toJsonString(GetSessionRequestSchema, create(GetSessionRequestSchema, { id: sessionId })),
    );
    const bomb = gzipBomb(message, 0x20, 8);
    const query = `connect=v1&encoding=json&compression=gzip&base64=1&message=${bomb.toString("base64url")}`;
    const response = await fetch(`${services.sessionsUrl}${getSessionPath}?${query}`);
    expect(await response.json()).toMatchObject({ code: "resource_exhausted" });
  });
});

describe("readMaxBytes, once inflated", () => {
  const readMaxBytes = 4096;
  let services: RunningServices;
  let send: Senders;
  beforeAll(async () => {
    services = await startServices({ readMaxBytes });
    send = createSenders(
      { sessions: portOf(services.sessionsUrl), memory: portOf(services.memoryUrl) },
      { maxSockets: 4, timeoutMs: 10_000 },
    );
  });
  afterAll(async () => {
    send?.close();
    await services?.close();
  });

  it.each(wires)(
    "takes a gzipped CreateSession of exactly the limit and refuses one byte more, over $protocol+$codec ($http)",
    async (wire) => {
      const message = encode(wire, CreateSessionRequestSchema, { title: "at the limit" });
      // For protobuf the padding's own header (a tag and a 2-byte length) counts too.
      const overhead = wire.codec === "json" ? 0 : 3;
      const inflatedTo = async (size: number) => {
        const { head, byte } = padded(wire, message, size - message.byteLength - overhead);
        const body = Buffer.concat([head, Buffer.alloc(size - head.byteLength, byte)]);
        expect(body.byteLength).toBe(size);
        return codeOf(await send.send(gzipped(wire, "sessions", sessionPath, gzipSync(body))));
      };
      expect(await inflatedTo(readMaxBytes)).toBeUndefined();
      expect(await inflatedTo(readMaxBytes + 1)).toBe(Code.ResourceExhausted);
    },
  );
});
