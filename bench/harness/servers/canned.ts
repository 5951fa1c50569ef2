/**
 * Server child: the canned server. One port for both services, speaking gRPC over h2c and the
 * Connect protocol (JSON or binary) over HTTP/1.1 and h2c. It reads each request body to the end
 * and answers with a response encoded once at start, so nearly all the CPU a call costs is the
 * client's and the comparison of client variants is not blurred by server work.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createProtocolListener } from "../../../src/server/serve/listener.js";
import { type CannedResponse, createCannedResponses } from "./canned-responses.js";
import { localUrl, runServerChild } from "./server-child.js";

const responses = createCannedResponses();

/** The body and content type of the answer to a request of `contentType`, else undefined. */
function connectAnswer(
  response: CannedResponse,
  contentType: string,
): { body: Buffer; type: string } | undefined {
  if (contentType.startsWith("application/json")) {
    return { body: response.json, type: "application/json" };
  }
  if (contentType.startsWith("application/proto")) {
    return { body: response.binary, type: "application/proto" };
  }
  return undefined;
}

const notFound = Buffer.from('{"code":"unimplemented","message":"no canned response"}');

function onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  // Clients cut streams when they are closed; that is no reason to crash.
  stream.on("error", () => {});
  const response = responses.get(headers[":path"] ?? "");
  const contentType = headers["content-type"] ?? "";
  stream.on("data", () => {});
  stream.once("end", () => {
    if (stream.destroyed) return;
    if (contentType.startsWith("application/grpc")) {
      if (response === undefined) {
        stream.respond(
          { ":status": 200, "content-type": "application/grpc", "grpc-status": "12" },
          { endStream: true },
        );
        return;
      }
      stream.respond(
        { ":status": 200, "content-type": "application/grpc+proto" },
        { waitForTrailers: true },
      );
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(response.grpcFrame);
      return;
    }
    const answer = response && connectAnswer(response, contentType);
    if (answer === undefined) {
      stream.respond({ ":status": 404, "content-type": "application/json" });
      stream.end(notFound);
      return;
    }
    stream.respond({ ":status": 200, "content-type": answer.type });
    stream.end(answer.body);
  });
}

function onRequest(request: http.IncomingMessage, response: http.ServerResponse): void {
  const canned = responses.get(request.url ?? "");
  const answer = canned && connectAnswer(canned, request.headers["content-type"] ?? "");
  request.on("data", () => {});
  request.once("end", () => {
    if (answer === undefined) {
      response.writeHead(404, { "content-type": "application/json" }).end(notFound);
      return;
    }
    response.writeHead(200, { "content-type": answer.type }).end(answer.body);
  });
}

await runServerChild(async () => {
  // Idle keep-alive connections stay open between a variant's windows (the other variants' windows
  // take seconds): Node's 5 s default would close them just as the client reuses them, and the
  // EPIPE of that race is a fact about this server's settings, not a cost of the client.
  const http1Server = http.createServer({ keepAliveTimeout: 10 * 60_000 }, onRequest);
  // Node's 10 MB default refuses new streams (ENHANCE_YOUR_CALM) while 64 JSON pages of 2.5 MB
  // are on their way to a client: a fact about this server's settings too, not a client's cost.
  const http2Server = http2.createServer({ maxSessionMemory: 1_000 });
  http2Server.on("stream", onStream);
  const listener = createProtocolListener({
    http1: http1Server,
    http2: http2Server,
    sniffTimeoutMs: 10_000,
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const url = localUrl((listener.address() as AddressInfo).port);
  return {
    sessionsUrl: url,
    memoryUrl: url,
    close: async () => {
      listener.close();
      http1Server.closeAllConnections();
      http2Server.close();
    },
  };
});
