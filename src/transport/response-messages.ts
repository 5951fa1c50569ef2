import { type ClientHttp2Stream, constants, type IncomingHttpHeaders } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { gunzipWithin } from "./compression.js";
import { type EndpointTarget, responseTooLarge } from "./endpoint-target.js";
import { compressedFlag, type Envelope, EnvelopeReader } from "./enveloped-messages.js";
import { endOfStream, type StreamBody } from "./http2-stream-protocol.js";

/**
 * Bytes of whole messages held for a reader that is not pulling, past which the stream is paused:
 * node then stops taking the stream's data from nghttp2, which stops granting the server flow-
 * control window, so a server writing faster than the reader reads is held back by HTTP/2 itself.
 */
const highWaterBytes = 64 * 1024;

/** How the reader's part of a stream ended: its error, or "returned" when it stopped early. */
export type ReadOutcome = ConnectError | "returned" | undefined;

/**
 * The messages of one HTTP/2 response, as the caller's async iterator: envelopes are cut out of the
 * body as it arrives and held until read, decompressed and decoded only when read. A message past
 * `target.readMaxBytes`, on the wire or once decompressed, is RESOURCE_EXHAUSTED. The stream's end
 * (its status, or an error) comes after the messages before it; a cancel comes at once. Stopping
 * early (`return()`, as `break` in for-await calls it) cancels the stream. `settle` learns the
 * outcome once, whichever way the reading ended.
 */
export class ResponseMessages implements AsyncIterableIterator<unknown> {
  private readonly reader: EnvelopeReader;
  private readonly envelopes: Envelope[] = [];
  private queuedBytes = 0;
  private trailers: IncomingHttpHeaders | undefined;
  private bodyEnded = false;
  /** The stream closed without an error code after its body ended. */
  private closedInFull = false;
  /** Why the stream broke, delivered after the messages queued before it. */
  private broken: ConnectError | undefined;
  /** Why the call was cut short (a cancel), delivered at once. */
  private interrupted: ConnectError | undefined;
  private settled = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly stream: ClientHttp2Stream,
    private readonly body: StreamBody,
    private readonly target: EndpointTarget,
    private readonly settle: (outcome: ReadOutcome) => void,
  ) {
    this.reader = new EnvelopeReader(target.readMaxBytes, () => responseTooLarge(target));
    stream.on("data", (chunk: Buffer) => this.receive(chunk));
    stream.on("trailers", (trailers) => {
      this.trailers = trailers;
    });
    stream.on("end", () => {
      this.bodyEnded = true;
      // A body that ended without the call's end (a status) is a broken answer, or a reset that
      // node reports as an end (it ends the body of a stream reset with CANCEL): the stream's
      // close tells which. The request stops, so that the stream does close.
      if (!body.complete(this.trailers) && !stream.writableEnded) stream.end();
      this.notify();
    });
  }

  /** The call was cut short (cancelled): `error` comes at once, and the queued messages go. */
  interrupt(error: ConnectError): void {
    if (this.settled) return;
    this.envelopes.length = 0;
    this.queuedBytes = 0;
    this.interrupted ??= error;
    this.notify();
  }

  /**
   * The stream closed. One that closed without an error code once its body ended ends as its body
   * says; any other broke, with `broken`, which comes after the messages queued before it.
   */
  closed(rstCode: number, broken: ConnectError): void {
    if (this.settled) return;
    if (this.bodyEnded && rstCode === constants.NGHTTP2_NO_ERROR) this.closedInFull = true;
    else this.broken ??= broken;
    this.notify();
  }

  async next(): Promise<IteratorResult<unknown>> {
    for (;;) {
      if (this.settled) return { done: true, value: undefined };
      if (this.interrupted !== undefined) return this.end(this.interrupted);
      const envelope = this.envelopes.shift();
      if (envelope !== undefined) {
        this.queuedBytes -= envelope.data.byteLength;
        if (this.queuedBytes < highWaterBytes) this.stream.resume();
        let message: unknown;
        try {
          message = await this.decode(envelope);
        } catch (error) {
          return this.end(ConnectError.from(error, Code.Internal));
        }
        if (message === endOfStream) return this.end(this.status());
        if (this.settled) return { done: true, value: undefined };
        return { done: false, value: message };
      }
      // The status, once the body brought it, whatever happened to the stream after.
      if (this.bodyEnded && this.body.complete(this.trailers)) return this.finishBody();
      if (this.broken !== undefined) return this.end(this.broken);
      if (this.closedInFull) return this.finishBody();
      this.stream.resume();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** The reader stops early: the stream is cancelled and its connection freed. */
  async return(): Promise<IteratorResult<unknown>> {
    if (!this.settled) {
      this.settled = true;
      this.envelopes.length = 0;
      this.settle("returned");
      this.notify();
    }
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private receive(chunk: Buffer): void {
    if (this.settled || this.broken !== undefined) return;
    this.reader.push(chunk);
    try {
      for (let e = this.reader.take(); e !== undefined; e = this.reader.take()) {
        this.envelopes.push(e);
        this.queuedBytes += e.data.byteLength;
      }
    } catch (error) {
      // A message past readMaxBytes: nothing after it is read, so the server is stopped now.
      this.broken = ConnectError.from(error, Code.Internal);
      this.stream.close(constants.NGHTTP2_CANCEL);
    }
    if (this.queuedBytes >= highWaterBytes) this.stream.pause();
    this.notify();
  }

  private async decode(envelope: Envelope): Promise<unknown> {
    let data: Uint8Array = envelope.data;
    if (envelope.flags & compressedFlag) {
      if (!this.body.gzip) {
        throw new ConnectError(
          "protocol error: received a compressed message, but the response names no compression",
          Code.Internal,
        );
      }
      data = await gunzipWithin(data, this.target.readMaxBytes);
    }
    return this.body.decode(envelope.flags, data);
  }

  /** The end of a body that ended in full: its status, unless it stopped inside a message. */
  private finishBody(): IteratorResult<unknown> {
    const partial = this.reader.bufferedBytes;
    if (partial > 0) {
      return this.end(
        new ConnectError(
          `protocol error: the response ended ${partial} bytes into a message`,
          Code.Internal,
        ),
      );
    }
    return this.end(this.status());
  }

  /** The status the body and trailers carry; a malformed one is INTERNAL, never a throw. */
  private status(): ConnectError | undefined {
    try {
      return this.body.finish(this.trailers);
    } catch (error) {
      return ConnectError.from(error, Code.Internal);
    }
  }

  /** The reading's outcome: the caller sees `error`, or the end of the messages. */
  private end(error: ConnectError | undefined): IteratorResult<unknown> {
    if (!this.settled) {
      this.settled = true;
      this.envelopes.length = 0;
      this.settle(error);
    }
    if (error !== undefined) throw error;
    return { done: true, value: undefined };
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
