/**
 * The ceiling: a node:http2 loop on one session per service, sending gRPC request frames encoded
 * once and checking nothing but `grpc-status` (and the HTTP status). No codec, no client library.
 */
import { randomUUID } from "node:crypto";
import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetMemoryRequestSchema } from "../../../../gen/contextiq/memory/v1/memory_pb.js";
import { CreateEventRequestSchema } from "../../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { grpcFrame } from "../../wire/grpc-frame.js";
import { callPaths, eventContent } from "../../workload.js";
import type { CallerFactory } from "../caller.js";

/** Sends one pre-encoded request and resolves when the call ends with grpc-status 0. */
function grpcUnary(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  frame: Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let httpStatus: number | undefined;
    let grpcStatus: string | string[] | undefined;
    stream.on("response", (response) => {
      httpStatus = response[":status"];
      grpcStatus = response["grpc-status"]; // set only in a trailers-only answer
    });
    stream.on("trailers", (trailers) => {
      grpcStatus = trailers["grpc-status"];
    });
    stream.on("error", reject);
    stream.on("close", () => {
      if (httpStatus === 200 && grpcStatus === "0") resolve();
      else reject(new Error(`HTTP ${httpStatus ?? "-"}, grpc-status ${grpcStatus ?? "none"}`));
    });
    stream.resume();
    stream.end(frame);
  });
}

function requestHeaders(path: string): http2.OutgoingHttpHeaders {
  return { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" };
}

/**
 * A CreateEvent frame whose request_id ends in a counter: each call gets a distinct UUID for the
 * cost of a small copy, since the reference server deduplicates on request_id.
 */
function createEventFrames(sessionId: string): () => Buffer {
  const requestId = `${randomUUID().slice(0, 24)}000000000000`;
  const template = grpcFrame(
    toBinary(
      CreateEventRequestSchema,
      create(CreateEventRequestSchema, { sessionId, ...eventContent, requestId }),
    ),
  );
  const counterAt = template.indexOf(requestId, 0, "latin1") + 24;
  let counter = 0;
  return () => {
    const frame = Buffer.allocUnsafe(template.length);
    template.copy(frame);
    frame.write((counter++).toString(16).padStart(12, "0"), counterAt, "latin1");
    return frame;
  };
}

export const rawHttp2: CallerFactory = async (target) => {
  const sessions = http2.connect(target.sessionsUrl);
  const memory = http2.connect(target.memoryUrl);
  for (const session of [sessions, memory]) session.on("error", () => {});
  const nextCreateEventFrame = createEventFrames(target.sessionId);
  const createEventHeaders = requestHeaders(callPaths.createEvent);
  const getMemoryHeaders = requestHeaders(callPaths.getMemory);
  const getMemoryFrame = grpcFrame(
    toBinary(GetMemoryRequestSchema, create(GetMemoryRequestSchema, { id: target.memoryId })),
  );
  return {
    createEvent: () => grpcUnary(sessions, createEventHeaders, nextCreateEventFrame()),
    getMemory: () => grpcUnary(memory, getMemoryHeaders, getMemoryFrame),
    close: async () => {
      sessions.close();
      memory.close();
    },
  };
};
