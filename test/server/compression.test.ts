// gzip on the real services, from clients this project did not write and from its own, with a
// counting TCP relay between them as the outside witness of the bytes: curl posting a gzipped
// body and reading with --compressed, @grpc/grpc-js compressing with gzip, connect-node on every
// protocol (Connect, gRPC, gRPC-Web) with gzip both ways, and the facade on its three transports.
// A compressed call stores and answers what an uncompressed one does, on SQLite and PostgreSQL.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { createClient, type Transport } from "@connectrpc/connect";
import {
  compressionGzip,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { MemoryServiceClient } from "../../src/index.js";
import { startServices } from "../../src/server/index.js";
import { clientTransports } from "../support/client-transports.js";
import { startCountingRelay } from "../support/counting-relay.js";
import { useServices } from "../support/services.js";
import { describeEachStore } from "../support/stores.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const execFileAsync = promisify(execFile);
const memoryPath = "/contextiq.memory.v1.MemoryService";
/** 1536 equal floats: 6 KB in protobuf, 8 KB as JSON, a few hundred bytes gzipped. */
const embedding = Array.from({ length: 1536 }, () => 0.25);
const hasCurl = await execFileAsync("curl", ["--version"]).then(
  () => true,
  () => false,
);

/** A client transport to `baseUrl`, and how to let go of its connections. */
type WireFactory = (baseUrl: string) => { transport: Transport; close(): void };

/** connect-node's options for gzip both ways, from the first byte. */
const gzipBoth = { sendCompression: compressionGzip, compressMinBytes: 0 };

function overHttp2(
  make: (options: { baseUrl: string; sessionManager: Http2SessionManager }) => Transport,
): WireFactory {
  return (baseUrl) => {
    const sessionManager = new Http2SessionManager(baseUrl);
    return { transport: make({ baseUrl, sessionManager }), close: () => sessionManager.abort() };
  };
}

/** connect-node on every protocol, sending gzip from the first byte and accepting it. */
const connectNodeWires: [string, WireFactory][] = [
  [
    "Connect JSON over HTTP/1.1",
    (baseUrl) => ({
      transport: createConnectTransport({
        baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
        ...gzipBoth,
      }),
      close: () => {},
    }),
  ],
  [
    "Connect binary over HTTP/2",
    overHttp2((options) => createConnectTransport({ ...options, httpVersion: "2", ...gzipBoth })),
  ],
  ["gRPC", overHttp2((options) => createGrpcTransport({ ...options, ...gzipBoth }))],
  [
    "gRPC-Web over HTTP/1.1",
    (baseUrl) => ({
      transport: createGrpcWebTransport({ baseUrl, httpVersion: "1.1", ...gzipBoth }),
      close: () => {},
    }),
  ],
  [
    "gRPC-Web over HTTP/2",
    overHttp2((options) => createGrpcWebTransport({ ...options, httpVersion: "2", ...gzipBoth })),
  ],
];

describeEachStore("gzip on the services", (store) => {
  const services = useServices({ store });
  const memoryUrl = () => services().services.memoryUrl;
  const scope = () => ({ user_id: `gzip-${randomUUID()}` });

  /** A relay to the Memory service, closed after the test. */
  async function relay() {
    const started = await startCountingRelay(memoryUrl());
    onTestFinished(() => started.close());
    return started;
  }

  it.each(clientTransports)(
    "the facade over %s sends gzip and reads it, in a fraction of the bytes",
    async (_, transport) => {
      const relayed = await relay();
      const bytesOf = async (compressMinBytes: number | false) => {
        await using memory = new MemoryServiceClient({
          baseUrl: relayed.url,
          ...transport,
          compressMinBytes,
          env: {},
        });
        relayed.reset();
        const created = await memory.createMemory({ scope: scope(), fact: "tea", embedding });
        const up = relayed.bytes().up;
        relayed.reset();
        const read = await memory.batchGetMemories([created.id, created.id, created.id]);
        expect(read.map((m) => m.embedding)).toEqual([embedding, embedding, embedding]);
        return { up, down: relayed.bytes().down };
      };
      const off = await bytesOf(false);
      const on = await bytesOf(1024);
      expect(on.up * 4).toBeLessThan(off.up);
      expect(on.down * 4).toBeLessThan(off.down);
    },
  );

  it.each(connectNodeWires)(
    "connect-node over %s, gzip both ways, stores and reads a memory",
    async (_, wire) => {
      const relayed = await relay();
      const { transport, close } = wire(relayed.url);
      onTestFinished(close);
      const client = createClient(MemoryService, transport);
      const { memory } = await client.createMemory({ scope: scope(), fact: "tea", embedding });
      const id = memory?.id ?? "";
      relayed.reset();
      const { memories } = await client.batchGetMemories({ ids: [id, id, id] });
      expect(memories.map((m) => m.embedding)).toEqual([embedding, embedding, embedding]);
      // Three memories of 6 KB (protobuf) or 8 KB (JSON) each, and nothing compresses better.
      expect(relayed.bytes().down).toBeLessThan(4_000);
    },
  );

  describe("@grpc/grpc-js with grpc.default_compression_algorithm 2 (gzip)", () => {
    let Client: grpc.ServiceClientConstructor;

    beforeAll(async () => {
      const definition = await protoLoader.load("contextiq/memory/v1/memory.proto", {
        includeDirs: [join(repoRoot, "proto"), join(repoRoot, "third_party")],
        keepCase: true,
        longs: String,
        enums: String,
        defaults: true,
      });
      const root = grpc.loadPackageDefinition(definition) as unknown as {
        contextiq: { memory: { v1: { MemoryService: grpc.ServiceClientConstructor } } };
      };
      Client = root.contextiq.memory.v1.MemoryService;
    });

    it("stores a gzipped CreateMemory and reads three back gzipped", async () => {
      const relayed = await relay();
      const client = new Client(new URL(relayed.url).host, grpc.credentials.createInsecure(), {
        "grpc.default_compression_algorithm": 2,
      });
      onTestFinished(() => client.close());
      type Unary = (
        request: object,
        callback: (error: Error | null, response: unknown) => void,
      ) => void;
      const call = <T>(name: string, request: object) =>
        new Promise<T>((resolve, reject) => {
          const method = (client as unknown as Record<string, Unary>)[name] as Unary;
          method.call(client, request, (error, response) =>
            error ? reject(error) : resolve(response as T),
          );
        });
      const created = await call<{ memory: { id: string } }>("CreateMemory", {
        scope: scope(),
        fact: "tea",
        embedding,
      });
      expect(relayed.bytes().up).toBeLessThan(3_000);
      relayed.reset();
      const id = created.memory.id;
      const read = await call<{ memories: { embedding: number[] }[] }>("BatchGetMemories", {
        ids: [id, id, id],
      });
      expect(read.memories.map((m) => m.embedding)).toEqual([embedding, embedding, embedding]);
      expect(relayed.bytes().down).toBeLessThan(4_000);
    });
  });

  describe.runIf(hasCurl)("curl", () => {
    let folder = "";
    beforeAll(async () => {
      folder = await mkdtemp(join(tmpdir(), "contextiq-gzip-curl-"));
    });
    afterAll(() => rm(folder, { recursive: true, force: true }));

    /** curl's answer: the status, the response's Content-Encoding, and the body as it decoded it. */
    async function curl(path: string, body: string, ...args: string[]) {
      const headers = join(folder, `${randomUUID()}.headers`);
      const { stdout } = await execFileAsync("curl", [
        "-sS",
        ...["-X", "POST", "-H", "content-type: application/json", "-D", headers],
        ...args,
        ...(body === "" ? [] : ["--data", body]),
        `${memoryUrl()}${memoryPath}/${path}`,
      ]);
      const head = await readFile(headers, "utf8");
      return {
        status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1]),
        encoding: /^content-encoding: *(\S+)/im.exec(head)?.[1],
        json: JSON.parse(stdout) as Record<string, unknown>,
      };
    }

    it("posts a gzipped CreateMemory that is stored, and reads it with --compressed, gzipped", async () => {
      const file = join(folder, "create.json.gz");
      const request = { scope: scope(), fact: "tea", embedding };
      await writeFile(file, gzipSync(JSON.stringify(request)));
      const created = await curl(
        "CreateMemory",
        "",
        ...["-H", "content-encoding: gzip", "--data-binary", `@${file}`],
      );
      expect(created.status).toBe(200);
      const id = (created.json["memory"] as { id: string }).id;

      const ids = JSON.stringify({ ids: [id, id, id] });
      const compressed = await curl("BatchGetMemories", ids, "--compressed");
      expect(compressed.encoding).toBe("gzip");
      const memories = compressed.json["memories"] as { embedding: number[] }[];
      expect(memories.map((m) => m.embedding)).toEqual([embedding, embedding, embedding]);
      // Without --compressed curl asks for none, and none comes.
      const plain = await curl("BatchGetMemories", ids);
      expect(plain.encoding).toBeUndefined();
      const again = plain.json["memories"] as { id: string }[];
      expect(again.map((m) => m.id)).toEqual([id, id, id]);
    });
  });
});

describe("the services' compressMinBytes", () => {
  /** The Content-Encoding of a GetMemory answer for a client that accepts gzip. */
  async function encodingOf(options: { compressMinBytes?: number | false }, fact: string) {
    await using services = await startServices(options);
    await using memory = new MemoryServiceClient({ baseUrl: services.memoryUrl, env: {} });
    const { id } = await memory.createMemory({ scope: { user_id: "u1" }, fact });
    const answer = await fetch(`${services.memoryUrl}${memoryPath}/GetMemory`, {
      method: "POST",
      headers: { "content-type": "application/json", "accept-encoding": "gzip" },
      body: JSON.stringify({ id }),
    });
    await answer.arrayBuffer();
    return answer.headers.get("content-encoding");
  }

  it("gzips responses of 8 KiB and more by default, and leaves smaller ones", async () => {
    expect(await encodingOf({}, "x".repeat(9_000))).toBe("gzip");
    expect(await encodingOf({}, "short")).toBeNull();
  });

  it("gzips every response at 0, and none at false", async () => {
    expect(await encodingOf({ compressMinBytes: 0 }, "short")).toBe("gzip");
    expect(await encodingOf({ compressMinBytes: false }, "x".repeat(9_000))).toBeNull();
  });
});
