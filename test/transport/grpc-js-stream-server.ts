// @grpc/grpc-js serving the streaming test service (test/proto/), loaded with @grpc/proto-loader:
// the gRPC implementation of Google's team, as the outside instrument the streaming transport is
// held to. Each test gives the methods it needs; the server counts what it wrote and sees.
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { onTestFinished } from "vitest";

const protoRoot = fileURLToPath(new URL("../proto/", import.meta.url));

/** The test service's messages, as proto-loader gives them (camelCase fields). */
export interface CountRequest {
  count: number;
  payloadChars: number;
}
export interface CountResponse {
  index: number;
  payload: string;
}
export interface AddRequest {
  value: number;
  payload: string;
}
export interface AddResponse {
  total: number;
  count: number;
}
export interface EchoMessage {
  text: string;
}

/** The methods of the test service a test implements; the others answer UNIMPLEMENTED. */
export interface StreamTestHandlers {
  count?: (call: grpc.ServerWritableStream<CountRequest, CountResponse>) => void;
  add?: (
    call: grpc.ServerReadableStream<AddRequest, AddResponse>,
    callback: grpc.sendUnaryData<AddResponse>,
  ) => void;
  echo?: (call: grpc.ServerDuplexStream<EchoMessage, EchoMessage>) => void;
}

/** A running grpc-js server. */
export interface GrpcJsServer {
  /** E.g. "http://127.0.0.1:54321". */
  readonly url: string;
}

/** Options of {@link startGrpcJsServer}: grpc-js channel options, e.g. its default compression. */
export type GrpcJsServerOptions = grpc.ServerOptions;

const definition = protoLoader.loadSync("streamtest/v1/stream_test.proto", {
  includeDirs: [protoRoot],
  defaults: true,
});
const service = (
  grpc.loadPackageDefinition(definition) as unknown as {
    streamtest: { v1: { StreamTestService: grpc.ServiceClientConstructor } };
  }
).streamtest.v1.StreamTestService.service;

/** Starts a grpc-js server of `handlers` on loopback, shut down after the test. */
export async function startGrpcJsServer(
  handlers: StreamTestHandlers,
  options: GrpcJsServerOptions = {},
): Promise<GrpcJsServer> {
  const server = new grpc.Server(options);
  const unimplemented = (call: { emit(event: "error", error: object): void }) =>
    call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "not in this test" });
  server.addService(service, {
    Count: handlers.count ?? unimplemented,
    Add:
      handlers.add ??
      ((_call: unknown, callback: grpc.sendUnaryData<AddResponse>) =>
        callback({ code: grpc.status.UNIMPLEMENTED, details: "not in this test" })),
    Echo: handlers.echo ?? unimplemented,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  // forceShutdown ends every call and connection at once: no test waits on a stalled one.
  onTestFinished(() => server.forceShutdown());
  return { url: `http://127.0.0.1:${port}` };
}

/** Writes `message` and waits for the stream to take more when it is full, as a server should. */
export async function writeRespectingFlowControl<T>(
  call: grpc.ServerWritableStream<unknown, T> | grpc.ServerDuplexStream<unknown, T>,
  message: T,
): Promise<void> {
  if (call.write(message)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("close", done);
      call.off("cancelled", done);
      resolve();
    };
    call.on("drain", done);
    call.on("close", done);
    call.on("cancelled", done);
  });
}
