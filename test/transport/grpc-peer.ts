// A purpose-built HTTP/2 server on loopback that plays a gRPC peer, well-behaved or broken: each
// test says how to answer a stream, and the peer records what reached it, so a test can tell what
// the transport sent (headers, streams, connections) and how it let go of a stream (its reset).
import {
  createServer,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  type Settings,
} from "node:http2";
import type { AddressInfo, Socket } from "node:net";

/** How the peer answers one stream; it may also do nothing (a stall). */
export type PeerHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

/** One stream the peer received. */
export interface SeenStream {
  readonly headers: IncomingHttpHeaders;
  /** Which connection it came on, counted from 0 in the order they opened. */
  readonly connection: number;
  /** The stream's RST_STREAM code once closed: 8 (CANCEL) when the client gave up on it. */
  readonly closed: Promise<number>;
}

/** A running peer. */
export interface GrpcPeer {
  /** E.g. "http://127.0.0.1:54321". */
  readonly url: string;
  readonly port: number;
  /** HTTP/2 connections opened to the peer so far. */
  readonly sessionsOpened: number;
  /** Every stream received, in arrival order. */
  readonly streams: readonly SeenStream[];
  /** PING frames received (not counting acknowledgements). */
  readonly pingsReceived: number;
  /** Resets every TCP connection (RST), as a crashed host would, without a GOAWAY. */
  resetConnections(): void;
  /** Destroys every connection (failing its streams) and stops listening. */
  close(): Promise<void>;
}

/** Options of {@link startGrpcPeer}. */
export interface GrpcPeerOptions {
  /** SETTINGS the peer announces, e.g. `{ maxConcurrentStreams: 1 }`. */
  readonly settings?: Settings;
  /** Port to listen on; defaults to an ephemeral one. */
  readonly port?: number;
}

/** Starts a peer that answers every stream with `handler`. */
export async function startGrpcPeer(
  handler: PeerHandler,
  options: GrpcPeerOptions = {},
): Promise<GrpcPeer> {
  const server = createServer(options.settings ? { settings: options.settings } : {});
  const sessions = new Set<ServerHttp2Session>();
  const streams: SeenStream[] = [];
  // The raw sockets: a session's own `socket` is a proxy that cannot be reset.
  const sockets = new Set<Socket>();
  const connectionOf = new WeakMap<object, number>();
  let sessionsOpened = 0;
  let pingsReceived = 0;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("session", (session) => {
    connectionOf.set(session, sessionsOpened++);
    sessions.add(session);
    session.on("ping", () => pingsReceived++);
    session.on("error", ignore);
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    // A client's reset surfaces as a stream error here; the reset code is what tests look at.
    stream.on("error", ignore);
    const closed = new Promise<number>((resolve) => {
      stream.on("close", () => resolve(stream.rstCode));
    });
    const connection = stream.session ? (connectionOf.get(stream.session) ?? -1) : -1;
    streams.push({ headers, connection, closed });
    handler(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get sessionsOpened() {
      return sessionsOpened;
    },
    streams,
    get pingsReceived() {
      return pingsReceived;
    },
    resetConnections() {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    async close() {
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One gRPC length-prefixed message: a flags byte, the length (big-endian uint32), the bytes. */
export function grpcFrame(message: Uint8Array, flags = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = flags;
  prefix.writeUInt32BE(message.byteLength, 1);
  return Buffer.concat([prefix, message]);
}

/** What {@link respondGrpc} answers. */
export interface GrpcAnswer {
  /** The raw response body, frames included; empty when undefined. */
  readonly body?: Uint8Array;
  /** Extra response headers; they override `:status` and `content-type` too. */
  readonly headers?: OutgoingHttpHeaders;
  /** The trailers; `{ "grpc-status": "0" }` when undefined. */
  readonly trailers?: OutgoingHttpHeaders;
}

/** Answers a gRPC response: headers, the body as given, then trailers; unless the stream is gone. */
export function respondGrpc(stream: ServerHttp2Stream, answer: GrpcAnswer = {}): void {
  if (stream.closed) return;
  stream.respond(
    { ":status": 200, "content-type": "application/grpc", ...answer.headers },
    { waitForTrailers: true },
  );
  stream.on("wantTrailers", () => stream.sendTrailers(answer.trailers ?? { "grpc-status": "0" }));
  stream.end(answer.body ?? Buffer.alloc(0));
}

/** Answers a trailers-only response: the status in the one HEADERS frame, which ends the stream. */
export function respondTrailersOnly(stream: ServerHttp2Stream, status: OutgoingHttpHeaders): void {
  if (stream.closed) return;
  stream.respond(
    { ":status": 200, "content-type": "application/grpc", ...status },
    { endStream: true },
  );
}

function ignore(): void {}
