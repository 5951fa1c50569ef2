/**
 * serve(): one TCP port speaking gRPC, gRPC-Web and Connect over HTTP/1.1 and HTTP/2, cleartext or
 * TLS, with health checks, optional API-key auth, limits that hostile clients meet, and graceful
 * shutdown.
 */
import { setMaxListeners } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { resolvePort, resolveServiceLimits } from "../service-option-table.js";
import { createAuthInterceptor } from "./auth.js";
import { callContext } from "./call-context.js";
import {
  clientCertificateContext,
  createClientCertificateInterceptor,
} from "./client-certificate.js";
import { ConnectionTracker } from "./connections.js";
import { healthServiceName, registerHealth } from "./health.js";
import { createHealthHttpHandler } from "./health-http.js";
import { createProtocolListener, routeSecure } from "./listener.js";
import { createReadinessProbe } from "./readiness.js";
import { guardRequests } from "./request-guards.js";
import { limitRequestTime } from "./request-time.js";
import { serviceGzip } from "./service-compression.js";
import type { ServiceLimitOptions } from "./service-limit-options.js";
import { createTlsTerminator, type ServeTlsOptions } from "./tls.js";

/** How to serve a set of Connect routes. */
export interface ServeOptions extends ServiceLimitOptions {
  /** Registers the service handlers, as for connectNodeAdapter. */
  routes: (router: ConnectRouter) => void;
  /**
   * Fully-qualified names of the services in `routes`, reported by the health service, e.g.
   * "contextiq.sessions.v1.SessionsService".
   */
  serviceNames: readonly string[];
  /** Host to listen on. Defaults to "127.0.0.1". */
  host?: string;
  /** Port; 0 picks an ephemeral port. Defaults to 0. */
  port?: number;
  /**
   * When non-empty, every RPC except the health service needs `Authorization: Bearer <key>` or
   * `x-api-key: <key>` with one of these keys, else UNAUTHENTICATED.
   */
  apiKeys?: readonly string[];
  /**
   * Whether the backing store can take calls; health reports NOT_SERVING (gRPC) / 503 (HTTP
   * /health/ready) when it resolves false or rejects.
   */
  ready?: () => boolean | Promise<boolean>;
  /** Server-side Connect interceptors, applied after auth. */
  interceptors?: Interceptor[];
  /**
   * Serve HTTPS instead of cleartext: TLS on the same port for HTTP/2 and HTTP/1.1, chosen by
   * ALPN, and optionally mutual TLS. Defaults to none (cleartext, for a trusted network or a
   * proxy that terminates TLS).
   */
  tls?: ServeTlsOptions;
}

/** A server that is listening. */
export interface RunningServer {
  /** Base URL for clients, e.g. http://127.0.0.1:54321. */
  readonly url: string;
  /** The port listened on, useful when 0 was asked for. */
  readonly port: number;
  /**
   * Stops accepting connections, lets in-flight calls finish for up to `drainTimeoutMs`, then cuts
   * what is left. Resolves once every connection is closed; calling it again returns the same
   * promise.
   */
  close(): Promise<void>;
}

/**
 * JSON bodies must be valid UTF-8, as binary strings already must be (proto3 verifies them): the
 * default decoder would turn a bad byte into U+FFFD and store it as if it had been sent.
 * connect-node hands `jsonOptions` on to its JSON serialization, which takes the decoder from there
 * (its type does not list it; the invalid UTF-8 tests fail if that ever changes).
 */
const strictJson = {
  // Connect's default, said out loud: a field this server does not know yet (from a newer
  // client) is skipped, as the binary format skips it.
  ignoreUnknownFields: true,
  textDecoder: new TextDecoder("utf-8", { fatal: true }),
};

/** The most warning handlers get, through their context signal, before the drain bound cuts them. */
const maxShutdownNoticeMs = 1_000;
/** How often Health.Watch re-checks readiness. */
const healthPollIntervalMs = 1_000;

/** Starts serving `options.routes` plus health checks; resolves once listening. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  // Every option is checked before anything listens: a bad one is an InvalidOptionError.
  const askedPort = resolvePort(options, "port", "serve");
  const {
    drainTimeoutMs,
    requestTimeoutMs,
    handshakeTimeoutMs,
    idleTimeoutMs,
    maxConcurrentStreams,
    maxConnections,
    readMaxBytes,
    maxConnectionAgeMs,
    maxConnectionAgeGraceMs,
    compressMinBytes,
  } = resolveServiceLimits(options, "serve");

  // Aborted when close() starts: readiness turns false, and Watch and WatchEvents streams end.
  const draining = new AbortController();
  // Aborted just before the drain bound: every handler's context signal aborts with it.
  const shutdown = new AbortController();
  // Every call in flight listens on these; Node's default warning at 11 listeners is not a leak here.
  setMaxListeners(Number.POSITIVE_INFINITY, draining.signal, shutdown.signal);
  const probe = createReadinessProbe(options.ready, draining.signal);

  const apiKeys = options.apiKeys ?? [];
  const mutualTls = options.tls?.clientCa !== undefined;
  const interceptors: Interceptor[] = [
    // First in the list is outermost, so a call is authenticated before any other interceptor sees it.
    ...(mutualTls ? [createClientCertificateInterceptor([healthServiceName])] : []),
    ...(apiKeys.length > 0
      ? [createAuthInterceptor({ apiKeys, exemptServices: [healthServiceName] })]
      : []),
    ...(options.interceptors ?? []),
  ];

  const handler = guardRequests(
    connectNodeAdapter({
      routes: (router) => {
        options.routes(router);
        assertRoutes(router, options.serviceNames);
        registerHealth(router, {
          serviceNames: options.serviceNames,
          probe,
          draining: draining.signal,
          pollIntervalMs: healthPollIntervalMs,
        });
      },
      grpc: true,
      grpcWeb: true,
      connect: true,
      readMaxBytes,
      jsonOptions: strictJson,
      interceptors,
      contextValues: (request) =>
        callContext(
          request,
          draining.signal,
          mutualTls ? clientCertificateContext(request) : undefined,
        ),
      shutdownSignal: shutdown.signal,
      fallback: createHealthHttpHandler(probe),
      // gzip both ways, requests held to readMaxBytes once inflated (see service-compression.ts);
      // responses compressed from compressMinBytes, for clients that ask.
      acceptCompression: [serviceGzip],
      compressMinBytes: compressMinBytes === false ? Number.POSITIVE_INFINITY : compressMinBytes,
    }),
  );

  const tracker = new ConnectionTracker({ maxConnectionAgeMs, maxConnectionAgeGraceMs });
  const headersTimeoutMs = Math.min(handshakeTimeoutMs, requestTimeoutMs);
  const http1Server = http.createServer(
    {
      // What stops a client that sends its request a byte a minute. Node checks these every
      // connectionsCheckingInterval, 30 s unless told; a second keeps the bounds close to true.
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, headersTimeoutMs / 4)),
      // Not Node's 5 s: clients whose sockets all closed after a short pause reconnect them at
      // once, and a busy server accepts one connection per event-loop turn (libuv since 1.45),
      // each turn serving a request on every open connection: their calls waited for seconds.
      keepAliveTimeout: idleTimeoutMs,
    },
    (request, response) => {
      tracker.addHttp1Request(request, response);
      handler(request, response);
    },
  );
  // A socket with nothing sent either way for this long is closed: a client that stopped reading
  // its response would otherwise keep it, and the response's buffers, for good.
  http1Server.setTimeout(idleTimeoutMs);
  http1Server.on("connection", (socket) => tracker.addHttp1Socket(socket));
  const http2Server = http2.createServer({ settings: { maxConcurrentStreams } }, handler);
  http2Server.on("connection", (socket) => tracker.addHttp2Socket(socket));
  http2Server.on("session", (session) => {
    tracker.addHttp2Session(session);
    // A client must open with its SETTINGS as promptly as it sends anything else: over TLS, ALPN
    // hands a connection over before it has sent a byte of HTTP/2.
    const silent = setTimeout(() => session.destroy(), handshakeTimeoutMs).unref();
    session.once("remoteSettings", () => clearTimeout(silent));
    session.once("close", () => clearTimeout(silent));
    // No frame at all for this long, pings included: the client has gone or is holding the
    // connection for nothing. close() lets any stream still open finish, for a while: a client
    // that stopped reading (a zero flow-control window) would hold it open for good.
    session.setTimeout(idleTimeoutMs, () => {
      session.close();
      const cut = setTimeout(() => session.destroy(), requestTimeoutMs).unref();
      session.once("close", () => clearTimeout(cut));
    });
  });
  // Registered before the compatibility layer's own listener, so it sees every stream first.
  http2Server.prependListener("stream", (stream) => limitRequestTime(stream, requestTimeoutMs));

  const routes = { http1: http1Server, http2: http2Server, sniffTimeoutMs: handshakeTimeoutMs };
  const tlsTerminator =
    options.tls &&
    createTlsTerminator(options.tls, handshakeTimeoutMs, (socket) => {
      tracker.addSecureSocket(socket);
      if (!socket.destroyed) routeSecure(socket, routes);
    });
  const listener = createProtocolListener({ ...routes, tls: tlsTerminator });
  listener.maxConnections = maxConnections;
  // Tracked before it is routed, so a socket is never handed on untracked.
  listener.prependListener("connection", (socket) => tracker.addSocket(socket));

  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(askedPort, host, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  // After listening, 'error' only reports failed accepts (EMFILE and the like). They are transient
  // and must not crash the process, which an 'error' event without a listener would do.
  listener.on("error", (error) => console.error("serve: accepting a connection failed", error));

  // The HTTP/1.1 server never listens itself, and Node starts its connection checks (headersTimeout,
  // requestTimeout: what stops a client that sends headers a byte a minute) on 'listening' only.
  http1Server.emit("listening");
  const port = (listener.address() as AddressInfo).port;
  const url = `${options.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      draining.abort();
      const listenerClosed = new Promise<void>((resolve) => listener.close(() => resolve()));
      tracker.drain();
      // Handlers still running near the bound have their context signal aborted with UNAVAILABLE
      // a little before it, so those that honour it can answer with a status instead of being cut
      // mid-response; at the bound itself every remaining connection is destroyed.
      const notice = Math.min(maxShutdownNoticeMs, drainTimeoutMs / 5);
      const timers = [
        setTimeout(
          () => shutdown.abort(new ConnectError("server is shutting down", Code.Unavailable)),
          drainTimeoutMs - notice,
        ),
        setTimeout(() => tracker.destroy(), drainTimeoutMs),
      ];
      try {
        await Promise.all([tracker.idle(), listenerClosed]);
        // Stops the connection checks started above; it never listened, so it reports an error.
        http1Server.close(() => {});
      } finally {
        for (const timer of timers) {
          clearTimeout(timer);
        }
      }
    })();
    return closing;
  };

  return { url, port, close };
}

/** Catches wiring mistakes at startup rather than as confusing health answers later. */
function assertRoutes(router: ConnectRouter, serviceNames: readonly string[]): void {
  const registered = new Set(router.handlers.map((h) => h.service.typeName));
  if (registered.has(healthServiceName)) {
    throw new Error(`routes must not register ${healthServiceName}: serve() provides it`);
  }
  for (const name of serviceNames) {
    if (!registered.has(name)) {
      throw new Error(`serviceNames lists "${name}", which routes do not register`);
    }
  }
}
