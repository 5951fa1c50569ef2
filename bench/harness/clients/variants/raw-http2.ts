/**
 * The ceiling: a node:http2 loop on one session per service, sending gRPC request frames encoded
 * once and checking nothing but `grpc-status` (and the HTTP status). No codec, no client library.
 */
import { randomUUID } from "node:crypto";
import * as http2 from "node:http2";
import { create, type DescMethodUnary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { grpcFrame } from "../../wire/grpc-frame.js";
import {
  type CallName,
  callMethods,
  callNames,
  callPaths,
  requestContent,
} from "../../workload.js";
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

function requestHeaders(call: CallName): http2.OutgoingHttpHeaders {
  return {
    ":method": "POST",
    ":path": callPaths[call],
    "content-type": "application/grpc",
    te: "trailers",
  };
}

/** The request frame of `call`, with `init` as its content. */
function frameOf<C extends CallName>(
  call: C,
  init: MessageInitShape<(typeof callMethods)[C]["input"]>,
): Buffer {
  const { input } = callMethods[call] as DescMethodUnary;
  return grpcFrame(toBinary(input, create(input, init as MessageInitShape<never>)));
}

/**
 * Frames of a create whose request_id ends in a counter: each call gets a distinct UUID for the
 * cost of a small copy, since the reference server deduplicates on request_id.
 */
function framesWithFreshIds(template: (requestId: string) => Buffer): () => Buffer {
  const requestId = `${randomUUID().slice(0, 24)}000000000000`;
  const frameTemplate = template(requestId);
  const counterAt = frameTemplate.indexOf(requestId, 0, "latin1") + 24;
  let counter = 0;
  return () => {
    const frame = Buffer.allocUnsafe(frameTemplate.length);
    frameTemplate.copy(frame);
    frame.write((counter++).toString(16).padStart(12, "0"), counterAt, "latin1");
    return frame;
  };
}

export const rawHttp2: CallerFactory = async (target) => {
  const sessions = http2.connect(target.sessionsUrl);
  const memory = http2.connect(target.memoryUrl);
  for (const session of [sessions, memory]) session.on("error", () => {});
  const request = requestContent(target);
  const nextCreateEvent = framesWithFreshIds((requestId) =>
    frameOf("createEvent", { ...request.createEvent, requestId }),
  );
  const nextCreateMemory = framesWithFreshIds((requestId) =>
    frameOf("createMemory", { ...request.createMemory, requestId }),
  );
  const frames = {
    getMemory: frameOf("getMemory", request.getMemory),
    listMemories: frameOf("listMemories", request.listMemories),
    searchMemories: frameOf("searchMemories", request.searchMemories),
  };
  const headers = Object.fromEntries(
    callNames.map((call) => [call, requestHeaders(call)]),
  ) as Record<CallName, http2.OutgoingHttpHeaders>;
  return {
    createEvent: () => grpcUnary(sessions, headers.createEvent, nextCreateEvent()),
    getMemory: () => grpcUnary(memory, headers.getMemory, frames.getMemory),
    createMemory: () => grpcUnary(memory, headers.createMemory, nextCreateMemory()),
    listMemories: () => grpcUnary(memory, headers.listMemories, frames.listMemories),
    searchMemories: () => grpcUnary(memory, headers.searchMemories, frames.searchMemories),
    close: async () => {
      sessions.close();
      memory.close();
    },
  };
};
