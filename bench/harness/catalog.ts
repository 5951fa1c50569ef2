/** The servers and client variants the harness knows, and which variant runs against which server. */

/** The servers, each run in its own process. */
export const serverNames = ["reference", "canned", "grpcjs"] as const;
export type ServerName = (typeof serverNames)[number];

/** The client variants, each run in its own process. */
export const variantNames = [
  "facade-grpc",
  "facade-json-h1",
  "facade-json-h2",
  "connect-grpc",
  "connect-json-h1",
  "connect-json-h2",
  "http2-grpc",
  "http1-json",
  "grpcjs",
  "grpcjs-protoloader",
  "fetch-json",
  "raw-http2",
] as const;
export type VariantName = (typeof variantNames)[number];

/** What each server is, for the report. */
export const serverDescriptions: Readonly<Record<ServerName, string>> = {
  reference: "the reference services (connect-node handlers, SQLite in a temp folder)",
  canned: "node:http2 + node:http, pre-encoded answers (isolates client cost)",
  grpcjs: "@grpc/grpc-js server, pre-encoded answers, gRPC only",
};

/** What each variant is, for the report. */
export const variantDescriptions: Readonly<Record<VariantName, string>> = {
  "facade-grpc": 'SessionsServiceClient / MemoryServiceClient, transport "grpc"',
  "facade-json-h1": 'the facade, transport "json", HTTP/1.1',
  "facade-json-h2": 'the facade, transport "json", HTTP/2',
  "connect-grpc": "connect-node createGrpcTransport, no facade",
  "connect-json-h1": "connect-node createConnectTransport (JSON), HTTP/1.1 keep-alive",
  "connect-json-h2": "connect-node createConnectTransport (JSON), HTTP/2",
  "http2-grpc": "our createHttp2GrpcTransport, no facade",
  "http1-json": "our createHttp1JsonTransport (Connect JSON over node:http), no facade",
  grpcjs: "@grpc/grpc-js client with protobuf-es as its codec: the same codec as the facade",
  "grpcjs-protoloader":
    "@grpc/grpc-js client with @grpc/proto-loader (protobufjs), plain objects: as its users run it",
  "fetch-json": "global fetch + JSON.stringify / JSON.parse, HTTP/1.1",
  "raw-http2": "node:http2 loop, pre-encoded frames, grpc-status only (the ceiling)",
};

/** The transport under facade-json-h1, which target c holds it to. */
export const facadeJsonH1Transport: VariantName = "http1-json";

/** Whether a variant speaks gRPC; the others speak the Connect protocol with JSON. */
export function speaksGrpc(variant: VariantName): boolean {
  return variant.endsWith("grpc") || variant.startsWith("grpcjs") || variant === "raw-http2";
}

/** Whether `variant` runs against `server`: the grpc-js server speaks gRPC only. */
export function runsOn(variant: VariantName, server: ServerName): boolean {
  return server !== "grpcjs" || speaksGrpc(variant);
}
