/** How big the workload's messages are on the wire, for the report. */
import { create, toBinary } from "@bufbuild/protobuf";
import { CreateEventRequestSchema } from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import type { WorkloadSizes } from "./report/results.js";
import { createCannedResponses } from "./servers/canned-responses.js";
import { callPaths, cannedIds, embeddingDimensions, eventContent } from "./workload.js";

export function measureWorkload(): WorkloadSizes {
  const request = create(CreateEventRequestSchema, {
    sessionId: cannedIds.sessionId,
    ...eventContent,
    requestId: cannedIds.eventId,
  });
  const responses = createCannedResponses();
  const size = (path: string, encoding: "binary" | "json") =>
    responses.get(path)?.[encoding].length ?? 0;
  return {
    createEventRequestBytes: toBinary(CreateEventRequestSchema, request).length,
    createEventResponseBytes: size(callPaths.createEvent, "binary"),
    getMemoryResponseBytes: size(callPaths.getMemory, "binary"),
    getMemoryResponseJsonBytes: size(callPaths.getMemory, "json"),
    embeddingDimensions,
  };
}
