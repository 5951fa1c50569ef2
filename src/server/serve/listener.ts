/**
 * One TCP listener for both HTTP versions: each connection's first bytes say whether it speaks
 * HTTP/2 with prior knowledge (h2c) or HTTP/1.1, and the socket is handed to the matching server.
 * Over TLS, ALPN says it instead.
 *
 * Node's cleartext HTTP/2 server cannot fall back to HTTP/1.1 on its own (there is no ALPN without
 * TLS), and gRPC clients use prior knowledge, so sniffing the preface is what lets one port serve
 * gRPC, gRPC-Web and Connect over both versions.
 */
import type * as http from "node:http";
import type * as http2 from "node:http2";
import * as net from "node:net";
import type * as tls from "node:tls";

/** The protocol a connection speaks, as decided from its first bytes. */
export type WireProtocol = "http/1.1" | "h2c";

/** The HTTP/2 connection preface (RFC 9113 §3.4), which a prior-knowledge client sends first. */
const http2Preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * Decides the protocol from the bytes seen so far, or undefined while they are a proper prefix of
 * the HTTP/2 preface and more are needed.
 *
 * The whole preface is required before choosing HTTP/2: "PRI" alone could start an HTTP/1.1 request
 * line, and a truncated preface is not one.
 */
export function detectProtocol(head: Uint8Array): WireProtocol | undefined {
  const n = Math.min(head.length, http2Preface.length);
  if (Buffer.compare(Buffer.from(head.buffer, head.byteOffset, n), http2Preface.subarray(0, n))) {
    return "http/1.1";
  }
  return head.length >= http2Preface.length ? "h2c" : undefined;
}

/** What the protocol listener hands connections to. */
export interface ProtocolListenerOptions {
  /** Receives HTTP/1.1 connections. It never listens itself. */
  readonly http1: http.Server;
  /** Receives h2c connections. It never listens itself. */
  readonly http2: http2.Http2Server;
  /** How long a connection may take to send enough bytes to be classified before it is dropped. */
  readonly sniffTimeoutMs: number;
  /**
   * Terminates TLS on every connection first (see tls.ts); it never listens itself. Its secure
   * connections come back through {@link routeSecure}.
   */
  readonly tls?: tls.Server | undefined;
}

/** Creates the net.Server that accepts connections and routes each to the HTTP/1.1 or h2c server. */
export function createProtocolListener(options: ProtocolListenerOptions): net.Server {
  const server = net.createServer();
  const { tls } = options;
  server.on("connection", (socket: net.Socket) => {
    // Resets and garbage are routine for a public port. An 'error' event without a listener would
    // throw and take the process down, so this listener stays for the socket's whole life; the
    // servers add their own handling on top once they own the socket.
    socket.on("error", ignore);
    if (tls) {
      tls.emit("connection", socket);
    } else {
      route(socket, options);
    }
  });
  return server;
}

/**
 * Hands a connection whose TLS handshake is done to the server its ALPN protocol names. A client
 * that offered no ALPN is classified by its first bytes, as in cleartext.
 */
export function routeSecure(socket: tls.TLSSocket, options: ProtocolListenerOptions): void {
  socket.on("error", ignore);
  if (socket.alpnProtocol === "h2") {
    options.http2.emit("connection", socket);
  } else if (socket.alpnProtocol === "http/1.1") {
    options.http1.emit("connection", socket);
  } else {
    route(socket, options);
  }
}

function route(socket: net.Socket, options: ProtocolListenerOptions): void {
  const chunks: Buffer[] = [];
  const timer = setTimeout(() => socket.destroy(), options.sniffTimeoutMs);
  // A connection that is still being classified must not keep the process alive on its own.
  timer.unref();

  const stop = () => {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("close", stop);
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
    const protocol = detectProtocol(head);
    if (protocol === undefined) {
      return; // Part of the HTTP/2 preface so far: wait for the rest.
    }
    stop();
    // Stop the flow before giving the bytes back, so nothing is emitted to no one in between.
    socket.pause();
    socket.unshift(head);
    if (protocol === "h2c") {
      // The HTTP/2 session reads bytes already buffered on the socket before taking over its handle.
      options.http2.emit("connection", socket);
    } else {
      options.http1.emit("connection", socket);
      // The HTTP/1.1 parser reads the handle directly from now on, but the bytes put back are in
      // the stream's buffer and only reach it through a 'data' event, so let them flow.
      socket.resume();
    }
  };
  socket.on("data", onData);
  socket.on("close", stop);
}

function ignore(): void {}
