/**
 * Our own lean gRPC transport, createHttp2GrpcTransport, under the generated Connect client, no
 * facade. Loaded lazily: until src/transport/http2-grpc-transport.ts exists, the variant reports
 * itself unavailable and the harness runs without it.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Transport } from "@connectrpc/connect";
import { type CallerFactory, VariantUnavailableError } from "../caller.js";
import { connectCaller } from "./connect.js";

/** The shape the harness expects of the module's factory. */
type CreateHttp2GrpcTransport = (options: {
  baseUrl: string;
}) => Transport & { close(): Promise<void> };

const modulePath = "src/transport/http2-grpc-transport.ts";
const moduleUrl = new URL(`../../../../${modulePath}`, import.meta.url);

async function loadFactory(): Promise<CreateHttp2GrpcTransport> {
  if (!existsSync(fileURLToPath(moduleUrl))) {
    throw new VariantUnavailableError(`${modulePath} does not exist yet`);
  }
  // A specifier in a variable, so that the type check does not require the module to exist.
  const specifier = moduleUrl.href;
  const loaded = (await import(specifier)) as { createHttp2GrpcTransport?: unknown };
  if (typeof loaded.createHttp2GrpcTransport !== "function") {
    throw new VariantUnavailableError(`${modulePath} does not export createHttp2GrpcTransport`);
  }
  return loaded.createHttp2GrpcTransport as CreateHttp2GrpcTransport;
}

export const http2Grpc: CallerFactory = async (target) => {
  const createHttp2GrpcTransport = await loadFactory();
  return connectCaller(target, (baseUrl) => {
    const transport = createHttp2GrpcTransport({ baseUrl });
    return { transport, close: () => transport.close() };
  });
};
