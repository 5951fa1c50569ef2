/**
 * The `@grpc/grpc-js` client, with protobuf-es (toBinary / fromBinary on the generated schemas) as
 * its codec: the codec is the same as connect-es uses, so only the transport differs.
 */
import { randomUUID } from "node:crypto";
import {
  create,
  type DescMethodUnary,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { type CallName, callMethods, callPaths, requestContent } from "../../workload.js";
import {
  type CallerFactory,
  expectEvent,
  expectMemory,
  expectPage,
  expectResults,
} from "../caller.js";
import { type GenericClient, unary } from "./grpcjs-unary.js";

/** The grpc-js definition of a call, with protobuf-es as its codec. */
function method(call: CallName): grpc.MethodDefinition<unknown, unknown> {
  const { input, output } = callMethods[call] as DescMethodUnary;
  return {
    path: callPaths[call],
    requestStream: false,
    responseStream: false,
    requestSerialize: (message) => Buffer.from(toBinary(input, message as MessageShape<never>)),
    requestDeserialize: (bytes) => fromBinary(input, bytes),
    responseSerialize: (message) => Buffer.from(toBinary(output, message as MessageShape<never>)),
    responseDeserialize: (bytes) => fromBinary(output, bytes),
  };
}

const SessionsClient = grpc.makeGenericClientConstructor(
  { createEvent: method("createEvent") },
  "SessionsService",
);
const MemoryClient = grpc.makeGenericClientConstructor(
  {
    getMemory: method("getMemory"),
    createMemory: method("createMemory"),
    listMemories: method("listMemories"),
    searchMemories: method("searchMemories"),
  },
  "MemoryService",
);

/** Calls `call` with a message created from `init`, as the generated Connect client does. */
function callWith<C extends CallName>(
  client: GenericClient,
  call: C,
  init: MessageInitShape<(typeof callMethods)[C]["input"]>,
): Promise<MessageShape<(typeof callMethods)[C]["output"]> | undefined> {
  const { input } = callMethods[call] as DescMethodUnary;
  return unary(client, call, create(input, init as MessageInitShape<never>));
}

export const grpcjs: CallerFactory = async (target) => {
  const credentials = grpc.credentials.createInsecure();
  const sessions = new SessionsClient(new URL(target.sessionsUrl).host, credentials);
  const memory = new MemoryClient(new URL(target.memoryUrl).host, credentials);
  const request = requestContent(target);
  return {
    createEvent: async () => {
      const init = { ...request.createEvent, requestId: randomUUID() };
      expectEvent((await callWith(sessions, "createEvent", init))?.event);
    },
    getMemory: async () =>
      expectMemory((await callWith(memory, "getMemory", request.getMemory))?.memory),
    createMemory: async () => {
      const init = { ...request.createMemory, requestId: randomUUID() };
      expectMemory((await callWith(memory, "createMemory", init))?.memory);
    },
    listMemories: async () =>
      expectPage((await callWith(memory, "listMemories", request.listMemories))?.memories),
    searchMemories: async () =>
      expectResults((await callWith(memory, "searchMemories", request.searchMemories))?.results),
    close: async () => {
      sessions.close();
      memory.close();
    },
  };
};
