// Data that the previous version of the services wrote, read by this one: memories are searched
// as before, and a create it logged under a request_id is still answered once, though it logged
// the fingerprint and the response in another form.
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary, toJson } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CreateMemoryRequest,
  CreateMemoryRequestSchema,
  MemorySchema,
  MemoryService,
} from "../../gen/contextiq/memory/v1/memory_pb.js";
import { type RunningServices, startServices } from "../../src/server/index.js";
import { canonicalJson } from "../../src/util/canonical-json.js";
import { rejection } from "../support/errors.js";
import { describeOnPostgres, dropSchema, uniqueSchema } from "../support/stores.js";

/** Where an engine keeps the Memory service's data, and how to rewrite its request log. */
interface Storage {
  readonly options: Parameters<typeof startServices>[0];
  /** Sets a logged request's fingerprint and response, as the previous version stored them. */
  relog(requestId: string, fingerprint: string, response: Uint8Array): Promise<void>;
  remove(): Promise<void>;
}

/** The previous version's fingerprint: the request, request_id left out, as canonical JSON. */
function formerFingerprint(request: Omit<CreateMemoryRequest, "$typeName">): string {
  const content = create(CreateMemoryRequestSchema, { ...request, requestId: "" });
  return createHash("sha256")
    .update(CreateMemoryRequestSchema.typeName)
    .update(canonicalJson(toJson(CreateMemoryRequestSchema, content)))
    .digest("base64url");
}

const embedding = (seed: number) =>
  Array.from({ length: 1536 }, (_, i) => Math.fround(Math.sin(seed * 1000 + i)));

function behavesAsBefore(storage: () => Promise<Storage>) {
  let data: Storage;
  let services: RunningServices;
  const memory = () =>
    createClient(MemoryService, createGrpcTransport({ baseUrl: services.memoryUrl }));
  // JSON carries doubles as they are: the previous version fingerprinted them so, not as float32.
  const json = () =>
    createClient(
      MemoryService,
      createConnectTransport({
        baseUrl: services.memoryUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
      }),
    );
  beforeAll(async () => {
    data = await storage();
    services = await startServices(data.options);
  });
  afterAll(async () => {
    await services?.close();
    await data?.remove();
  });

  it.each([
    { over: "gRPC", client: memory, values: embedding(1) },
    { over: "JSON", client: json, values: embedding(1).map((x, i) => x + i * 1e-12) },
  ])(
    "answers a repeat over $over of a create the previous version logged with its memory, and other content with ALREADY_EXISTS",
    async ({ client, values }) => {
      const request = {
        scope: { user_id: randomUUID() },
        fact: "The user prefers window seats.",
        topic: "",
        embedding: values,
        sourceType: 0,
        sourceId: "",
        ttlDays: 0,
        requestId: randomUUID(),
      };
      const { memory: first } = await client().createMemory(request);
      if (!first) throw new Error("no memory");
      // As the previous version logged it: its fingerprint, the whole memory encoded by toBinary.
      await data.relog(
        request.requestId,
        formerFingerprint(request),
        toBinary(MemorySchema, first),
      );

      const { memory: again } = await client().createMemory(request);
      expect(again).toEqual(first);
      const other = [...request.embedding];
      other[7] = 0.5;
      await rejection(client().createMemory({ ...request, embedding: other }), Code.AlreadyExists);
    },
  );

  it("finds the memories it stored by similarity", async () => {
    const scope = { user_id: randomUUID() };
    const ids: string[] = [];
    for (const seed of [2, 3, 4]) {
      const { memory: m } = await memory().createMemory({
        scope,
        fact: `fact ${seed}`,
        embedding: embedding(seed),
      });
      ids.push(m?.id ?? "");
    }
    const { results } = await memory().searchMemories({
      scope,
      queryEmbedding: embedding(3),
      limit: 3,
    });
    expect(results[0]?.memory?.id).toBe(ids[1]);
    expect(results[0]?.memory?.embedding).toEqual(embedding(3));
    expect(results[0]?.similarityScore).toBeCloseTo(1, 6);
  });

  it("answers a repeat sent as JSON, whose floats are not float32, with the same memory", async () => {
    const request = {
      scope: { user_id: randomUUID() },
      fact: "f",
      embedding: [0.1, 0.2, 0.3],
      requestId: randomUUID(),
    };
    const { memory: first } = await json().createMemory(request);
    const { memory: again } = await json().createMemory(request);
    expect(again).toEqual(first);
    expect(first?.embedding).toEqual([0.1, 0.2, 0.3].map(Math.fround));
  });
}

describe("a SQLite data folder of the previous version", () => {
  behavesAsBefore(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "contextiq-earlier-"));
    return {
      options: { dataDir },
      relog: async (requestId, fingerprint, response) => {
        const db = new Database(join(dataDir, "memory.db"));
        try {
          db.prepare("UPDATE requests SET fingerprint = ?, response = ? WHERE request_id = ?").run(
            fingerprint,
            response,
            requestId,
          );
        } finally {
          db.close();
        }
      },
      remove: () => rm(dataDir, { recursive: true, force: true }),
    };
  });
});

describeOnPostgres("a PostgreSQL schema of the previous version", (url) => {
  behavesAsBefore(async () => {
    const schema = uniqueSchema();
    return {
      options: { database: { url, schema } },
      relog: async (requestId, fingerprint, response) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(
            `UPDATE ${schema}.memory_requests SET fingerprint = $1, response = $2 WHERE request_id = $3`,
            [fingerprint, response, requestId],
          );
        } finally {
          await client.end();
        }
      },
      remove: () => dropSchema(url, schema),
    };
  });
});
