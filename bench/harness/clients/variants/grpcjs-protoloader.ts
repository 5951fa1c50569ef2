/**
 * The `@grpc/grpc-js` client as its users run it: services loaded from the .proto files by
 * `@grpc/proto-loader` (protobufjs), with the options of grpc's own examples, and requests and
 * responses as plain objects with the proto's field names.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { repoRoot } from "../../paths.js";
import { eventContent } from "../../workload.js";
import {
  memoryContent,
  pageScope,
  pageSize,
  queryEmbedding,
  searchLimit,
} from "../../workload-memories.js";
import {
  type CallerFactory,
  expectEvent,
  expectMemory,
  expectPage,
  expectResults,
} from "../caller.js";
import { type GenericClient, unary } from "./grpcjs-unary.js";
import { toStruct } from "./protobufjs-struct.js";

// proto-loader bundles google/protobuf/*.proto; third_party holds the other imports.
const definition = protoLoader.loadSync(
  ["contextiq/sessions/v1/sessions.proto", "contextiq/memory/v1/memory.proto"],
  {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [join(repoRoot, "proto"), join(repoRoot, "third_party")],
  },
);
const { contextiq } = grpc.loadPackageDefinition(definition) as unknown as {
  contextiq: {
    sessions: { v1: { SessionsService: grpc.ServiceClientConstructor } };
    memory: { v1: { MemoryService: grpc.ServiceClientConstructor } };
  };
};

/** What the checks read of the answers, as proto-loader decodes them. */
interface MemoryObject {
  embedding: number[];
}
type Answer = {
  event?: { id: string };
  memory?: MemoryObject;
  memories?: MemoryObject[];
  results?: { memory?: MemoryObject }[];
};

export const grpcjsProtoloader: CallerFactory = async (target) => {
  const credentials = grpc.credentials.createInsecure();
  const sessions = new contextiq.sessions.v1.SessionsService(
    new URL(target.sessionsUrl).host,
    credentials,
  );
  const memory = new contextiq.memory.v1.MemoryService(new URL(target.memoryUrl).host, credentials);
  const call = (client: GenericClient, name: string, request: object) =>
    unary<Answer>(client, name, request);
  return {
    createEvent: async () => {
      const answer = await call(sessions, "createEvent", {
        session_id: target.sessionId,
        event_type: eventContent.eventType,
        // protobufjs takes a Struct only as its message: a user converts the JSON on each call.
        data: toStruct(eventContent.data),
        input_tokens: eventContent.inputTokens,
        output_tokens: eventContent.outputTokens,
        request_id: randomUUID(),
      });
      expectEvent(answer?.event);
    },
    getMemory: async () => {
      expectMemory((await call(memory, "getMemory", { id: target.memoryId }))?.memory);
    },
    createMemory: async () => {
      const answer = await call(memory, "createMemory", {
        scope: memoryContent.scope,
        fact: memoryContent.fact,
        topic: memoryContent.topic,
        embedding: memoryContent.embedding,
        confidence: memoryContent.confidence,
        importance: memoryContent.importance,
        source_type: "SOURCE_TYPE_EXTRACTED",
        source_id: target.sessionId,
        request_id: randomUUID(),
      });
      expectMemory(answer?.memory);
    },
    listMemories: async () => {
      const answer = await call(memory, "listMemories", { scope: pageScope, page_size: pageSize });
      expectPage(answer?.memories);
    },
    searchMemories: async () => {
      const answer = await call(memory, "searchMemories", {
        query_embedding: queryEmbedding,
        scope: pageScope,
        limit: searchLimit,
      });
      expectResults(answer?.results);
    },
    close: async () => {
      sessions.close();
      memory.close();
    },
  };
};
