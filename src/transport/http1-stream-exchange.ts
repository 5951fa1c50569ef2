import type { ClientRequest, IncomingMessage, RequestOptions } from "node:http";
import { Code, ConnectError, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import { gunzipWithin, gzipEncoding } from "./compression.js";
import { errorFromAnswer } from "./connect-json-status.js";
import { connectStreamRequestBody } from "./connect-stream-request.js";
import { endOfStream, endStreamFlag, streamAnswerKind } from "./connect-stream-status.js";
import { responseTooLarge } from "./endpoint-target.js";
import { compressedFlag, type Envelope, EnvelopeReader } from "./enveloped-messages.js";
import { fromJsonUnboxed } from "./from-json-unboxed.js";
import { type Http1Endpoint, type Http1EndpointTarget, http1Endpoint } from "./http1-endpoint.js";
import { errorFromSocket, resetError } from "./http1-socket-error.js";
import { lazyHeadersFromHttp2 } from "./http2-headers.js";
import { failedOnClosedSocket, type KeepAliveAgent } from "./keep-alive-agent.js";

const userAgent = "contextiq-clients/0.1 connect-json-http1";
/** connect's default for reading JSON: a field this client does not know yet is skipped. */
const jsonReadOptions = { ignoreUnknownFields: true };
/** Headers the exchange writes itself, whatever the caller's header holds. */
const ownHeaders = new Set([
  "host",
  "content-type",
  "content-length",
  "connect-protocol-version",
  "connect-content-encoding",
  "connect-accept-encoding",
]);
/**
 * Bytes received ahead of a reader that does not pull, past which the response is paused: node
 * then stops reading the socket, TCP's window closes, and the server's writes block, instead of
 * its messages piling up here. A message larger than this is still read whole.
 */
const highWaterBytes = 64 * 1024;
/** The JSON error body of a non-200 answer is read up to this much; beyond, the socket is let go. */
const maxErrorBodyBytes = 64 * 1024;

/**
 * The server-streaming calls of one endpoint over Connect JSON on HTTP/1.1: each on a keep-alive
 * socket of `agent`, which it holds until the response has been read to its end (and then gives
 * back) or the stream stops early (and then closes). The response is paused while the reader
 * lags, so that a slow reader slows the server down rather than filling memory. Client-streaming
 * and bidi methods fail with UNIMPLEMENTED: they need HTTP/2.
 */
export function createHttp1JsonStreamSender(
  agent: KeepAliveAgent,
  target: Http1EndpointTarget,
): (req: StreamRequest) => Promise<StreamResponse> {
  const endpoint = http1Endpoint(agent, target);
  return (req) => sendStream(endpoint, req);
}

type Endpoint = Http1Endpoint;

async function sendStream(target: Endpoint, req: StreamRequest): Promise<StreamResponse> {
  const { method } = req;
  if (method.methodKind !== "server_streaming") throw notServerStreaming(method);
  if (req.signal.aborted) throw ConnectError.from(req.signal.reason, Code.Canceled);
  const { body, gzipped } = await connectStreamRequestBody(method, req.message, target);
  const options: RequestOptions = {
    hostname: target.hostname,
    port: target.port,
    path: `${target.pathPrefix}/${method.parent.typeName}/${method.name}`,
    method: "POST",
    headers: requestHeaders(target, req.header, body.byteLength, gzipped),
    agent: target.agent,
  };
  return new Http1ServerStream(target, req, body, options).open();
}

/**
 * The error of a call this exchange does not make. Bidi streaming needs HTTP/2, the Connect
 * protocol says; client streaming could go as a chunked HTTP/1.1 body, but the contracts have no
 * such method, and the HTTP/2 transports make both.
 */
function notServerStreaming(method: StreamRequest["method"]): ConnectError {
  const name = `${method.parent.typeName}.${method.name}`;
  if ((method.methodKind as string) === "unary") {
    return new ConnectError(`${name} is a unary method, not a stream`, Code.Unimplemented);
  }
  return new ConnectError(
    `${name} is a ${method.methodKind.replace("_", " ")} method: over HTTP/1.1 the Connect JSON ` +
      "transport streams from the server only; call it over HTTP/2 (createHttp2JsonTransport or " +
      "createHttp2GrpcTransport)",
    Code.Unimplemented,
  );
}

/** Raw header lines: node then skips validating and storing each header one by one. */
function requestHeaders(
  target: Endpoint,
  header: Headers,
  length: number,
  gzipped: boolean,
): string[] {
  const headers = [
    "host",
    target.authority,
    "content-type",
    "application/connect+json",
    "connect-protocol-version",
    "1",
    "content-length",
    String(length),
  ];
  // gzip is offered when compression is on, as the HTTP/2 transports and unary calls do.
  if (target.compressMinBytes !== undefined) headers.push("connect-accept-encoding", gzipEncoding);
  if (gzipped) headers.push("connect-content-encoding", gzipEncoding);
  let userAgentSet = false;
  header.forEach((value, name) => {
    if (ownHeaders.has(name)) return;
    if (name === "user-agent") userAgentSet = true;
    headers.push(name, value);
  });
  if (!userAgentSet) headers.push("user-agent", userAgent);
  return headers;
}

/**
 * One server-streaming call on one socket: the request sent (again on another socket, should a
 * reused one turn out closed before the server read it), then the response's messages, read as
 * the reader pulls them. The first failure wins: the call's cancel or deadline, the socket, or
 * the stream itself; it closes the socket unless the response had been read to its end.
 */
class Http1ServerStream {
  private request: ClientRequest | undefined;
  private response: IncomingMessage | undefined;
  private readonly reader: EnvelopeReader;
  private readonly trailer = new Headers();
  private header = new Headers();
  /** Whether the response's messages are gzipped. */
  private gzipped = false;
  /** Whether the response's body was read to its end: its socket then went back to the agent. */
  private bodyEnded = false;
  private failure: ConnectError | undefined;
  /** Whether the messages whole before the failure are read first: the socket broke after them. */
  private failedAfterMessages = false;
  /** Whether the reader is done with the messages, one way or another. */
  private finished = false;
  private opening:
    | { resolve: (response: StreamResponse) => void; reject: (error: ConnectError) => void }
    | undefined;
  /** Wakes a reader waiting for bytes, the body's end, or a failure. */
  private wake: (() => void) | undefined;

  constructor(
    private readonly target: Endpoint,
    private readonly req: StreamRequest,
    private readonly body: Buffer,
    private readonly options: RequestOptions,
  ) {
    this.reader = new EnvelopeReader(target.readMaxBytes, () => responseTooLarge(target));
  }

  /** Sends the request; resolves with the response once its headers came. */
  open(): Promise<StreamResponse> {
    return new Promise((resolve, reject) => {
      this.opening = { resolve, reject };
      this.req.signal.addEventListener("abort", this.onAbort);
      if (this.req.signal.aborted) this.onAbort();
      else this.attempt();
    });
  }

  private readonly onAbort = () => {
    this.fail(ConnectError.from(this.req.signal.reason, Code.Canceled));
  };

  private attempt(): void {
    let request: ClientRequest;
    try {
      request = this.target.request(this.options);
    } catch (error) {
      // A header value node refuses: the caller's mistake.
      this.fail(ConnectError.from(error, Code.Internal));
      return;
    }
    this.request = request;
    request.on("error", (error) => {
      if (request !== this.request) return;
      if (
        this.response === undefined &&
        this.failure === undefined &&
        failedOnClosedSocket(request, error)
      ) {
        // Not a retry: the server closed the socket before reading the request. The free
        // sockets that idled as long are closed too, so this goes out on a live one.
        if (request.socket) this.target.agent.retireSocketsIdleSince(request.socket);
        this.attempt();
        return;
      }
      this.fail(errorFromSocket(error));
    });
    request.on("response", (response) => this.receive(response));
    request.end(this.body);
  }

  private receive(response: IncomingMessage): void {
    if (this.failure !== undefined) return;
    const status = response.statusCode ?? 0;
    const kind = streamAnswerKind(status, response.headers);
    if (kind instanceof ConnectError) {
      this.fail(kind);
      return;
    }
    if (kind === "error") {
      this.readError(status, response);
      return;
    }
    if (kind === gzipEncoding && this.target.compressMinBytes === undefined) {
      // gzip was not offered (compression is off): an answer in it is a protocol error.
      this.fail(new ConnectError(`unsupported response encoding "${gzipEncoding}"`, Code.Internal));
      return;
    }
    this.response = response;
    this.gzipped = kind === gzipEncoding;
    // node's HTTP/1.1 headers have the shape of its HTTP/2 ones, without pseudo-headers.
    this.header = lazyHeadersFromHttp2(response.headers);
    response.on("data", (chunk: Buffer) => this.hold(chunk));
    response.on("end", () => {
      this.bodyEnded = true;
      this.wakeReader();
    });
    // A response cut short: node reports it as "aborted" (ECONNRESET), through 'error' or,
    // should no error come, by closing before the end.
    response.on("error", (error) => this.fail(errorFromSocket(error), true));
    response.on("close", () => {
      if (!response.complete) this.fail(errorFromSocket(resetError("response cut short")), true);
    });
    const opening = this.opening;
    this.opening = undefined;
    opening?.resolve({
      stream: true,
      service: this.req.service,
      method: this.req.method,
      header: this.header,
      trailer: this.trailer,
      message: this.messages(),
    } as StreamResponse);
  }

  /** Keeps a chunk for the reader, and pauses the response once enough waits for it. */
  private hold(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    this.reader.push(chunk);
    try {
      if (this.lagging()) this.response?.pause();
    } catch (error) {
      this.fail(error as ConnectError);
      return;
    }
    this.wakeReader();
  }

  /** Whether a whole message waits and more than the bound is held: reading more can wait. */
  private lagging(): boolean {
    return this.reader.bufferedBytes >= highWaterBytes && this.reader.holdsEnvelope();
  }

  /** A non-200 answer: the Connect error of its JSON body, read up to a bound. */
  private readError(status: number, response: IncomingMessage): void {
    const chunks: Buffer[] = [];
    let received = 0;
    const failWith = (body: string) => this.fail(errorFromAnswer(status, response.headers, body));
    response.on("data", (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received > maxErrorBodyBytes) failWith("");
      else chunks.push(chunk);
    });
    response.on("end", () => {
      this.bodyEnded = true;
      failWith(Buffer.concat(chunks).toString());
    });
    response.on("error", () => failWith(""));
    response.on("close", () => {
      if (!response.complete) failWith("");
    });
  }

  /** The response's messages, as the reader pulls them; the end-stream message ends them. */
  private async *messages(): AsyncGenerator<unknown> {
    try {
      for (;;) {
        const envelope = await this.nextEnvelope();
        const data = await this.payload(envelope);
        if (envelope.flags & endStreamFlag) {
          await this.bodyEnd();
          endOfStream(data, this.header).forEach((value, name) => {
            this.trailer.append(name, value);
          });
          return;
        }
        yield this.decode(data);
      }
    } catch (error) {
      const failure = ConnectError.from(error, Code.Internal);
      this.fail(failure);
      throw failure;
    } finally {
      // Also when the reader stops early: the request is destroyed unless its body had ended.
      this.finished = true;
      this.release();
    }
  }

  /**
   * The next envelope, once it is whole; the response is resumed while the reader waits. A cancel
   * ends the messages at once; a broken socket after the messages that came whole before it.
   */
  private async nextEnvelope(): Promise<Envelope> {
    for (;;) {
      if (this.failure !== undefined && !this.failedAfterMessages) throw this.failure;
      const envelope = this.reader.take();
      if (envelope !== undefined) {
        if (this.response?.isPaused() && !this.lagging()) this.response.resume();
        return envelope;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.bodyEnded) {
        const cut = this.reader.bufferedBytes;
        throw new ConnectError(
          cut > 0
            ? `protocol error: the response ended inside a message (${cut} bytes of it)`
            : "protocol error: the response ended without an end-stream message",
          Code.Internal,
        );
      }
      await this.more();
    }
  }

  /** Waits for the body's end after the end-stream message, which nothing may follow. */
  private async bodyEnd(): Promise<void> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.reader.bufferedBytes > 0) {
        throw new ConnectError("protocol error: data after the end-stream message", Code.Internal);
      }
      if (this.bodyEnded) return;
      await this.more();
    }
  }

  /** Resumes the response and waits for something to happen: bytes, the end, or a failure. */
  private more(): Promise<void> {
    this.response?.resume();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** An envelope's bytes, gunzipped when flagged so; readMaxBytes counts the gunzipped bytes. */
  private payload(envelope: Envelope): Buffer | Promise<Buffer> {
    if ((envelope.flags & compressedFlag) === 0) return envelope.data;
    if (!this.gzipped) {
      throw new ConnectError(
        "protocol error: a compressed message in a response without connect-content-encoding",
        Code.Internal,
      );
    }
    return gunzipWithin(envelope.data, this.target.readMaxBytes);
  }

  private decode(data: Buffer): unknown {
    try {
      return fromJsonUnboxed(this.req.method.output, JSON.parse(data.toString()), jsonReadOptions);
    } catch (error) {
      throw ConnectError.from(error, Code.Internal);
    }
  }

  /**
   * Ends the call with `error` unless it has ended: rejects the opening or wakes the reader, who
   * reads the messages already whole first when `afterMessages` is set.
   */
  private fail(error: ConnectError, afterMessages = false): void {
    if (this.failure !== undefined || this.finished) return;
    this.failure = error;
    this.failedAfterMessages = afterMessages;
    this.release();
    const opening = this.opening;
    this.opening = undefined;
    opening?.reject(error);
    this.wakeReader();
  }

  /** Lets the socket go: back to the agent if the body was read to its end, else destroyed. */
  private release(): void {
    this.req.signal.removeEventListener("abort", this.onAbort);
    if (!this.bodyEnded) this.request?.destroy();
  }
}
