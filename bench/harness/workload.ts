/**
 * What every variant sends and every server answers: the calls, and each one's request content.
 * Servers and clients import the same content from here, so each variant makes the servers do the
 * same work. The memories are in workload-memories.ts.
 */
import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import { MemoryService, SourceType } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import {
  memoryContent,
  pageScope,
  pageSize,
  queryEmbedding,
  searchLimit,
} from "./workload-memories.js";

/** The calls measured, each a method of the Sessions or Memory service. */
export const callMethods = {
  createEvent: SessionsService.method.createEvent,
  getMemory: MemoryService.method.getMemory,
  createMemory: MemoryService.method.createMemory,
  listMemories: MemoryService.method.listMemories,
  searchMemories: MemoryService.method.searchMemories,
} as const;
export type CallName = keyof typeof callMethods;
export const callNames = Object.keys(callMethods) as CallName[];

/**
 * The calls that move embeddings by the dozen or write one: measured at fewer concurrencies by
 * default (see options.ts), as each takes milliseconds of a JSON client's CPU.
 */
export const payloadCallNames: readonly CallName[] = [
  "createMemory",
  "listMemories",
  "searchMemories",
];

/** The URL path of each call, as gRPC and the Connect protocol address it. */
export const callPaths = Object.fromEntries(
  callNames.map((call) => {
    const method = callMethods[call];
    return [call, `/${method.parent.typeName}/${method.name}`];
  }),
) as Readonly<Record<CallName, string>>;

/** Where the clients call, and the records the calls address. */
export interface Target {
  readonly sessionsUrl: string;
  readonly memoryUrl: string;
  readonly sessionId: string;
  readonly memoryId: string;
}

/** The fields of each CreateEvent but `sessionId` and `requestId`. */
export const eventContent = {
  eventType: "message",
  data: {
    role: "user",
    content:
      "Could you plan a three-day trip to Lisbon in May for me: museums, food markets, a day at the beach and a fado night?",
  } satisfies JsonObject,
  inputTokens: 42,
  outputTokens: 7,
};

/** Each call's request as protobuf-es init objects; creates get a fresh `requestId` per call. */
export type RequestContent = {
  readonly [C in CallName]: MessageInitShape<(typeof callMethods)[C]["input"]>;
};

/**
 * The request of each call to `target`: what the facade sends, spelled as every variant builds
 * it. CreateMemory is what the memory-generation worker sends: a fact of a session, extracted.
 */
export function requestContent(target: Target): RequestContent {
  return {
    createEvent: { sessionId: target.sessionId, ...eventContent },
    getMemory: { id: target.memoryId },
    createMemory: {
      ...memoryContent,
      sourceType: SourceType.EXTRACTED,
      sourceId: target.sessionId,
    },
    listMemories: { scope: pageScope, pageSize },
    searchMemories: { queryEmbedding, scope: pageScope, limit: searchLimit },
  };
}

/** Ids of the records on the canned servers, which answer without looking at the request. */
export const cannedIds = {
  sessionId: "5b0e6c2a-9d4f-4a51-8e1c-3f7a2b9d0c11",
  memoryId: "8f3d2a71-4c6e-4b9a-a2d5-7e1f0c9b3a42",
  eventId: "c4a9e1d0-2b7f-4e38-9a16-5d8c3f0b7e29",
} as const;
