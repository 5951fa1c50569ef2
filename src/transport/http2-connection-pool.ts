import {
  type ClientHttp2Session,
  type ClientSessionOptions,
  connect,
  type SecureClientSessionOptions,
} from "node:http2";

/** Options of {@link Http2ConnectionPool}. */
export interface Http2PoolOptions {
  /**
   * Streams one connection carries before the pool opens another, if the server allows fewer its
   * own limit applies. Several connections spread a high concurrency over more flow-control
   * windows and socket buffers. Default 100.
   */
  readonly maxStreamsPerConnection?: number | undefined;
  /** Connections the pool opens at most; beyond, streams share the least busy one. Default 4. */
  readonly maxConnections?: number | undefined;
  /** A ping goes out after this long without a call on a busy connection. Default 30 s. */
  readonly pingIntervalMs?: number | undefined;
  /** A connection whose ping is not answered within this time is dropped. Default 15 s. */
  readonly pingTimeoutMs?: number | undefined;
  /** A connection without a stream for this long is closed. Default 5 min. */
  readonly idleTimeoutMs?: number | undefined;
  /** Options for `http2.connect` (TLS: `ca`, `cert`, `key`, `servername`, ...). */
  readonly connect?: ClientSessionOptions | SecureClientSessionOptions | undefined;
}

/** One HTTP/2 connection of a pool, and the streams it carries. */
export interface PooledConnection {
  readonly session: ClientHttp2Session;
  /** Streams open on it now. */
  active: number;
  /** Why the connection failed, for the streams it takes down with it. */
  failure: Error | undefined;
  /**
   * Until the server's first SETTINGS arrive: resolves true when they do, false when the
   * connection fails first (or they are late). Streams wait for it, so that a server allowing
   * fewer streams than the pool assumes does not refuse the first burst (see the transport).
   */
  settings: Promise<boolean> | undefined;
}

interface Connection extends PooledConnection {
  /** False once the connection is going away: it takes no new stream. */
  usable: boolean;
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS, once known. */
  serverMaxStreams: number;
  /** Request bytes of closed streams that were never sent: see noteUnsent(). */
  unsentBytes: number;
  lastActivity: number;
  timer: NodeJS.Timeout | undefined;
  /** A ping is out to find whether it is alive (see suspect()): it takes no new stream meanwhile. */
  suspected: boolean;
}

/**
 * HTTP/2 connections to one origin, shared by calls: a call takes the least busy connection, and
 * a new one opens when all are full. Connections come and go by themselves: one that fails, is
 * told to go away, stops answering pings, or idles too long leaves the pool, and the next call
 * opens a fresh one. An idle pool does not keep the process alive.
 */
export class Http2ConnectionPool {
  private readonly connections: Connection[] = [];
  private readonly maxStreams: number;
  private readonly maxConnections: number;
  private readonly pingIntervalMs: number;
  private readonly pingTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  /** Unsent request bytes past which a connection is retired: see noteUnsent(). */
  private readonly maxUnsentBytes: number;
  private closed = false;

  constructor(
    readonly origin: string,
    private readonly options: Http2PoolOptions = {},
  ) {
    this.maxStreams = positive(options.maxStreamsPerConnection, 100, "maxStreamsPerConnection");
    this.maxConnections = positive(options.maxConnections, 4, "maxConnections");
    this.pingIntervalMs = positive(options.pingIntervalMs, 30_000, "pingIntervalMs");
    this.pingTimeoutMs = positive(options.pingTimeoutMs, 15_000, "pingTimeoutMs");
    this.idleTimeoutMs = positive(options.idleTimeoutMs, 5 * 60_000, "idleTimeoutMs");
    // Node's unit is the megabyte of 10^6 bytes; its default is 10.
    this.maxUnsentBytes = ((options.connect?.maxSessionMemory ?? 10) * 1_000_000) / 2;
  }

  /** Connections open now, for tests and diagnostics. */
  get size(): number {
    return this.connections.length;
  }

  /**
   * A connection for one more stream; give it back with `release()` when the stream closes.
   * Throws when the pool is closed.
   */
  acquire(): PooledConnection {
    if (this.closed)
      throw new Error(
        `the HTTP/2 connections to ${this.origin} are closed: make a new transport (or pool) to call it`,
      );
    let best: Connection | undefined;
    for (const c of this.connections) {
      if (!c.usable || c.suspected || c.session.destroyed || c.session.closed) continue;
      if (best === undefined || c.active < best.active) best = c;
    }
    if (
      best === undefined ||
      (best.active >= Math.min(this.maxStreams, best.serverMaxStreams) &&
        this.connections.length < this.maxConnections)
    ) {
      best = this.open();
    }
    if (best.active++ === 0) best.session.ref();
    best.lastActivity = performance.now();
    return best;
  }

  /** Gives back a connection taken with `acquire()`. */
  release(pooled: PooledConnection): void {
    const c = pooled as Connection;
    if (--c.active === 0) {
      c.lastActivity = performance.now();
      if (!c.session.destroyed) c.session.unref();
      // Retired for its memory (noteUnsent): closed once its last stream is done, not before, as
      // nghttp2 would refuse streams whose HEADERS are still queued.
      if (c.unsentBytes > this.maxUnsentBytes && !c.session.closed) c.session.close();
    }
  }

  /**
   * A stream of `pooled` closed before `bytes` of its request were sent, as when the server
   * answers before it reads the body. Node counts unsent request bytes against the session's
   * memory limit (`maxSessionMemory`, 10 MB by default) and keeps counting those of a closed
   * stream (Node 20): past the limit every stream of the session is reset with
   * ENHANCE_YOUR_CALM. So a connection whose unsent bytes pass half the limit takes no new stream
   * and closes once its streams are done.
   */
  noteUnsent(pooled: PooledConnection, bytes: number): void {
    const c = pooled as Connection;
    c.unsentBytes += bytes;
    if (c.unsentBytes > this.maxUnsentBytes) this.retire(c);
  }

  /** Closes every connection once its streams are done; later calls fail. */
  close(): Promise<void> {
    this.closed = true;
    const closing = this.connections.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.session.closed || c.session.destroyed) resolve();
          else c.session.close(resolve);
        }),
    );
    return Promise.all(closing).then(() => undefined);
  }

  /** Destroys every connection at once, failing the streams in flight. */
  destroy(): void {
    this.closed = true;
    for (const c of [...this.connections]) c.session.destroy();
  }

  private open(): Connection {
    const session = connect(this.origin, this.options.connect ?? {});
    const connection: Connection = {
      session,
      active: 0,
      failure: undefined,
      settings: undefined,
      usable: true,
      serverMaxStreams: Number.POSITIVE_INFINITY,
      unsentBytes: 0,
      lastActivity: performance.now(),
      timer: undefined,
      suspected: false,
    };
    session.unref();
    connection.settings = new Promise<boolean>((resolve) => {
      const settle = (known: boolean) => {
        clearTimeout(late);
        connection.settings = undefined;
        resolve(known);
      };
      // A server that sends no SETTINGS this long after connecting is not waited for any more.
      const late = setTimeout(() => settle(false), this.pingTimeoutMs).unref();
      session.once("remoteSettings", () => settle(true));
      session.once("close", () => settle(false));
    });
    session.on("remoteSettings", (settings) => {
      connection.serverMaxStreams = settings.maxConcurrentStreams ?? Number.POSITIVE_INFINITY;
    });
    // Without a listener an 'error' would be thrown; the streams see it through `failure`.
    session.on("error", (error) => {
      connection.failure = error;
      this.retire(connection);
    });
    session.on("goaway", () => this.retire(connection));
    session.on("close", () => this.retire(connection));
    // The server ended the connection (it closed, or died and its kernel closed for it): out of
    // the pool at once. Node closes the session only a loop turn or two later, and a call made in
    // between (a retry, a probe, whatever the same events set off) would be lost with it, as a
    // reset that may have been processed.
    session.socket.once("end", () => this.retire(connection));
    connection.timer = setInterval(() => this.check(connection), this.tickMs()).unref();
    this.connections.push(connection);
    return connection;
  }

  /** Leaves `connection` to finish its streams; new streams go elsewhere. */
  private retire(connection: Connection): void {
    connection.usable = false;
    clearInterval(connection.timer);
    const index = this.connections.indexOf(connection);
    if (index >= 0) this.connections.splice(index, 1);
  }

  /** Idle close, and keepalive pings on a busy connection that has been quiet. */
  private check(connection: Connection): void {
    const quietMs = performance.now() - connection.lastActivity;
    if (connection.active === 0) {
      if (quietMs >= this.idleTimeoutMs) {
        this.retire(connection);
        connection.session.close();
      }
      return;
    }
    if (quietMs < this.pingIntervalMs) return;
    this.ping(connection);
  }

  /**
   * A caller found `pooled` silent: a stream on it heard nothing for longer than its server
   * promised (a watch's heartbeats), as when a NAT or a balancer forgot the connection without a
   * reset. It takes no new stream until it answers a ping, and is dropped, failing its streams,
   * unless it does within `pingTimeoutMs`: the caller's next stream goes to another connection at
   * once, rather than waiting for the keepalive pings to find out.
   */
  suspect(pooled: PooledConnection): void {
    const c = pooled as Connection;
    if (!c.usable || c.suspected || c.session.destroyed) return;
    c.suspected = true;
    this.ping(c);
  }

  /** Pings `connection`; one that does not answer within pingTimeoutMs is destroyed. */
  private ping(connection: Connection): void {
    const timeout = setTimeout(() => {
      const error = Object.assign(
        new Error(`no answer to an HTTP/2 ping within ${this.pingTimeoutMs} ms`),
        { code: "ETIMEDOUT" },
      );
      connection.failure = error;
      // Out of the pool at once: node reports the session's end only after failing its streams,
      // and a retry made in between must get a fresh connection.
      this.retire(connection);
      connection.session.destroy(error);
    }, this.pingTimeoutMs).unref();
    const sent = connection.session.ping((error) => {
      clearTimeout(timeout);
      if (error === null) {
        connection.lastActivity = performance.now();
        connection.suspected = false;
      }
    });
    if (!sent) {
      clearTimeout(timeout);
      connection.suspected = false;
    }
  }

  private tickMs(): number {
    return Math.max(10, Math.min(this.pingIntervalMs, this.idleTimeoutMs) / 2);
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value >= 1)) {
    throw new TypeError(
      `HTTP/2 pool option \`${name}\` must be a number of at least 1, got ${value}`,
    );
  }
  return value;
}
