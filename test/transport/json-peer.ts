// A node:http server for the HTTP/1.1 JSON transport's tests: it records each request, body
// included, and answers as the test's handler says (or not at all).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { onTestFinished } from "vitest";

/** One request as the peer read it. */
export interface JsonPeerRequest {
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  /** Resolves when the client closed the request's socket. */
  readonly socketClosed: Promise<void>;
}

export type JsonPeerHandler = (request: JsonPeerRequest, response: ServerResponse) => void;

export interface JsonPeer {
  readonly url: string;
  readonly requests: JsonPeerRequest[];
}

/** Starts a peer answering with `handler`, closed after the test. */
export async function startJsonPeer(handler: JsonPeerHandler): Promise<JsonPeer> {
  const requests: JsonPeerRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const socketClosed = new Promise<void>((resolve) => req.socket.once("close", resolve));
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded = {
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        socketClosed,
      };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** Answers `status` with a JSON body and `headers`. */
export function answerJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
