// The facade's transports, as a table for describe.each: the same client suites run over each.
import type { ClientOptions } from "../../src/index.js";

export const clientTransports: [string, Pick<ClientOptions, "transport" | "httpVersion">][] = [
  ["json over HTTP/1.1", { transport: "json", httpVersion: "1.1" }],
  ["json over HTTP/2", { transport: "json", httpVersion: "2" }],
  ["grpc", { transport: "grpc" }],
];
