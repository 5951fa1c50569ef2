// Shared pieces for the serving-layer tests: a tiny non-health service built at test time (no
// .proto file), and clients over every protocol and HTTP version that are all closed afterwards.
import * as http from "node:http";
import * as http2 from "node:http2";
import { create, createFileRegistry } from "@bufbuild/protobuf";
import { serviceDesc } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { type Client, type ConnectRouter, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import {
  file_grpc_health_v1_health,
  Health,
  type HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../../gen/grpc/health/v1/health_pb.js";

// test.probe.v1.Probe, reusing the health messages: `rpc Check(HealthCheckRequest) returns
// (HealthCheckResponse)`. A service other than Health is what auth applies to.
const probeFile = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "test/probe/v1/probe.proto",
    package: "test.probe.v1",
    syntax: "proto3",
    dependency: [file_grpc_health_v1_health.proto.name],
    service: [
      {
        name: "Probe",
        method: [
          {
            name: "Check",
            inputType: ".grpc.health.v1.HealthCheckRequest",
            outputType: ".grpc.health.v1.HealthCheckResponse",
          },
        ],
      },
    ],
  }),
  (name) =>
    name === file_grpc_health_v1_health.proto.name ? file_grpc_health_v1_health : undefined,
).getFile("test/probe/v1/probe.proto");
if (probeFile === undefined) {
  throw new Error("probe file did not register");
}

export const Probe = serviceDesc<{
  check: {
    methodKind: "unary";
    input: typeof HealthCheckRequestSchema;
    output: typeof HealthCheckResponseSchema;
  };
}>(probeFile, 0);

/**
 * Probe.Check answers SERVING. It is how the tests keep a call in flight: for service
 * "sleep:<ms>" it answers after that long, ignoring its signal as a stuck store call would; for
 * "wait:<ms>" likewise, but it gives up with the signal's reason once that aborts.
 */
export function probeRoutes(router: ConnectRouter): void {
  router.service(Probe, {
    async check(request, context) {
      const [, mode, ms] = /^(sleep|wait):(\d+)$/.exec(request.service) ?? [];
      if (mode !== undefined) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, Number(ms));
          if (mode === "wait") {
            context.signal.addEventListener("abort", () => {
              clearTimeout(timer);
              reject(context.signal.reason);
            });
          }
        });
      }
      return create(HealthCheckResponseSchema, {
        status: HealthCheckResponse_ServingStatus.SERVING,
      });
    },
  });
}

export type Protocol = "connect-json" | "connect-binary" | "grpc" | "grpc-web";
export type HttpVersion = "1.1" | "2";

/** Makes clients and closes every connection they opened. */
export class Clients {
  readonly #agents: http.Agent[] = [];
  readonly #sessions: Http2SessionManager[] = [];

  transport(baseUrl: string, protocol: Protocol, httpVersion: HttpVersion): Transport {
    const version =
      httpVersion === "2"
        ? { httpVersion, sessionManager: this.#session(baseUrl) }
        : { httpVersion, nodeOptions: { agent: this.#agent() } };
    switch (protocol) {
      case "connect-json":
        return createConnectTransport({ baseUrl, useBinaryFormat: false, ...version });
      case "connect-binary":
        return createConnectTransport({ baseUrl, useBinaryFormat: true, ...version });
      case "grpc-web":
        return createGrpcWebTransport({ baseUrl, ...version });
      case "grpc":
        if (version.httpVersion !== "2") {
          throw new Error("gRPC needs HTTP/2");
        }
        return createGrpcTransport({ baseUrl, ...version });
    }
  }

  health(
    baseUrl: string,
    protocol: Protocol = "grpc",
    httpVersion: HttpVersion = "2",
  ): Client<typeof Health> {
    return createClient(Health, this.transport(baseUrl, protocol, httpVersion));
  }

  probe(
    baseUrl: string,
    protocol: Protocol = "grpc",
    httpVersion: HttpVersion = "2",
  ): Client<typeof Probe> {
    return createClient(Probe, this.transport(baseUrl, protocol, httpVersion));
  }

  close(): void {
    for (const agent of this.#agents.splice(0)) {
      agent.destroy();
    }
    for (const session of this.#sessions.splice(0)) {
      session.abort();
    }
  }

  #agent(): http.Agent {
    const agent = new http.Agent({ keepAlive: true });
    this.#agents.push(agent);
    return agent;
  }

  #session(baseUrl: string): Http2SessionManager {
    const session = new Http2SessionManager(baseUrl);
    this.#sessions.push(session);
    return session;
  }
}

/** A plain GET over HTTP/2 with prior knowledge, on its own session that is closed afterwards. */
export async function http2Get(
  baseUrl: string,
  path: string,
): Promise<{ status: number; body: string; contentType: string | undefined }> {
  const session = http2.connect(baseUrl);
  try {
    return await new Promise((resolve, reject) => {
      session.once("error", reject);
      const stream = session.request({ ":method": "GET", ":path": path });
      let status = 0;
      let contentType: string | undefined;
      let body = "";
      stream.setEncoding("utf8");
      stream.on("response", (headers) => {
        status = Number(headers[":status"]);
        contentType = headers["content-type"];
      });
      stream.on("data", (chunk: string) => {
        body += chunk;
      });
      stream.once("end", () => resolve({ status, body, contentType }));
      stream.once("error", reject);
      stream.end();
    });
  } finally {
    session.close();
  }
}
