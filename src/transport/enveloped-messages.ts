import type { ConnectError } from "@connectrpc/connect";

/**
 * Enveloped messages, as the streaming protocols put them on the wire: a 5-byte prefix (one flags
 * byte, then the length as a big-endian uint32) and the message's bytes.
 */
export interface Envelope {
  readonly flags: number;
  readonly data: Buffer;
}

/** Bytes of an envelope's prefix. */
export const envelopePrefixBytes = 5;
/** The flag of an envelope whose bytes are compressed with the stream's encoding. */
export const compressedFlag = 0b01;

/** One envelope around `data`, prefix and bytes in a single buffer for a single write. */
export function encodeEnvelope(flags: number, data: Uint8Array): Buffer {
  const envelope = Buffer.allocUnsafe(envelopePrefixBytes + data.byteLength);
  envelope[0] = flags;
  envelope.writeUInt32BE(data.byteLength, 1);
  envelope.set(data, envelopePrefixBytes);
  return envelope;
}

/**
 * Envelopes cut out of a body that arrives in chunks of any size. Chunks are kept as they came
 * and joined only once an envelope is complete, so a large message costs one copy, not one per
 * chunk. An envelope whose prefix announces more than `maxBytes` is refused as soon as the prefix
 * is read, before its bytes are waited for.
 */
export class EnvelopeReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly tooLarge: () => ConnectError,
  ) {}

  /** Bytes received and not yet taken: the part of an envelope left at the body's end, if any. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
  }

  /** Whether the next envelope is all here. Throws `tooLarge()` for one past `maxBytes`. */
  holdsEnvelope(): boolean {
    const length = this.nextLength();
    return length !== undefined && this.buffered >= envelopePrefixBytes + length;
  }

  /** The next envelope, or undefined while it is incomplete. Throws as {@link holdsEnvelope}. */
  take(): Envelope | undefined {
    const length = this.nextLength();
    if (length === undefined) return undefined;
    const end = envelopePrefixBytes + length;
    if (this.buffered < end) return undefined;
    const head = this.joinFirst(end);
    const envelope = { flags: head[0] as number, data: head.subarray(envelopePrefixBytes, end) };
    if (head.byteLength === end) this.chunks.shift();
    else this.chunks[0] = head.subarray(end);
    this.buffered -= end;
    return envelope;
  }

  /** The length the next envelope's prefix announces, once the prefix is here. */
  private nextLength(): number | undefined {
    if (this.buffered < envelopePrefixBytes) return undefined;
    const length = this.joinFirst(envelopePrefixBytes).readUInt32BE(1);
    if (length > this.maxBytes) throw this.tooLarge();
    return length;
  }

  /** The first chunk, joined with the following ones until it holds at least `bytes`. */
  private joinFirst(bytes: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.byteLength >= bytes) return first;
    let count = 1;
    let joined = first.byteLength;
    while (joined < bytes) joined += (this.chunks[count++] as Buffer).byteLength;
    const head = Buffer.concat(this.chunks.slice(0, count), joined);
    this.chunks.splice(0, count, head);
    return head;
  }
}
