// A fault-injecting HTTP proxy for tests: it sits between a client and a real service, forwards
// requests for real, and answers some of them with a fault instead (an HTTP status, a gRPC status,
// a connection reset before or after the service saw the request, a stall, a delay), recording
// every attempt, so retry behaviour can be proved with attempts counted at the proxy.
//
// One port speaks HTTP/1.1 and cleartext HTTP/2 (prior knowledge), like the reference services.
// HTTP/1.1 requests go upstream over HTTP/1.1 (keep-alive agent), HTTP/2 requests over one HTTP/2
// session, so the protocol a client speaks is the protocol the service sees. HTTP/2 trailers (gRPC
// status) are forwarded.
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { createProtocolListener } from "../../src/server/serve/listener.js";

/** What the proxy does with one request. */
export type Fault =
  /** Pass the request through to the upstream and its answer back. */
  | { kind: "forward" }
  /**
   * Answer this HTTP status without forwarding, e.g. 503 with `{ "retry-after": "0" }`, or 429.
   * `body` defaults to empty; set a `content-type` header along with it.
   */
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string }
  /**
   * Answer a gRPC trailers-only response without forwarding: HTTP 200, content-type
   * application/grpc, `grpc-status: code`, `grpc-message` (percent-encoded) and `trailers`, e.g.
   * code 14 with `{ "grpc-retry-pushback-ms": "150" }`.
   */
  | { kind: "grpc-status"; code: number; message?: string; trailers?: Record<string, string> }
  /**
   * Reset the connection without forwarding: the upstream never sees the request. The TCP
   * connection is reset (RST), for HTTP/2 with every stream on it. For HTTP/2, `rstStream` resets
   * only this stream instead, with that RST_STREAM error code (e.g.
   * `http2.constants.NGHTTP2_REFUSED_STREAM`); HTTP/1.1 ignores it.
   *
   * `after` is when: once the whole request body has arrived ("body", the default), or as soon as
   * the request headers have ("headers": for calls whose request stays open, e.g. bidi streams).
   */
  | { kind: "reset-request"; rstStream?: number; after?: "headers" | "body" }
  /**
   * Forward the request and read the upstream's whole response (the upstream really processed
   * it), then reset instead of answering, as `reset-request` does.
   */
  | { kind: "reset-response"; rstStream?: number }
  /** Never answer, until the client gives up or the proxy closes. The request body is drained. */
  | { kind: "stall" }
  /** Wait `ms`, then apply `fault`. (Not named `then`: an object with one is a thenable.) */
  | { kind: "delay"; ms: number; fault: Fault };

/** One request the proxy received. */
export interface Attempt {
  /** 0-based over the proxy's life (or since the last reset()). */
  readonly index: number;
  readonly method: string;
  /** E.g. "/contextiq.sessions.v1.SessionsService/CreateSession". */
  readonly path: string;
  readonly httpVersion: "1.1" | "2";
  /**
   * Request headers as received, lowercase names, without HTTP/2 pseudo-headers; repeated ones
   * joined with ", ". E.g. `grpc-timeout`, `connect-timeout-ms`.
   */
  readonly headers: Record<string, string>;
  /** performance.now() when the request's headers arrived. */
  readonly receivedAtMs: number;
  /** The kind of fault the plan chose ("delay" for a delayed one). */
  readonly fault: Fault["kind"];
}

/** What a plan is asked about each request. */
export interface PlannedRequest {
  readonly path: string;
  readonly httpVersion: "1.1" | "2";
  readonly headers: Record<string, string>;
  /** How many earlier requests to the same path arrived since this plan was set. */
  readonly attemptOfPath: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** Base URL to give clients, e.g. "http://127.0.0.1:54321". */
  readonly url: string;
  /** Every request seen since start or the last reset(), in arrival order. */
  readonly attempts: readonly Attempt[];
  /** The attempts whose path ends in "/" + `method`, e.g. "CreateEvent". */
  attemptsFor(method: string): Attempt[];
  /** Sets the plan, asked for every request from now on. Counting for `attemptOfPath` restarts. */
  plan(next: (request: PlannedRequest) => Fault): void;
  /**
   * Applies `faults` in order to the first attempts to each path ending in "/" + `method` (every
   * path when undefined), counted per path from now on, then forwards. Other paths are forwarded.
   */
  failFirst(faults: readonly Fault[], method?: string): void;
  /** Forgets the attempts and sets the plan back to forwarding everything. */
  reset(): void;
  /** Closes the listener and destroys every client and upstream connection. Safe to call twice. */
  close(): Promise<void>;
}

/** Answers from the proxy itself use this header, to tell them apart from the upstream's. */
const proxyHeader = "x-fault-proxy";

/** Headers that concern one connection only (RFC 9110 §7.6.1), never forwarded. */
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "transfer-encoding",
  "upgrade",
  "host",
  "http2-settings",
]);

type HeaderValue = string | string[] | number | undefined;

/** Starts a proxy in front of `upstreamUrl` (e.g. a service's "http://127.0.0.1:PORT"). */
export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const upstreamHost = upstream.host;
  const upstreamPort = upstream.port === "" ? 80 : Number(upstream.port);

  let attempts: Attempt[] = [];
  let counted = 0;
  let chooser: (request: PlannedRequest) => Fault = forwardAll;
  let perPath = new Map<string, number>();
  let closed = false;

  const timers = new Set<NodeJS.Timeout>();
  /** Every accepted client socket, whichever protocol it speaks. */
  const sockets = new Set<Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  /** The raw socket of each HTTP/2 session (its `socket` property is a proxy that cannot reset). */
  const sessionSockets = new WeakMap<http2.Http2Session, Socket>();
  let handedToHttp2: Socket | undefined;

  const agent = new http.Agent({ keepAlive: true });
  let upstreamSession: http2.ClientHttp2Session | undefined;
  const upstreamSessions = new Set<http2.ClientHttp2Session>();

  const getUpstreamSession = (): http2.ClientHttp2Session => {
    if (upstreamSession && !upstreamSession.closed && !upstreamSession.destroyed) {
      return upstreamSession;
    }
    const session = http2.connect(upstream.origin);
    session.on("error", ignore);
    const forget = () => {
      if (upstreamSession === session) upstreamSession = undefined;
    };
    session.on("goaway", forget);
    session.on("close", () => {
      forget();
      upstreamSessions.delete(session);
    });
    upstreamSessions.add(session);
    upstreamSession = session;
    return session;
  };

  /** Records the request, asks the plan, and applies the fault it chose. */
  const handle = (exchange: Exchange) => {
    const receivedAtMs = performance.now();
    const attemptOfPath = perPath.get(exchange.path) ?? 0;
    perPath.set(exchange.path, attemptOfPath + 1);
    let fault: Fault;
    try {
      fault = chooser({
        path: exchange.path,
        httpVersion: exchange.httpVersion,
        headers: exchange.headers,
        attemptOfPath,
      });
    } catch (error) {
      fault = { kind: "status", status: 500, body: `fault plan threw: ${String(error)}` };
    }
    attempts.push({
      index: counted++,
      method: exchange.method,
      path: exchange.path,
      httpVersion: exchange.httpVersion,
      headers: exchange.headers,
      receivedAtMs,
      fault: fault.kind,
    });
    apply(fault, exchange);
  };

  const apply = (fault: Fault, exchange: Exchange): void => {
    if (closed || exchange.isClosed()) {
      return;
    }
    switch (fault.kind) {
      case "forward":
        exchange.forward(false);
        return;
      case "status":
        exchange.respond(
          fault.status,
          { [proxyHeader]: "status", ...lowercase(fault.headers ?? {}) },
          fault.body ?? "",
          false,
        );
        return;
      case "grpc-status": {
        const headers: Record<string, string> = {
          [proxyHeader]: "grpc-status",
          "content-type": "application/grpc",
          "grpc-status": String(fault.code),
          ...lowercase(fault.trailers ?? {}),
        };
        if (fault.message !== undefined) {
          headers["grpc-message"] = encodeURIComponent(fault.message);
        }
        exchange.respond(200, headers, "", true);
        return;
      }
      case "reset-request":
        if (fault.after === "headers") {
          exchange.reset(fault.rstStream);
        } else {
          exchange.afterBody(() => exchange.reset(fault.rstStream));
        }
        return;
      case "reset-response":
        exchange.forward(true, fault.rstStream);
        return;
      case "stall":
        exchange.drain();
        return;
      case "delay": {
        // The request body waits in the stream, unread, for whatever `fault` comes next.
        const timer = setTimeout(() => {
          timers.delete(timer);
          apply(fault.fault, exchange);
        }, fault.ms);
        timers.add(timer);
        return;
      }
    }
  };

  const http1Server = http.createServer((request, response) => {
    handle(
      new Http1Exchange(request, response, {
        agent,
        host: upstream.hostname,
        port: upstreamPort,
        authority: upstreamHost,
      }),
    );
  });
  http1Server.on("clientError", (_error, socket) => socket.destroy());

  const http2Server = http2.createServer();
  // Node's own 'connection' listener creates the session and emits 'session' synchronously, so
  // the raw socket noted just before is the session's.
  http2Server.prependListener("connection", (socket: Socket) => {
    handedToHttp2 = socket;
  });
  http2Server.on("session", (session) => {
    sessions.add(session);
    if (handedToHttp2) sessionSockets.set(session, handedToHttp2);
    handedToHttp2 = undefined;
    session.on("error", ignore);
    session.on("close", () => sessions.delete(session));
  });
  http2Server.on("sessionError", ignore);
  http2Server.on("stream", (stream, headers) => {
    stream.on("error", ignore);
    handle(
      new Http2Exchange(stream, headers, {
        session: getUpstreamSession,
        authority: upstreamHost,
        rawSocket: (session) => sessionSockets.get(session),
      }),
    );
  });

  const listener = createProtocolListener({
    http1: http1Server,
    http2: http2Server,
    sniffTimeoutMs: 5_000,
  });
  listener.prependListener("connection", (socket: Socket) => {
    if (closed) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  listener.on("error", ignore);
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(0, "127.0.0.1", () => {
      listener.off("error", reject);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;

  let closing: Promise<void> | undefined;
  const setPlan = (next: (request: PlannedRequest) => Fault) => {
    chooser = next;
    perPath = new Map();
  };

  return {
    url,
    get attempts() {
      return attempts;
    },
    attemptsFor: (method) => attempts.filter((a) => a.path.endsWith(`/${method}`)),
    plan: setPlan,
    failFirst: (faults, method) => {
      const list = [...faults];
      setPlan(({ path, attemptOfPath }) => {
        if (method !== undefined && !path.endsWith(`/${method}`)) return { kind: "forward" };
        return list[attemptOfPath] ?? { kind: "forward" };
      });
    },
    reset: () => {
      attempts = [];
      counted = 0;
      setPlan(forwardAll);
    },
    close: () => {
      closing ??= (async () => {
        closed = true;
        const listenerClosed = new Promise<void>((resolve) => listener.close(() => resolve()));
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        for (const session of upstreamSessions) session.destroy();
        agent.destroy();
        await listenerClosed;
      })();
      return closing;
    },
  };
}

function forwardAll(): Fault {
  return { kind: "forward" };
}

function ignore(): void {}

function lowercase(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

/** The names listed in a Connection header, which are hop-by-hop as well. */
function connectionTokens(value: HeaderValue): Set<string> {
  const text = Array.isArray(value) ? value.join(",") : String(value ?? "");
  return new Set(
    text
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ""),
  );
}

/**
 * The end-to-end headers of `headers`: without hop-by-hop ones, HTTP/2 pseudo-headers and those
 * the Connection header names. `te: trailers` is kept (gRPC requires it).
 */
function endToEnd(headers: Record<string, HeaderValue>): Record<string, string | string[]> {
  const listed = connectionTokens(headers["connection"]);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || lower.startsWith(":") || hopByHop.has(lower) || listed.has(lower)) {
      continue;
    }
    if (lower === "te" && String(value).toLowerCase() !== "trailers") {
      continue;
    }
    out[lower] = typeof value === "number" ? String(value) : value;
  }
  return out;
}

/** `headers` flattened for Attempt: no pseudo-headers, repeated values joined. */
function flatten(headers: Record<string, HeaderValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(":")) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

/** One request and its response, whichever HTTP version carries them. */
interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly httpVersion: "1.1" | "2";
  readonly headers: Record<string, string>;
  isClosed(): boolean;
  /** Answers without forwarding. `trailersOnly` ends an HTTP/2 stream with the headers frame. */
  respond(
    status: number,
    headers: Record<string, string>,
    body: string,
    trailersOnly: boolean,
  ): void;
  /** Resets the connection (or, for HTTP/2 with `rstStream`, the stream). */
  reset(rstStream: number | undefined): void;
  /** Forwards; with `thenReset`, reads the whole upstream response and resets instead. */
  forward(thenReset: boolean, rstStream?: number): void;
  /** Reads and discards the request body, never answering. */
  drain(): void;
  /** Reads and discards the request body, then calls `done` (unless the request is gone). */
  afterBody(done: () => void): void;
}

interface Http1Upstream {
  readonly agent: http.Agent;
  readonly host: string;
  readonly port: number;
  readonly authority: string;
}

class Http1Exchange implements Exchange {
  readonly method: string;
  readonly path: string;
  readonly httpVersion = "1.1" as const;
  readonly headers: Record<string, string>;

  constructor(
    private readonly request: http.IncomingMessage,
    private readonly response: http.ServerResponse,
    private readonly upstream: Http1Upstream,
  ) {
    this.method = request.method ?? "GET";
    this.path = request.url ?? "/";
    this.headers = flatten(request.headers);
    request.on("error", ignore);
    response.on("error", ignore);
  }

  isClosed(): boolean {
    return this.request.socket.destroyed || this.response.writableEnded;
  }

  respond(status: number, headers: Record<string, string>, body: string): void {
    this.request.resume();
    this.response.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
    this.response.end(body);
  }

  reset(): void {
    this.request.socket.resetAndDestroy();
  }

  drain(): void {
    this.request.resume();
  }

  afterBody(done: () => void): void {
    if (this.request.readableEnded) {
      done();
      return;
    }
    this.request.once("end", done);
    this.request.resume();
  }

  forward(thenReset: boolean): void {
    const { request, response } = this;
    const upstreamRequest = http.request({
      host: this.upstream.host,
      port: this.upstream.port,
      method: request.method,
      path: request.url,
      agent: this.upstream.agent,
      headers: { ...endToEnd(request.headers), host: this.upstream.authority },
    });
    upstreamRequest.on("error", (error) => {
      if (!response.headersSent && !this.request.socket.destroyed) {
        this.respond(502, { [proxyHeader]: "upstream-error" }, `upstream failed: ${error.message}`);
      } else {
        request.socket.destroy();
      }
    });
    let upstreamDone = false;
    response.on("close", () => {
      // The client went away first: stop the upstream call too.
      if (!upstreamDone) upstreamRequest.destroy();
    });
    upstreamRequest.on("response", (upstreamResponse) => {
      upstreamResponse.on("error", () => request.socket.destroy());
      upstreamResponse.once("end", () => {
        upstreamDone = true;
      });
      if (thenReset) {
        upstreamResponse.on("end", () => this.reset());
        upstreamResponse.resume();
        return;
      }
      response.writeHead(upstreamResponse.statusCode ?? 502, endToEnd(upstreamResponse.headers));
      upstreamResponse.pipe(response, { end: false });
      upstreamResponse.on("end", () => {
        const trailers = endToEnd(upstreamResponse.trailers);
        if (Object.keys(trailers).length > 0) response.addTrailers(trailers);
        response.end();
      });
    });
    request.pipe(upstreamRequest);
  }
}

interface Http2Upstream {
  session(): http2.ClientHttp2Session;
  readonly authority: string;
  rawSocket(session: http2.Http2Session): Socket | undefined;
}

class Http2Exchange implements Exchange {
  readonly method: string;
  readonly path: string;
  readonly httpVersion = "2" as const;
  readonly headers: Record<string, string>;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly requestHeaders: http2.IncomingHttpHeaders,
    private readonly upstream: Http2Upstream,
  ) {
    this.method = String(requestHeaders[":method"] ?? "GET");
    this.path = String(requestHeaders[":path"] ?? "/");
    this.headers = flatten(requestHeaders);
  }

  isClosed(): boolean {
    return this.stream.closed || this.stream.destroyed;
  }

  respond(
    status: number,
    headers: Record<string, string>,
    body: string,
    trailersOnly: boolean,
  ): void {
    this.stream.resume();
    const endStream = trailersOnly || body === "";
    this.stream.respond({ ":status": status, ...headers }, { endStream });
    if (!endStream) this.stream.end(body);
  }

  reset(rstStream: number | undefined): void {
    if (rstStream !== undefined) {
      this.stream.close(rstStream);
      return;
    }
    const session = this.stream.session;
    const socket = session ? this.upstream.rawSocket(session) : undefined;
    if (socket) {
      socket.resetAndDestroy();
    } else {
      session?.destroy();
    }
  }

  drain(): void {
    this.stream.resume();
  }

  afterBody(done: () => void): void {
    if (this.stream.readableEnded) {
      done();
      return;
    }
    this.stream.once("end", done);
    this.stream.resume();
  }

  forward(thenReset: boolean, rstStream?: number): void {
    const { stream } = this;
    let upstreamStream: http2.ClientHttp2Stream;
    try {
      upstreamStream = this.upstream.session().request({
        ...endToEnd(this.requestHeaders),
        ":method": this.method,
        ":path": this.path,
        ":scheme": "http",
        ":authority": this.upstream.authority,
      });
    } catch (error) {
      this.respond(
        502,
        { [proxyHeader]: "upstream-error" },
        `upstream failed: ${String(error)}`,
        false,
      );
      return;
    }
    upstreamStream.on("error", ignore);
    stream.on("close", () => {
      if (!upstreamStream.closed) upstreamStream.close(http2.constants.NGHTTP2_CANCEL);
    });
    let responded = false;
    upstreamStream.on("close", () => {
      if (thenReset) {
        this.reset(rstStream);
        return;
      }
      if (stream.closed || stream.destroyed) return;
      if (!responded && !stream.headersSent) {
        const reason = `upstream stream closed with code ${upstreamStream.rstCode ?? "?"}`;
        this.respond(502, { [proxyHeader]: "upstream-error" }, reason, false);
      } else if (upstreamStream.rstCode !== undefined && upstreamStream.rstCode !== 0) {
        // The upstream reset the stream midway: pass that on.
        stream.close(upstreamStream.rstCode);
      }
    });
    upstreamStream.on("response", (headers, flags) => {
      responded = true;
      if (thenReset) {
        upstreamStream.resume();
        return;
      }
      if (stream.closed || stream.destroyed) return;
      const status = Number(headers[":status"] ?? 502);
      const responseHeaders = { ...endToEnd(headers), ":status": status };
      // A trailers-only answer (gRPC errors) ends the stream with its headers: keep that shape.
      if (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) {
        stream.respond(responseHeaders, { endStream: true });
        return;
      }
      let trailers: Record<string, string | string[]> = {};
      upstreamStream.on("trailers", (received) => {
        trailers = endToEnd(received);
      });
      stream.respond(responseHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => {
        try {
          stream.sendTrailers(trailers);
        } catch {
          stream.close();
        }
      });
      upstreamStream.pipe(stream);
    });
    stream.pipe(upstreamStream);
  }
}
