/** Our own lean gRPC transport, createHttp2GrpcTransport, under the generated Connect client, no facade. */
import { createHttp2GrpcTransport } from "../../../../src/transport/index.js";
import type { CallerFactory } from "../caller.js";
import { connectCaller } from "./connect.js";

export const http2Grpc: CallerFactory = async (target) =>
  connectCaller(target, (baseUrl) => {
    const transport = createHttp2GrpcTransport({ baseUrl });
    return { transport, close: () => transport.close() };
  });
