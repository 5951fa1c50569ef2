/**
 * Server child: a `@grpc/grpc-js` server answering CreateEvent and GetMemory with the canned
 * responses, gRPC only. Its methods neither decode requests nor encode responses (both stay bytes),
 * so, as with the canned server, the CPU a call costs is mostly the client's.
 */
import * as grpc from "@grpc/grpc-js";
import { callNames, callPaths } from "../workload.js";
import { createCannedResponses } from "./canned-responses.js";
import { localUrl, runServerChild } from "./server-child.js";

const responses = createCannedResponses();
const bytes = (message: Buffer) => message;

/** A method that passes bytes through: requests are not decoded, responses are pre-encoded. */
function bytesMethod(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  };
}

function cannedHandler(path: string): grpc.handleUnaryCall<Buffer, Buffer> {
  const response = responses.get(path);
  if (response === undefined) throw new Error(`no canned response for ${path}`);
  return (_call, callback) => callback(null, response.binary);
}

const definition: grpc.ServiceDefinition = Object.fromEntries(
  callNames.map((call) => [call, bytesMethod(callPaths[call])]),
);
const implementation: grpc.UntypedServiceImplementation = Object.fromEntries(
  callNames.map((call) => [call, cannedHandler(callPaths[call])]),
);

await runServerChild(async () => {
  const server = new grpc.Server();
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const url = localUrl(port);
  return {
    sessionsUrl: url,
    memoryUrl: url,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
});
