/**
 * The answers of the canned servers, encoded once: the same content the reference server returns
 * for the workload's calls, with fixed ids and times.
 */
import {
  create,
  type DescMessage,
  type MessageShape,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  CreateMemoryResponseSchema,
  GetMemoryResponseSchema,
  ListMemoriesResponseSchema,
  type Memory,
  MemorySchema,
  SearchMemoriesResponseSchema,
  SourceType,
} from "../../../gen/contextiq/memory/v1/memory_pb.js";
import {
  CreateEventResponseSchema,
  EventSchema,
} from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { grpcFrame } from "../wire/grpc-frame.js";
import { type CallName, callMethods, callPaths, cannedIds, eventContent } from "../workload.js";
import { memoryContent, pageMemories, queryEmbedding, searchLimit } from "../workload-memories.js";
import { rankBySimilarity } from "./similarity.js";

/** One response in every encoding a canned server speaks. */
export interface CannedResponse {
  /** The protobuf message: the Connect protocol's binary body, and what grpc-js frames itself. */
  readonly binary: Buffer;
  /** The message as a gRPC length-prefixed frame. */
  readonly grpcFrame: Buffer;
  /** The message in proto3 JSON: the Connect protocol's JSON body. */
  readonly json: Buffer;
}

const createdAtMs = Date.UTC(2025, 0, 15, 9, 30);
const yearMs = 365 * 86_400_000;

/** A stored memory as the reference server returns it: its content, an id and its times. */
function storedMemory(
  id: string,
  content: Pick<Memory, "scope" | "fact" | "topic" | "embedding" | "confidence" | "importance">,
  source: Pick<Memory, "sourceType" | "sourceId">,
  accessed: boolean,
): Memory {
  return create(MemorySchema, {
    id,
    ...content,
    ...source,
    ...(accessed && { accessCount: 1n, lastAccessedAt: timestampFromMs(createdAtMs) }),
    expiresAt: timestampFromMs(createdAtMs + yearMs),
    createdAt: timestampFromMs(createdAtMs),
    updatedAt: timestampFromMs(createdAtMs),
  });
}

/** Memory ids of the page: the GetMemory id with its last 12 digits counting. */
function pageMemoryId(index: number): string {
  return `${cannedIds.memoryId.slice(0, 24)}${index.toString(16).padStart(12, "0")}`;
}

/** Each call's response, as the reference server answers the workload's requests. */
function responseContent(): { [C in CallName]: MessageShape<(typeof callMethods)[C]["output"]> } {
  const extracted = { sourceType: SourceType.EXTRACTED, sourceId: cannedIds.sessionId };
  const direct = { sourceType: SourceType.DIRECT, sourceId: "" };
  const page = pageMemories.map((m, i) => storedMemory(pageMemoryId(i), m, direct, false));
  const event = create(EventSchema, {
    id: cannedIds.eventId,
    sessionId: cannedIds.sessionId,
    ...eventContent,
    timestamp: timestampFromMs(createdAtMs),
  });
  return {
    createEvent: create(CreateEventResponseSchema, { event }),
    getMemory: create(GetMemoryResponseSchema, {
      memory: storedMemory(cannedIds.memoryId, memoryContent, extracted, true),
    }),
    createMemory: create(CreateMemoryResponseSchema, {
      memory: storedMemory(cannedIds.memoryId, memoryContent, extracted, false),
    }),
    // Newest first, all in one page.
    listMemories: create(ListMemoriesResponseSchema, {
      memories: [...page].reverse(),
      nextPageToken: "",
      totalSize: page.length,
    }),
    searchMemories: create(SearchMemoriesResponseSchema, {
      results: rankBySimilarity(page, queryEmbedding)
        .slice(0, searchLimit)
        .map(({ memory, similarity }) => ({
          memory: { ...memory, accessCount: 1n, lastAccessedAt: timestampFromMs(createdAtMs) },
          similarityScore: similarity,
        })),
    }),
  };
}

/** The canned responses by URL path. */
export function createCannedResponses(): Map<string, CannedResponse> {
  const content = responseContent();
  return new Map(
    (Object.keys(content) as CallName[]).map((call) => [
      callPaths[call],
      encode(callMethods[call].output, content[call]),
    ]),
  );
}

function encode<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): CannedResponse {
  const binary = Buffer.from(toBinary(schema, message));
  return {
    binary,
    grpcFrame: grpcFrame(binary),
    json: Buffer.from(toJsonString(schema, message)),
  };
}
