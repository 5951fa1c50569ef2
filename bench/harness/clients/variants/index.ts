/**
 * Every client variant's factory, by name, imported on demand: a client process loads only the
 * libraries of the variant it measures.
 */
import type { VariantName } from "../../catalog.js";
import type { CallerFactory } from "../caller.js";

export const loadCallerFactory: Readonly<Record<VariantName, () => Promise<CallerFactory>>> = {
  "facade-grpc": async () => (await import("./facade.js")).facade({ transport: "grpc" }),
  "facade-json-h1": async () =>
    (await import("./facade.js")).facade({ transport: "json", httpVersion: "1.1" }),
  "facade-json-h2": async () =>
    (await import("./facade.js")).facade({ transport: "json", httpVersion: "2" }),
  "connect-grpc": async () => (await import("./connect.js")).connectGrpc,
  "connect-json-h1": async () => (await import("./connect.js")).connectJson("1.1"),
  "connect-json-h2": async () => (await import("./connect.js")).connectJson("2"),
  "http2-grpc": async () => (await import("./http2-grpc.js")).http2Grpc,
  "http1-json": async () => (await import("./http1-json.js")).http1Json,
  grpcjs: async () => (await import("./grpcjs.js")).grpcjs,
  "grpcjs-protoloader": async () => (await import("./grpcjs-protoloader.js")).grpcjsProtoloader,
  "fetch-json": async () => (await import("./fetch-json.js")).fetchJson,
  "raw-http2": async () => (await import("./raw-http2.js")).rawHttp2,
};
