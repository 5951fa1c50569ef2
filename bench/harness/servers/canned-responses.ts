/**
 * The answers of the canned servers, encoded once: the same content the reference server returns
 * for the workload's CreateEvent and GetMemory, with fixed ids and times.
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
  GetMemoryResponseSchema,
  MemorySchema,
  SourceType,
} from "../../../gen/contextiq/memory/v1/memory_pb.js";
import {
  CreateEventResponseSchema,
  EventSchema,
} from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { grpcFrame } from "../wire/grpc-frame.js";
import { type CallName, callPaths, cannedIds, eventContent, memoryContent } from "../workload.js";

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

/** The canned responses by URL path. */
export function createCannedResponses(): Map<string, CannedResponse> {
  const event = create(EventSchema, {
    id: cannedIds.eventId,
    sessionId: cannedIds.sessionId,
    ...eventContent,
    timestamp: timestampFromMs(createdAtMs),
  });
  const memory = create(MemorySchema, {
    id: cannedIds.memoryId,
    ...memoryContent,
    accessCount: 1n,
    lastAccessedAt: timestampFromMs(createdAtMs),
    sourceType: SourceType.EXTRACTED,
    sourceId: cannedIds.sessionId,
    expiresAt: timestampFromMs(createdAtMs + 365 * 86_400_000),
    createdAt: timestampFromMs(createdAtMs),
    updatedAt: timestampFromMs(createdAtMs),
  });
  const responses: Record<CallName, CannedResponse> = {
    createEvent: encode(CreateEventResponseSchema, create(CreateEventResponseSchema, { event })),
    getMemory: encode(GetMemoryResponseSchema, create(GetMemoryResponseSchema, { memory })),
  };
  return new Map(
    Object.entries(responses).map(([call, response]) => [callPaths[call as CallName], response]),
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
