/**
 * The `@grpc/grpc-js` client, with protobuf-es (toBinary / fromBinary on the generated schemas) as
 * its codec: the codec is the same as connect-es uses, so only the transport differs.
 */
import { randomUUID } from "node:crypto";
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  type GetMemoryRequest,
  GetMemoryRequestSchema,
  type GetMemoryResponse,
  GetMemoryResponseSchema,
} from "../../../../gen/contextiq/memory/v1/memory_pb.js";
import {
  type CreateEventRequest,
  CreateEventRequestSchema,
  type CreateEventResponse,
  CreateEventResponseSchema,
} from "../../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { callPaths, eventContent } from "../../workload.js";
import { type CallerFactory, expectEvent, expectMemory } from "../caller.js";

/** A unary method of a client that makeGenericClientConstructor made. */
type UnaryMethod<I, O> = (
  request: I,
  callback: (error: grpc.ServiceError | null, response?: O) => void,
) => grpc.ClientUnaryCall;

/** An instance of a class that makeGenericClientConstructor made. */
type GenericClient = InstanceType<grpc.ServiceClientConstructor>;

function method<I extends DescMessage, O extends DescMessage>(
  path: string,
  input: I,
  output: O,
): grpc.MethodDefinition<MessageShape<I>, MessageShape<O>> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (message) => Buffer.from(toBinary(input, message)),
    requestDeserialize: (bytes) => fromBinary(input, bytes),
    responseSerialize: (message) => Buffer.from(toBinary(output, message)),
    responseDeserialize: (bytes) => fromBinary(output, bytes),
  };
}

const SessionsClient = grpc.makeGenericClientConstructor(
  {
    createEvent: method(callPaths.createEvent, CreateEventRequestSchema, CreateEventResponseSchema),
  },
  "SessionsService",
);
const MemoryClient = grpc.makeGenericClientConstructor(
  { getMemory: method(callPaths.getMemory, GetMemoryRequestSchema, GetMemoryResponseSchema) },
  "MemoryService",
);

/** Calls `name` on `client` and resolves with its response. */
function unary<I, O>(client: GenericClient, name: string, request: I): Promise<O | undefined> {
  const call = client[name] as UnaryMethod<I, O>;
  return new Promise((resolve, reject) => {
    call.call(client, request, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

export const grpcjs: CallerFactory = async (target) => {
  const credentials = grpc.credentials.createInsecure();
  const sessions = new SessionsClient(new URL(target.sessionsUrl).host, credentials);
  const memory = new MemoryClient(new URL(target.memoryUrl).host, credentials);
  return {
    // Messages are created per call, as the generated Connect client does from its init objects.
    createEvent: async () => {
      const request = create(CreateEventRequestSchema, {
        sessionId: target.sessionId,
        ...eventContent,
        requestId: randomUUID(),
      });
      const response = await unary<CreateEventRequest, CreateEventResponse>(
        sessions,
        "createEvent",
        request,
      );
      expectEvent(response?.event);
    },
    getMemory: async () => {
      const request = create(GetMemoryRequestSchema, { id: target.memoryId });
      const response = await unary<GetMemoryRequest, GetMemoryResponse>(
        memory,
        "getMemory",
        request,
      );
      expectMemory(response?.memory);
    },
    close: async () => {
      sessions.close();
      memory.close();
    },
  };
};
