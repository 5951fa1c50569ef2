/**
 * What every variant sends and every server answers: one CreateEvent of about 250 bytes, and one
 * GetMemory whose memory carries a 1536-float embedding (about 6 KB). Servers and clients import
 * the same content from here, so each variant makes the servers do the same work.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { MemoryService } from "../../gen/contextiq/memory/v1/memory_pb.js";
import { SessionsService } from "../../gen/contextiq/sessions/v1/sessions_pb.js";

/** The calls measured. */
export const callNames = ["createEvent", "getMemory"] as const;
export type CallName = (typeof callNames)[number];

/** The URL path of each call, as gRPC and the Connect protocol address it. */
export const callPaths: Readonly<Record<CallName, string>> = {
  createEvent: `/${SessionsService.typeName}/${SessionsService.method.createEvent.name}`,
  getMemory: `/${MemoryService.typeName}/${MemoryService.method.getMemory.name}`,
};

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

/** Dimensions of the memory's embedding, as OpenAI's text-embedding-3-small. */
export const embeddingDimensions = 1536;

/** The memory that GetMemory returns, as it is created on the reference server. */
export const memoryContent = {
  scope: { user_id: "bench-user-0001" },
  fact: "User prefers Python and TypeScript for data pipelines and reads type errors closely.",
  topic: "preferences",
  confidence: 0.9,
  importance: 0.7,
  // Float32 values, as the wire and the store keep them, so every server returns the same numbers.
  embedding: Array.from({ length: embeddingDimensions }, (_, i) =>
    Math.fround(Math.sin(i * 0.37) * 0.5),
  ),
};

/** Ids of the records on the canned servers, which answer without looking at the request. */
export const cannedIds = {
  sessionId: "5b0e6c2a-9d4f-4a51-8e1c-3f7a2b9d0c11",
  memoryId: "8f3d2a71-4c6e-4b9a-a2d5-7e1f0c9b3a42",
  eventId: "c4a9e1d0-2b7f-4e38-9a16-5d8c3f0b7e29",
} as const;
