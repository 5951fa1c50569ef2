import { Code, ConnectError } from "@connectrpc/connect";
import { type EndpointTarget, requestTooLarge } from "./endpoint-target.js";
import { encodeEnvelope } from "./enveloped-messages.js";

/**
 * The request messages of one streaming call, taken from the caller's iterable one at a time as
 * the stream wants them (never ahead: the caller's iterable is the request's flow control) and
 * enveloped. Several attempts may read them in
 * turn, each from the first: a stream refused unprocessed is sent again only while the call has
 * taken at most one message, which is kept for that (a server-streaming call's only message).
 */
export class RequestEnvelopes {
  private readonly iterator: AsyncIterator<unknown>;
  /** Messages taken from the caller so far. */
  private taken = 0;
  /** The first message's envelope. */
  private first: Buffer | undefined;
  /** The last message's envelope, for an attempt that waited for the same message as another. */
  private last: Buffer | undefined;
  private ended = false;
  private failure: { readonly error: unknown } | undefined;
  private pulling: Promise<void> | undefined;
  private closed = false;

  constructor(
    messages: AsyncIterable<unknown>,
    private readonly encode: (message: unknown) => Promise<Buffer>,
  ) {
    this.iterator = messages[Symbol.asyncIterator]();
  }

  /** Whether everything taken from the caller so far can be sent again. */
  get replayable(): boolean {
    return this.taken <= 1;
  }

  /**
   * The envelope of the `index`th message, undefined past the last one. Throws what the caller's
   * iterable threw, or what kept a message from being sent, for every attempt that asks.
   */
  async at(index: number): Promise<Buffer | undefined> {
    while (index >= this.taken) {
      if (this.failure) throw this.failure.error;
      if (this.ended) return undefined;
      this.pulling ??= this.pull();
      await this.pulling;
    }
    const envelope = index === this.taken - 1 ? this.last : index === 0 ? this.first : undefined;
    if (envelope === undefined) throw new Error(`request message ${index} was not kept to resend`);
    return envelope;
  }

  /** The call is over: lets the caller's iterable finish (its `finally` blocks run). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.first = this.last = undefined;
    // Not awaited: an iterable busy producing its next message finishes that first.
    Promise.resolve()
      .then(() => this.iterator.return?.())
      .catch(() => undefined);
  }

  private async pull(): Promise<void> {
    try {
      const result = await this.iterator.next();
      if (result.done) {
        this.ended = true;
        return;
      }
      const envelope = await this.encode(result.value);
      this.taken++;
      this.last = envelope;
      // Kept for the stream's life (one message): a stream refused while it had taken one may
      // take the next before its resend starts, and the resend begins with this one.
      if (this.taken === 1) this.first = envelope;
    } catch (error) {
      this.failure = { error };
    } finally {
      this.pulling = undefined;
    }
  }
}

/**
 * How one request message goes on the wire: its bytes from `serialize`, refused with
 * RESOURCE_EXHAUSTED past `target.writeMaxBytes`, in an envelope. Never gzipped: a stream names its
 * encoding in its headers, before its messages are known, and a server without gzip refuses a
 * stream that names it whether or not a message is compressed. The answers may come gzipped.
 */
export function requestEncoder(
  serialize: (message: unknown) => Uint8Array,
  target: EndpointTarget,
): (message: unknown) => Promise<Buffer> {
  return async (message) => {
    let bytes: Uint8Array;
    try {
      bytes = serialize(message);
    } catch (error) {
      throw ConnectError.from(error, Code.Internal);
    }
    if (bytes.byteLength > target.writeMaxBytes) throw requestTooLarge(bytes.byteLength, target);
    return encodeEnvelope(0, bytes);
  };
}
