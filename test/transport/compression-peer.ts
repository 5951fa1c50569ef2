// An outside witness for the compression tests of this package's three transports: a plain
// node:http2 (gRPC, Connect JSON) or node:http (Connect JSON) server on loopback that records each
// request as it came (headers, raw body) and answers what the test gives, gzipped or not.
import { createServer as createHttp1Server, type IncomingHttpHeaders } from "node:http";
import { createServer as createHttp2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { gunzipSync } from "node:zlib";
import {
  type DescMessage,
  fromBinary,
  fromJsonString,
  type MessageShape,
} from "@bufbuild/protobuf";
import { onTestFinished } from "vitest";
import {
  type ClosableTransport,
  createHttp1JsonTransport,
  createHttp2GrpcTransport,
  createHttp2JsonTransport,
  type TransportOptions,
} from "../../src/transport/index.js";
import { grpcFrame } from "./grpc-peer.js";

/** One of the package's transports, as the tests tell them apart. */
export interface Wire {
  readonly name: string;
  readonly protocol: "grpc" | "json";
  readonly httpVersion: "1.1" | "2";
  createTransport(options: TransportOptions): ClosableTransport;
}

export const wires: readonly Wire[] = [
  { name: "gRPC", protocol: "grpc", httpVersion: "2", createTransport: createHttp2GrpcTransport },
  {
    name: "Connect JSON over HTTP/2",
    protocol: "json",
    httpVersion: "2",
    createTransport: createHttp2JsonTransport,
  },
  {
    name: "Connect JSON over HTTP/1.1",
    protocol: "json",
    httpVersion: "1.1",
    createTransport: createHttp1JsonTransport,
  },
];

/** The request header that names the body's compression, and the one offering it back. */
export function encodingHeaders(wire: Wire): { encoding: string; accept: string } {
  return wire.protocol === "grpc"
    ? { encoding: "grpc-encoding", accept: "grpc-accept-encoding" }
    : { encoding: "content-encoding", accept: "accept-encoding" };
}

/** One request as the peer read it. */
export interface SeenRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * What the peer answers: `body` is the message (protobuf for gRPC, JSON text for Connect), framed
 * for gRPC; with `encoding`, the body is already compressed and the header names it.
 */
export interface PeerAnswer {
  readonly body: Uint8Array;
  readonly encoding?: string;
  /** gRPC's compressed flag; set whenever `encoding` is, unless given. */
  readonly flagged?: boolean;
}

export interface Peer {
  readonly url: string;
  readonly requests: SeenRequest[];
}

/** Starts a peer speaking `wire`'s protocol that answers with `answer`; closed after the test. */
export async function startPeer(
  wire: Wire,
  answer: (request: SeenRequest) => PeerAnswer,
): Promise<Peer> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  const read = (
    incoming: NodeJS.ReadableStream,
    headers: IncomingHttpHeaders,
    done: (request: SeenRequest) => void,
  ) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const request = { headers, body: Buffer.concat(chunks) };
      requests.push(request);
      done(request);
    });
  };
  const server =
    wire.httpVersion === "2"
      ? createHttp2Server()
      : createHttp1Server((req, res) => {
          read(req, req.headers, (request) => {
            const { body, encoding } = answer(request);
            res.writeHead(200, {
              "content-type": "application/json",
              "content-length": body.byteLength,
              ...(encoding === undefined ? {} : { "content-encoding": encoding }),
            });
            res.end(body);
          });
        });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers: IncomingHttpHeaders) => {
    stream.on("error", () => {});
    read(stream, headers, (request) => {
      const { body, encoding, flagged = encoding !== undefined } = answer(request);
      if (stream.closed) return;
      const named = encoding === undefined ? {} : { [encodingHeaders(wire).encoding]: encoding };
      if (wire.protocol === "json") {
        stream.respond({ ":status": 200, "content-type": "application/json", ...named });
        stream.end(body);
        return;
      }
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", ...named },
        { waitForTrailers: true },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(grpcFrame(body, flagged ? 1 : 0));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    for (const session of sessions) session.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** What a recorded request carried: its message, inflated, and whether it came gzipped. */
export function sentMessage(wire: Wire, request: SeenRequest): { gzipped: boolean; bytes: Buffer } {
  const { body, headers } = request;
  if (wire.protocol === "json") {
    const gzipped = headers["content-encoding"] === "gzip";
    return { gzipped, bytes: gzipped ? gunzipSync(body) : body };
  }
  const flagged = ((body[0] ?? 0) & 1) === 1;
  const length = body.readUInt32BE(1);
  if (body.byteLength !== 5 + length) throw new Error("not exactly one gRPC message");
  const payload = body.subarray(5);
  return { gzipped: flagged, bytes: flagged ? gunzipSync(payload) : payload };
}

/** The message a recorded request carried, decoded as `schema`. */
export function sentRequest<Desc extends DescMessage>(
  wire: Wire,
  request: SeenRequest,
  schema: Desc,
): MessageShape<Desc> {
  const { bytes } = sentMessage(wire, request);
  return wire.protocol === "json"
    ? fromJsonString(schema, bytes.toString("utf8"))
    : fromBinary(schema, bytes);
}
