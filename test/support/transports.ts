// Every protocol and HTTP version a client can reach the reference services with, as a table for
// describe.each: the same behavioural suite runs over each one.
import { Agent } from "node:http";
import type { Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";

/** A way to reach a server, and how to let go of its connections. */
export interface TestTransport {
  readonly name: string;
  create(baseUrl: string): { transport: Transport; close(): void };
}

function overHttp2(make: (baseUrl: string, sessionManager: Http2SessionManager) => Transport) {
  return (baseUrl: string) => {
    const sessionManager = new Http2SessionManager(baseUrl);
    return { transport: make(baseUrl, sessionManager), close: () => sessionManager.abort() };
  };
}

function overHttp1(make: (baseUrl: string, agent: Agent) => Transport) {
  return (baseUrl: string) => {
    const agent = new Agent({ keepAlive: true });
    return { transport: make(baseUrl, agent), close: () => agent.destroy() };
  };
}

export const transports: TestTransport[] = [
  {
    name: "Connect JSON over HTTP/1.1",
    create: overHttp1((baseUrl, agent) =>
      createConnectTransport({
        baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
        nodeOptions: { agent },
      }),
    ),
  },
  {
    name: "Connect JSON over HTTP/2",
    create: overHttp2((baseUrl, sessionManager) =>
      createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false, sessionManager }),
    ),
  },
  {
    name: "Connect binary over HTTP/1.1",
    create: overHttp1((baseUrl, agent) =>
      createConnectTransport({
        baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: true,
        nodeOptions: { agent },
      }),
    ),
  },
  {
    name: "Connect binary over HTTP/2",
    create: overHttp2((baseUrl, sessionManager) =>
      createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, sessionManager }),
    ),
  },
  {
    name: "gRPC over HTTP/2",
    create: overHttp2((baseUrl, sessionManager) =>
      createGrpcTransport({ baseUrl, sessionManager }),
    ),
  },
  {
    name: "gRPC-Web over HTTP/1.1",
    create: overHttp1((baseUrl, agent) =>
      createGrpcWebTransport({ baseUrl, httpVersion: "1.1", nodeOptions: { agent } }),
    ),
  },
  {
    name: "gRPC-Web over HTTP/2",
    create: overHttp2((baseUrl, sessionManager) =>
      createGrpcWebTransport({ baseUrl, httpVersion: "2", sessionManager }),
    ),
  },
];
