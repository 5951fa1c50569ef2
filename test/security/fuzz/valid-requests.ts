import { create, type DescMethod, type Message, type MessageShape } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import {
  BatchGetMemoriesRequestSchema,
  CreateMemoryRequestSchema,
  DeleteMemoryRequestSchema,
  GetMemoryRequestSchema,
  GetMemoryRevisionRequestSchema,
  ListMemoriesRequestSchema,
  ListMemoryRevisionsRequestSchema,
  MemorySchema,
  SearchMemoriesRequestSchema,
  SourceType,
  UpdateMemoryRequestSchema,
} from "../../../gen/contextiq/memory/v1/memory_pb.js";
import {
  CreateEventRequestSchema,
  CreateSessionRequestSchema,
  DeleteSessionRequestSchema,
  EndSessionRequestSchema,
  GetEventRequestSchema,
  GetSessionRequestSchema,
  ListEventsRequestSchema,
  ListSessionsRequestSchema,
  UpdateSessionStateRequestSchema,
  WatchEventsRequestSchema,
} from "../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { HealthCheckRequestSchema } from "../../../gen/grpc/health/v1/health_pb.js";

/** Records written before the fuzz starts, so that the valid requests name things that exist. */
export interface SeedIds {
  readonly sessionId: string;
  /** A session that has ended, with one event: a watch of it ends after that event. */
  readonly endedSessionId: string;
  readonly eventId: string;
  readonly memoryId: string;
}

const scope = { user_id: "fuzz" };
const requestId = "6f1c1a7e-5b1d-4c1e-9a53-2f0d3c1b7a10";

/**
 * One request per method that the services would accept (and, for writes, carry out): the base
 * that the generators mutate and then make invalid. Keyed by "package.Service/Method".
 */
const samples: Record<string, (ids: SeedIds) => Message> = {
  "contextiq.sessions.v1.SessionsService/CreateSession": () =>
    create(CreateSessionRequestSchema, {
      scope,
      title: "fuzz",
      description: "a session",
      state: { step: 1, tags: ["a", "b"], nested: { ok: true } },
      ttlSeconds: 600,
      requestId,
    }),
  "contextiq.sessions.v1.SessionsService/GetSession": (ids) =>
    create(GetSessionRequestSchema, { id: ids.sessionId, includeInactive: true }),
  "contextiq.sessions.v1.SessionsService/ListSessions": () =>
    create(ListSessionsRequestSchema, { scope, includeInactive: true, pageSize: 10 }),
  "contextiq.sessions.v1.SessionsService/UpdateSessionState": (ids) =>
    create(UpdateSessionStateRequestSchema, { id: ids.sessionId, state: { step: 2 }, merge: true }),
  "contextiq.sessions.v1.SessionsService/EndSession": (ids) =>
    create(EndSessionRequestSchema, { id: ids.sessionId }),
  "contextiq.sessions.v1.SessionsService/DeleteSession": (ids) =>
    create(DeleteSessionRequestSchema, { id: ids.sessionId }),
  "contextiq.sessions.v1.SessionsService/CreateEvent": (ids) =>
    create(CreateEventRequestSchema, {
      sessionId: ids.sessionId,
      eventType: "message",
      data: { content: "hello", n: 3 },
      inputTokens: 10,
      outputTokens: 5,
      requestId,
    }),
  "contextiq.sessions.v1.SessionsService/GetEvent": (ids) =>
    create(GetEventRequestSchema, { sessionId: ids.sessionId, id: ids.eventId }),
  "contextiq.sessions.v1.SessionsService/ListEvents": (ids) =>
    create(ListEventsRequestSchema, {
      sessionId: ids.sessionId,
      eventType: "message",
      pageSize: 5,
    }),
  // Of the ended session: a watch of an active one would last until the input timed out.
  "contextiq.sessions.v1.SessionsService/WatchEvents": (ids) =>
    create(WatchEventsRequestSchema, {
      sessionId: ids.endedSessionId,
      eventType: "message",
      heartbeatSeconds: 1,
    }),
  "contextiq.memory.v1.MemoryService/CreateMemory": () =>
    create(CreateMemoryRequestSchema, {
      scope,
      fact: "User prefers Python",
      topic: "preferences",
      embedding: [0.1, 0.7, 0.2],
      confidence: 0.9,
      sourceType: SourceType.EXTRACTED,
      requestId,
    }),
  "contextiq.memory.v1.MemoryService/GetMemory": (ids) =>
    create(GetMemoryRequestSchema, { id: ids.memoryId }),
  "contextiq.memory.v1.MemoryService/BatchGetMemories": (ids) =>
    create(BatchGetMemoriesRequestSchema, { ids: [ids.memoryId, ids.memoryId] }),
  "contextiq.memory.v1.MemoryService/ListMemories": () =>
    create(ListMemoriesRequestSchema, { scope, topic: "preferences", pageSize: 10 }),
  "contextiq.memory.v1.MemoryService/SearchMemories": () =>
    create(SearchMemoriesRequestSchema, { queryEmbedding: [0.1, 0.6, 0.3], scope, limit: 3 }),
  "contextiq.memory.v1.MemoryService/UpdateMemory": (ids) =>
    create(UpdateMemoryRequestSchema, {
      memory: create(MemorySchema, { id: ids.memoryId, fact: "User prefers TypeScript" }),
      updateMask: create(FieldMaskSchema, { paths: ["fact"] }),
      changeReason: "fuzz",
    }),
  "contextiq.memory.v1.MemoryService/DeleteMemory": (ids) =>
    create(DeleteMemoryRequestSchema, { id: ids.memoryId, reason: "fuzz" }),
  "contextiq.memory.v1.MemoryService/ListMemoryRevisions": (ids) =>
    create(ListMemoryRevisionsRequestSchema, { memoryId: ids.memoryId, pageSize: 5 }),
  "contextiq.memory.v1.MemoryService/GetMemoryRevision": (ids) =>
    create(GetMemoryRevisionRequestSchema, { memoryId: ids.memoryId, revisionNumber: 1 }),
  "grpc.health.v1.Health/Check": () => create(HealthCheckRequestSchema, { service: "" }),
};

/** A valid request for `method`; throws for a method added to the contract without a sample here. */
export function validRequest<M extends DescMethod>(
  method: M,
  ids: SeedIds,
): MessageShape<M["input"]> {
  const key = `${method.parent.typeName}/${method.name}`;
  const sample = samples[key];
  if (sample === undefined) throw new Error(`no valid sample request for ${key}: add one`);
  return sample(ids) as MessageShape<M["input"]>;
}
