// The per-endpoint senders a load balancer builds its attempts from: each connects to the address
// its pool or agent was made for, sends the endpoint's own authority and path prefix, and reports
// a connection that could not be made as never processed.
import { create } from "@bufbuild/protobuf";
import {
  ConnectError,
  createContextValues,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  GetSessionRequestSchema,
  SessionsService,
} from "../../gen/contextiq/sessions/v1/sessions_pb.js";
import { failureKind } from "../../src/policy/transient.js";
import type { EndpointTarget } from "../../src/transport/endpoint-target.js";
import { createHttp1JsonSender } from "../../src/transport/http1-json-transport.js";
import { Http2ConnectionPool } from "../../src/transport/http2-connection-pool.js";
import { createGrpcSender } from "../../src/transport/http2-grpc-transport.js";
import { createHttp2JsonSender } from "../../src/transport/http2-json-transport.js";
import { createKeepAliveAgent } from "../../src/transport/keep-alive-agent.js";
import { closedPort } from "../support/closed-port.js";
import { type CannedAnswer, startRecordingServer } from "../support/recording-server.js";

type Send = (req: UnaryRequest) => Promise<UnaryResponse>;

const endpoint: EndpointTarget = {
  scheme: "http",
  authority: "sessions.example.test:8001",
  pathPrefix: "/api",
  readMaxBytes: 1024 * 1024,
  writeMaxBytes: 1024 * 1024,
};

interface Sender {
  readonly name: string;
  readonly httpVersion: "1.1" | "2";
  readonly answer: CannedAnswer;
  /** A sender whose connections go to 127.0.0.1:`port`, closed after the test. */
  open(port: number): Send;
}

const json = { status: 200, headers: { "content-type": "application/json" }, body: "{}" };

function overPool(make: (pool: Http2ConnectionPool, target: EndpointTarget) => Send) {
  return (port: number) => {
    const pool = new Http2ConnectionPool(`http://127.0.0.1:${port}`);
    onTestFinished(() => pool.destroy());
    return make(pool, endpoint);
  };
}

const senders: Sender[] = [
  {
    name: "gRPC",
    httpVersion: "2",
    answer: {
      status: 200,
      headers: { "content-type": "application/grpc", "grpc-status": "5" },
      body: "",
    },
    open: overPool(createGrpcSender),
  },
  {
    name: "Connect JSON over HTTP/2",
    httpVersion: "2",
    answer: json,
    open: overPool(createHttp2JsonSender),
  },
  {
    name: "Connect JSON over HTTP/1.1",
    httpVersion: "1.1",
    answer: json,
    open: (port) => {
      const agent = createKeepAliveAgent(`http://127.0.0.1:${port}`);
      onTestFinished(() => agent.destroy());
      return createHttp1JsonSender(agent, {
        ...endpoint,
        hostname: "127.0.0.1",
        port: String(port),
      });
    },
  },
];

/** One GetSession attempt, as the transports' unary call hands it to a sender. */
function getSession(): UnaryRequest {
  const method = SessionsService.method.getSession;
  return {
    stream: false,
    service: SessionsService,
    method,
    requestMethod: "POST",
    url: `http://${endpoint.authority}${endpoint.pathPrefix}/${SessionsService.typeName}/GetSession`,
    header: new Headers(),
    contextValues: createContextValues(),
    signal: new AbortController().signal,
    message: create(GetSessionRequestSchema, { id: "s1" }),
  } as UnaryRequest;
}

describe.each(senders)("the $name sender of one endpoint", (sender) => {
  it("connects to its address, and sends the endpoint's authority and path prefix", async () => {
    const server = await startRecordingServer(sender.httpVersion, () => sender.answer);
    onTestFinished(() => server.close());
    const send = sender.open(Number(new URL(server.url).port));
    await send(getSession()).catch(() => undefined);
    const [request] = server.requests;
    expect(request?.path).toBe(`/api/${SessionsService.typeName}/GetSession`);
    const authority =
      sender.httpVersion === "2" ? request?.headers[":authority"] : request?.headers.host;
    expect(authority).toBe(endpoint.authority);
  });

  it("reports a connection that could not be made as refused, never processed", async () => {
    const send = sender.open(await closedPort());
    const error = await send(getSession()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect(failureKind(error as ConnectError)).toBe("refused");
  });
});
