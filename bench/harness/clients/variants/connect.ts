/**
 * connect-node's transports without the facade: the generated Connect client on
 * createGrpcTransport or createConnectTransport, with the same request content as the facade
 * (including a fresh request id per create).
 */
import { randomUUID } from "node:crypto";
import { Agent } from "node:http";
import { createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { MemoryService } from "../../../../gen/contextiq/memory/v1/memory_pb.js";
import { SessionsService } from "../../../../gen/contextiq/sessions/v1/sessions_pb.js";
import { requestContent, type Target } from "../../workload.js";
import {
  type Caller,
  type CallerFactory,
  expectEvent,
  expectMemory,
  expectPage,
  expectResults,
} from "../caller.js";

/** A transport to one base URL, and how to close its connections. */
export interface ClosableTransport {
  readonly transport: Transport;
  close(): void | Promise<void>;
}

/** The generated Connect clients of both services, each on the transport `open` makes. */
export function connectCaller(
  target: Target,
  open: (baseUrl: string) => ClosableTransport,
): Caller {
  const sessionsTransport = open(target.sessionsUrl);
  const memoryTransport = open(target.memoryUrl);
  const sessions = createClient(SessionsService, sessionsTransport.transport);
  const memory = createClient(MemoryService, memoryTransport.transport);
  const request = requestContent(target);
  return {
    createEvent: async () => {
      const { event } = await sessions.createEvent({
        ...request.createEvent,
        requestId: randomUUID(),
      });
      expectEvent(event);
    },
    getMemory: async () => {
      expectMemory((await memory.getMemory(request.getMemory)).memory);
    },
    createMemory: async () => {
      const { memory: created } = await memory.createMemory({
        ...request.createMemory,
        requestId: randomUUID(),
      });
      expectMemory(created);
    },
    listMemories: async () => {
      expectPage((await memory.listMemories(request.listMemories)).memories);
    },
    searchMemories: async () => {
      expectResults((await memory.searchMemories(request.searchMemories)).results);
    },
    close: async () => {
      await Promise.all([sessionsTransport.close(), memoryTransport.close()]);
    },
  };
}

/** gRPC over HTTP/2 with connect-node's own session manager. */
export const connectGrpc: CallerFactory = async (target) =>
  connectCaller(target, (baseUrl) => {
    const sessionManager = new Http2SessionManager(baseUrl);
    return {
      transport: createGrpcTransport({ baseUrl, sessionManager }),
      close: () => sessionManager.abort(),
    };
  });

/** The Connect protocol with JSON over HTTP/1.1 or HTTP/2. */
export function connectJson(httpVersion: "1.1" | "2"): CallerFactory {
  return async (target) =>
    connectCaller(target, (baseUrl) => {
      // createConnectTransport sends protobuf (application/proto) unless told otherwise.
      const common = { baseUrl, useBinaryFormat: false };
      if (httpVersion === "2") {
        const sessionManager = new Http2SessionManager(baseUrl);
        return {
          transport: createConnectTransport({ ...common, httpVersion, sessionManager }),
          close: () => sessionManager.abort(),
        };
      }
      // Keep-alive, and no cap on sockets: one per concurrent caller, whatever the concurrency.
      const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
      return {
        transport: createConnectTransport({ ...common, httpVersion, nodeOptions: { agent } }),
        close: () => agent.destroy(),
      };
    });
}
