// A plain node:http server for the tests of Connect streams over HTTP/1.1: it records each request
// as raw bytes and lets the test write the response's envelopes by hand, broken ones included.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { onTestFinished } from "vitest";

/** One request as the peer read it. */
export interface StreamPeerRequest {
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
  /** Resolves when the client closed the request's socket. */
  readonly socketClosed: Promise<void>;
}

export type StreamPeerHandler = (request: StreamPeerRequest, response: ServerResponse) => void;

export interface StreamPeer {
  readonly url: string;
  readonly requests: StreamPeerRequest[];
  /** Connections clients opened so far. */
  connections(): number;
}

/** Starts a peer answering with `handler` once each request's body is read, closed after the test. */
export async function startStreamPeer(handler: StreamPeerHandler): Promise<StreamPeer> {
  const requests: StreamPeerRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((req, res) => {
    const socketClosed = new Promise<void>((resolve) => req.socket.once("close", resolve));
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded = {
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
        socketClosed,
      };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  server.on("connection", (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    connections: () => connections,
  };
}

/** One envelope: the flags byte, the length as a big-endian uint32, the bytes. */
export function envelope(flags: number, data: Uint8Array | string): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  const prefix = Buffer.alloc(5);
  prefix[0] = flags;
  prefix.writeUInt32BE(bytes.byteLength, 1);
  return Buffer.concat([prefix, bytes]);
}

/** A message envelope holding `json`. */
export function messageEnvelope(json: unknown): Buffer {
  return envelope(0, JSON.stringify(json));
}

/** The end-stream envelope: an error and metadata (values as lists, as the protocol has them). */
export function endStreamEnvelope(
  end: { error?: { code: string; message?: string }; metadata?: Record<string, string[]> } = {},
): Buffer {
  return envelope(0b10, JSON.stringify(end));
}

/** The envelopes of `body`, read as the protocol lays them out; a cut one is an error. */
export function splitEnvelopes(body: Buffer): { flags: number; data: Buffer }[] {
  const envelopes: { flags: number; data: Buffer }[] = [];
  for (let offset = 0; offset < body.byteLength; ) {
    const length = body.readUInt32BE(offset + 1);
    const end = offset + 5 + length;
    if (end > body.byteLength) throw new Error(`an envelope cut at ${body.byteLength - offset}`);
    envelopes.push({ flags: body[offset] as number, data: body.subarray(offset + 5, end) });
    offset = end;
  }
  return envelopes;
}

/** Starts a 200 streaming answer with Connect's JSON stream content type and `headers`. */
export function startStreamAnswer(
  response: ServerResponse,
  headers: Record<string, string> = {},
): void {
  response.writeHead(200, { "content-type": "application/connect+json", ...headers });
  response.flushHeaders();
}
