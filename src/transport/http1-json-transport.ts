import type { ClientRequest, IncomingMessage } from "node:http";
import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { writeConnectDeadline } from "../policy/deadline-header.js";
import { unreadCallSignal } from "./call-signal.js";
import { gzip, gzipEncoding } from "./compression.js";
import {
  answerKind,
  errorFromAnswer,
  gunzipAnswer,
  isGzipped,
  splitTrailers,
} from "./connect-json-status.js";
import { parseBaseUrl, requestTooLarge, responseTooLarge } from "./endpoint-target.js";
import { fromJsonUnboxed } from "./from-json-unboxed.js";
import { type Http1Endpoint, type Http1EndpointTarget, http1Endpoint } from "./http1-endpoint.js";
import { errorFromSocket, resetError } from "./http1-socket-error.js";
import { createHttp1JsonStreamSender } from "./http1-stream-exchange.js";
import { lazyHeadersFromHttp2 } from "./http2-headers.js";
import {
  createKeepAliveAgent,
  failedOnClosedSocket,
  type KeepAliveAgent,
  type KeepAliveAgentOptions,
} from "./keep-alive-agent.js";
import { createStreamCall } from "./stream-call.js";
import { untilMessagesEnd } from "./stream-until-end.js";
import { toJsonBulk } from "./to-json-bulk.js";
import type { ClosableTransport, TransportOptions } from "./transport-options.js";
import { createUnaryCall } from "./unary-call.js";

/** Options of {@link createHttp1JsonTransport}. */
export interface Http1JsonTransportOptions extends TransportOptions {
  /** Sockets to share with other transports; the transport then leaves them open on close. */
  readonly agent?: KeepAliveAgent | undefined;
  /** How the transport's own agent connects and keeps sockets, when `agent` is not given. */
  readonly agentOptions?: KeepAliveAgentOptions | undefined;
}

/** A connect Transport for the Connect protocol's JSON over HTTP/1.1, with a way to close it. */
export type Http1JsonTransport = ClosableTransport;

const userAgent = "contextiq-clients/0.1 connect-json-http1";
/** connect's default for reading JSON: a field this client does not know yet is skipped. */
const jsonReadOptions = { ignoreUnknownFields: true };
/** Headers the transport writes itself, whatever the caller's header holds. */
const ownHeaders = new Set([
  "host",
  "content-type",
  "content-length",
  "connect-protocol-version",
  "content-encoding",
  "accept-encoding",
]);
/** The body of an error answer is read up to this much; beyond, the socket is let go. */
const maxDiscardBytes = 64 * 1024;

/**
 * The Connect protocol with JSON bodies over `node:http`, for unary calls at high rates: the
 * request's headers and body in one write, the answer collected from the response's events,
 * no async iterables and no per-call timers beyond the deadline's. Keep-alive sockets retire
 * before the server's keep-alive timeout, and a call whose reused socket the server had closed
 * is sent again at once on another (see keep-alive-agent.ts). It implements connect's
 * `Transport`, so generated clients and interceptors work on it unchanged. Server-streaming calls
 * hold a socket of the same agent for the stream's life (see http1-stream-exchange.ts);
 * client-streaming and bidi calls fail with UNIMPLEMENTED, as they need HTTP/2.
 */
export function createHttp1JsonTransport(options: Http1JsonTransportOptions): Http1JsonTransport {
  const { url, baseUrl, target } = parseBaseUrl(options);
  const agent = options.agent ?? createKeepAliveAgent(url.origin, options.agentOptions);
  const endpoint = { ...target, hostname: url.hostname.replace(/^\[|\]$/g, ""), port: url.port };
  const send = createHttp1JsonSender(agent, endpoint);
  let inFlight = 0;
  let closing: (() => void) | undefined;
  let closed: Promise<void> | undefined;
  const call = createUnaryCall({
    baseUrl,
    interceptors: options.interceptors,
    defaultTimeoutMs: options.defaultTimeoutMs,
    writeDeadline: writeConnectDeadline,
    send,
  });
  const streamCall = createStreamCall({
    baseUrl,
    interceptors: options.interceptors,
    defaultTimeoutMs: options.defaultTimeoutMs,
    writeDeadline: writeConnectDeadline,
    send: createHttp1JsonStreamSender(agent, endpoint),
  });
  const callEnded = () => {
    if (--inFlight === 0) closing?.();
  };

  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      if (closed) {
        throw new ConnectError("the HTTP/1.1 JSON transport is closed", Code.FailedPrecondition);
      }
      inFlight++;
      try {
        return await call(method, signal, timeoutMs, header, input, contextValues);
      } finally {
        callEnded();
      }
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      if (closed) {
        throw new ConnectError("the HTTP/1.1 JSON transport is closed", Code.FailedPrecondition);
      }
      // In flight until its messages are read to the end or the reader stops: close() waits.
      inFlight++;
      try {
        const response = await streamCall(method, signal, timeoutMs, header, input, contextValues);
        return untilMessagesEnd(response, callEnded);
      } catch (error) {
        callEnded();
        throw error;
      }
    },
    close() {
      closed ??= options.agent
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            closing = resolve;
            if (inFlight === 0) resolve();
          }).then(() => agent.destroy());
      return closed;
    },
  };
}

/**
 * The attempts of one endpoint over Connect JSON on HTTP/1.1: each on a keep-alive socket of
 * `agent` to `target.hostname`, with `target.authority` as the Host header.
 */
export function createHttp1JsonSender(
  agent: KeepAliveAgent,
  target: Http1EndpointTarget,
): (req: UnaryRequest) => Promise<UnaryResponse> {
  const endpoint = http1Endpoint(agent, target);
  return (req) => sendUnary(endpoint, req);
}

type Endpoint = Http1Endpoint;

/**
 * One attempt: the request on a keep-alive socket, the answer from the response's events. A
 * request body of at least `target.compressMinBytes` is gzipped first, once for every attempt of
 * the exchange; a smaller one goes as the string it is.
 */
function sendUnary(target: Endpoint, req: UnaryRequest): Promise<UnaryResponse> {
  return new Promise((resolve, reject) => {
    // The call's own cancellation, without an AbortSignal, unless something made or replaced one.
    const call = unreadCallSignal(req);
    const signal = call === undefined ? req.signal : undefined;
    if (call ? call.aborted : signal?.aborted) {
      reject(ConnectError.from(call ? call.reason : signal?.reason, Code.Canceled));
      return;
    }
    let body: string | Buffer;
    try {
      body = JSON.stringify(toJsonBulk(req.method.input, req.message));
    } catch (error) {
      reject(ConnectError.from(error, Code.Internal));
      return;
    }
    const length = Buffer.byteLength(body);
    if (length > target.writeMaxBytes) {
      reject(requestTooLarge(length, target));
      return;
    }
    // Raw header lines: node then skips validating and storing each header one by one.
    const headers = [
      "host",
      target.authority,
      "content-type",
      "application/json",
      "connect-protocol-version",
      "1",
      "content-length",
      String(length),
    ];
    // Where the length goes, should the body be gzipped.
    const contentLengthAt = headers.length - 1;
    const { compressMinBytes } = target;
    const acceptsGzip = compressMinBytes !== undefined;
    if (acceptsGzip) headers.push("accept-encoding", gzipEncoding);
    let userAgentSet = false;
    req.header.forEach((value, name) => {
      if (ownHeaders.has(name)) return;
      if (name === "user-agent") userAgentSet = true;
      headers.push(name, value);
    });
    if (!userAgentSet) headers.push("user-agent", userAgent);
    const requestOptions = {
      hostname: target.hostname,
      port: target.port,
      path: `${target.pathPrefix}/${req.service.typeName}/${req.method.name}`,
      method: "POST",
      headers,
      agent: target.agent,
    };

    let settled = false;
    let current: ClientRequest | undefined;
    const settle = (outcome: () => UnaryResponse | ConnectError) => {
      if (settled) return;
      settled = true;
      if (call) call.removeListener(onAbort);
      else signal?.removeEventListener("abort", onSignalAbort);
      let result: UnaryResponse | ConnectError;
      try {
        result = outcome();
      } catch (error) {
        result = ConnectError.from(error, Code.Internal);
      }
      if (result instanceof ConnectError) reject(result);
      else resolve(result);
    };
    const onAbort = (reason: unknown) => {
      settle(() => ConnectError.from(reason, Code.Canceled));
      current?.destroy();
    };
    const onSignalAbort = () => onAbort(signal?.reason);
    if (call) call.addListener(onAbort);
    else signal?.addEventListener("abort", onSignalAbort);

    const attempt = () => {
      let request: ClientRequest;
      try {
        request = target.request(requestOptions);
      } catch (error) {
        // A header value node refuses: the caller's mistake, not worth a retry.
        settle(() => ConnectError.from(error, Code.Internal));
        return;
      }
      current = request;
      request.on("error", (error) => {
        if (settled || request !== current) return;
        if (failedOnClosedSocket(request, error)) {
          // Not a retry: the server closed the socket before reading the request. The free
          // sockets that idled as long are closed too, so this goes out on a live one.
          if (request.socket) target.agent.retireSocketsIdleSince(request.socket);
          attempt();
          return;
        }
        settle(() => errorFromSocket(error));
      });
      request.on("response", (response) => receive(request, response));
      request.end(body);
    };

    const receive = (request: ClientRequest, response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const kind = answerKind(status, response.headers, acceptsGzip);
      if (kind instanceof ConnectError) {
        discard(request, response);
        settle(() => kind);
        return;
      }
      const declared = Number(response.headers["content-length"]);
      if (declared > target.readMaxBytes) {
        request.destroy();
        settle(tooLarge);
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on("data", (chunk: Buffer) => {
        received += chunk.byteLength;
        if (received > target.readMaxBytes) {
          request.destroy();
          settle(tooLarge);
          return;
        }
        chunks.push(chunk);
      });
      response.on("end", () => {
        const received = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        if (!isGzipped(response.headers)) {
          const text = received.toString();
          settle(() => answered(req, response, kind, text));
          return;
        }
        gunzipAnswer(status, received, target.readMaxBytes).then(
          (text) => settle(() => answered(req, response, kind, text)),
          (error: unknown) => settle(() => ConnectError.from(error, Code.Internal)),
        );
      });
      // A response cut short: node reports it as "aborted" (ECONNRESET), through 'error' or,
      // should no error come, by closing before the end.
      response.on("error", (error) => settle(() => errorFromSocket(error)));
      response.on("close", () => {
        if (!response.complete) settle(() => errorFromSocket(resetError("response cut short")));
      });
    };

    const tooLarge = () => responseTooLarge(target);

    if (compressMinBytes === undefined || length < compressMinBytes) {
      attempt();
      return;
    }
    gzip(Buffer.from(body)).then(
      (compressed) => {
        // A call cancelled meanwhile was settled: nothing goes out.
        if (settled) return;
        body = compressed;
        headers[contentLengthAt] = String(compressed.byteLength);
        headers.push("content-encoding", gzipEncoding);
        attempt();
      },
      (error: unknown) => settle(() => ConnectError.from(error, Code.Internal)),
    );
  });
}

/** What an answer of `kind` whose body, inflated, is `text` says: its message, or its error. */
function answered(
  req: UnaryRequest,
  response: IncomingMessage,
  kind: "message" | "error",
  text: string,
): UnaryResponse | ConnectError {
  return kind === "error"
    ? errorFromAnswer(response.statusCode ?? 0, response.headers, text)
    : message(req, response, text);
}

/** The response of a 200 answer whose body is `text`. */
function message(req: UnaryRequest, response: IncomingMessage, text: string): UnaryResponse {
  let output: unknown;
  try {
    output = fromJsonUnboxed(req.method.output, JSON.parse(text), jsonReadOptions);
  } catch (error) {
    throw ConnectError.from(error, Code.Internal);
  }
  const [header, trailer] = splitTrailers(response.headers);
  return {
    stream: false,
    service: req.service,
    method: req.method,
    // node's HTTP/1.1 headers have the shape of its HTTP/2 ones, without pseudo-headers.
    header: lazyHeadersFromHttp2(header),
    trailer: lazyHeadersFromHttp2(trailer),
    message: output,
  } as UnaryResponse;
}

/**
 * Lets an answer whose body is not needed go: a small one is read to its end, so that its socket
 * serves the next call; a larger one, or one of unknown length, costs the socket instead.
 */
function discard(request: ClientRequest, response: IncomingMessage): void {
  const declared = Number(response.headers["content-length"]);
  if (declared <= maxDiscardBytes) response.resume();
  else request.destroy();
}

export type { Http1EndpointTarget };
