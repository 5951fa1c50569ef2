/**
 * Connection bookkeeping for graceful shutdown. The HTTP servers never listen themselves (the
 * protocol listener feeds them sockets), so their own close() and connection tracking do not
 * apply: http2.Http2Server#close() waits for sessions nobody closes, and http.Server only tracks
 * connections once it emits 'listening'. Everything is therefore tracked here, per socket.
 */
import type * as http from "node:http";
import type * as http2 from "node:http2";
import type * as net from "node:net";
import type * as tls from "node:tls";

/** How long connections live: see ServeOptions.maxConnectionAgeMs. */
export interface ConnectionAgeLimits {
  readonly maxConnectionAgeMs?: number | undefined;
  readonly maxConnectionAgeGraceMs?: number | undefined;
}

/**
 * Tracks every accepted socket, what protocol it ended up speaking, and its in-flight requests;
 * drains them all at shutdown, and each one on its own once it is older than its maximum age.
 */
export class ConnectionTracker {
  /** Every accepted socket until it closes, whatever its protocol or state. */
  readonly #sockets = new Set<net.Socket>();
  /** HTTP/1.1 sockets and how many requests each has in flight. */
  readonly #http1 = new Map<net.Socket, number>();
  /** HTTP/2 sessions, each owning one socket. */
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  /** Sockets owned by an HTTP/2 session. */
  readonly #http2Sockets = new Set<net.Socket>();
  /** Tracked sockets by peer address, to find the TCP socket under a TLS one. */
  readonly #byPeer = new Map<string, net.Socket>();
  /**
   * TLS sockets and the TCP socket each runs on. The HTTP servers see the former; the latter is
   * what is tracked, from before the handshake to its close, and destroying it ends both.
   */
  readonly #tcpOf = new Map<net.Socket, net.Socket>();
  /** The other way round: the TLS socket on a tracked TCP socket, which holds what TLS buffers. */
  readonly #tlsOf = new Map<net.Socket, tls.TLSSocket>();
  /** HTTP/1.1 sockets past their maximum age: they close after their response in flight. */
  readonly #aged = new WeakSet<net.Socket>();
  #draining = false;
  #onEmpty: (() => void)[] = [];

  constructor(private readonly ageLimits: ConnectionAgeLimits = {}) {}

  /** Records a newly accepted socket. */
  addSocket(socket: net.Socket): void {
    if (this.#draining) {
      // Accepted just before the listener closed; there is no time to serve it.
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    const peer = peerOf(socket);
    this.#byPeer.set(peer, socket);
    socket.once("close", () => {
      // Unless a newer connection from the same port took the entry meanwhile.
      if (this.#byPeer.get(peer) === socket) this.#byPeer.delete(peer);
      this.#sockets.delete(socket);
      this.#http1.delete(socket);
      this.#http2Sockets.delete(socket);
      if (this.#sockets.size === 0) {
        for (const resolve of this.#onEmpty.splice(0)) {
          resolve();
        }
      }
    });
  }

  /**
   * Records that a tracked socket finished its TLS handshake as `secure`, which the HTTP servers
   * will be given instead of it.
   */
  addSecureSocket(secure: tls.TLSSocket): void {
    const tcp = this.#byPeer.get(peerOf(secure));
    if (tcp === undefined) {
      // Its TCP socket is closed already, or was never tracked (accepted while draining).
      secure.destroy();
      return;
    }
    this.#tcpOf.set(secure, tcp);
    this.#tlsOf.set(tcp, secure);
    tcp.once("close", () => {
      this.#tcpOf.delete(secure);
      this.#tlsOf.delete(tcp);
    });
  }

  /** Records that a socket was handed to the HTTP/1.1 server. */
  addHttp1Socket(socket: net.Socket): void {
    const tracked = this.#tracked(socket);
    this.#http1.set(tracked, 0);
    this.#atMaximumAge(tracked, () => {
      this.#aged.add(tracked);
      if (this.#http1.get(tracked) === 0) this.#closeIdleHttp1(tracked);
    });
  }

  /** Records an HTTP/1.1 request for as long as its response is open. */
  addHttp1Request(request: http.IncomingMessage, response: http.ServerResponse): void {
    const socket = this.#tracked(request.socket);
    this.#http1.set(socket, (this.#http1.get(socket) ?? 0) + 1);
    const leaving = () => this.#draining || this.#aged.has(socket);
    if (leaving() && !response.headersSent) {
      // Node then closes the socket once this response is done instead of keeping it alive.
      response.setHeader("connection", "close");
    }
    response.once("close", () => {
      const inFlight = (this.#http1.get(socket) ?? 1) - 1;
      this.#http1.set(socket, inFlight);
      if (leaving() && inFlight === 0) {
        // Headers went out saying keep-alive; end() still flushes what the response wrote (on
        // the TLS socket, if any, so that its close_notify goes out too).
        request.socket.end();
      }
    });
  }

  /** Records an HTTP/2 session. */
  addHttp2Session(session: http2.ServerHttp2Session): void {
    if (this.#draining) {
      session.close();
      return;
    }
    this.#sessions.add(session);
    session.once("close", () => this.#sessions.delete(session));
    this.#atMaximumAge(session, () => {
      // A GOAWAY: the client opens a new connection for its next call, and the streams in
      // flight finish here, within the grace period if there is one.
      session.close();
      const grace = this.ageLimits.maxConnectionAgeGraceMs;
      if (grace === undefined) return;
      const cut = setTimeout(() => session.destroy(), grace).unref();
      session.once("close", () => clearTimeout(cut));
    });
  }

  /** Records that a socket was handed to the HTTP/2 server. */
  addHttp2Socket(socket: net.Socket): void {
    this.#http2Sockets.add(this.#tracked(socket));
  }

  /**
   * Starts a graceful shutdown: HTTP/2 sessions get a GOAWAY and close once their streams are
   * done; idle HTTP/1.1 keep-alive sockets and sockets still being classified close at once;
   * busy HTTP/1.1 sockets close after their last response.
   */
  drain(): void {
    this.#draining = true;
    for (const session of this.#sessions) {
      session.close();
    }
    for (const socket of this.#sockets) {
      if (this.#http2Sockets.has(socket)) {
        continue;
      }
      const inFlight = this.#http1.get(socket);
      if (inFlight === undefined || inFlight === 0) this.#closeIdleHttp1(socket);
    }
  }

  /** Closes a socket without a request in flight. */
  #closeIdleHttp1(socket: net.Socket): void {
    // Nothing to wait for. end() rather than destroy() if a response is still flushing (over TLS,
    // the TLS socket holds it).
    const outer = this.#tlsOf.get(socket) ?? socket;
    if (outer.writableLength > 0) {
      outer.end();
    } else {
      socket.destroy();
    }
  }

  /** Calls `expire` once the connection is older than its maximum age, give or take 10%. */
  #atMaximumAge(connection: net.Socket | http2.ServerHttp2Session, expire: () => void): void {
    const maxAgeMs = this.ageLimits.maxConnectionAgeMs;
    if (maxAgeMs === undefined) return;
    // Jitter, as gRFC A9 asks, so that connections opened together do not all go together.
    const timer = setTimeout(expire, maxAgeMs * (0.9 + 0.2 * Math.random())).unref();
    connection.once("close", () => clearTimeout(timer));
  }

  /** Cuts every remaining connection, for when draining took too long. */
  destroy(): void {
    this.#draining = true;
    for (const session of this.#sessions) {
      session.destroy();
    }
    for (const socket of this.#sockets) {
      socket.destroy();
    }
  }

  /** The tracked socket that `socket` is, or runs on. */
  #tracked(socket: net.Socket): net.Socket {
    return this.#tcpOf.get(socket) ?? socket;
  }

  /** Resolves once every tracked socket has closed. */
  idle(): Promise<void> {
    if (this.#sockets.size === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#onEmpty.push(resolve));
  }
}

/** A connection's peer address and port, the same on a TCP socket and the TLS socket over it. */
function peerOf(socket: net.Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
