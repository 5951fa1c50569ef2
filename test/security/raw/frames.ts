// HTTP/2 frames by hand (RFC 9113 §4 and §6), for clients that break rules node:http2 keeps: a
// client that ignores the server's SETTINGS, or sends its request a byte at a time. Only what the
// security tests need: no padding, no priority, no CONTINUATION.

/** Frame types (RFC 9113 §6). */
export const frameType = {
  data: 0x0,
  headers: 0x1,
  rstStream: 0x3,
  settings: 0x4,
  ping: 0x6,
  goaway: 0x7,
  windowUpdate: 0x8,
} as const;

/** Frame flags; END_STREAM and ACK share a bit, on different frame types. */
export const frameFlag = { endStream: 0x1, ack: 0x1, endHeaders: 0x4 } as const;

/** SETTINGS parameters (RFC 9113 §6.5.2). */
export const settingId = { maxConcurrentStreams: 0x3, initialWindowSize: 0x4 } as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
export const errorCode = {
  noError: 0x0,
  protocolError: 0x1,
  internalError: 0x2,
  refusedStream: 0x7,
  cancel: 0x8,
  enhanceYourCalm: 0xb,
} as const;

/** What a client sends first on an HTTP/2 connection with prior knowledge (RFC 9113 §3.4). */
export const clientPreface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** One frame as read off the wire. */
export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

const headerBytes = 9;

/** A frame: 24-bit length, type, flags, 31-bit stream id, payload. */
export function encodeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Buffer {
  const frame = Buffer.alloc(headerBytes + payload.byteLength);
  frame.writeUIntBE(payload.byteLength, 0, 3);
  frame[3] = type;
  frame[4] = flags;
  frame.writeUInt32BE(streamId, 5);
  frame.set(payload, headerBytes);
  return frame;
}

/** A SETTINGS frame with the given parameters (none: keep every default). */
export function settingsFrame(settings: readonly (readonly [number, number])[] = []): Buffer {
  const payload = Buffer.alloc(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return encodeFrame(frameType.settings, 0, 0, payload);
}

/** Acknowledges the peer's SETTINGS. */
export const settingsAckFrame = encodeFrame(frameType.settings, frameFlag.ack, 0);

/** A HEADERS frame carrying a whole header block (END_HEADERS). */
export function headersFrame(streamId: number, block: Uint8Array, endStream: boolean): Buffer {
  const flags = frameFlag.endHeaders | (endStream ? frameFlag.endStream : 0);
  return encodeFrame(frameType.headers, flags, streamId, block);
}

/** A DATA frame. */
export function dataFrame(streamId: number, data: Uint8Array, endStream: boolean): Buffer {
  return encodeFrame(frameType.data, endStream ? frameFlag.endStream : 0, streamId, data);
}

/** A PING with 8 bytes of opaque data; the peer answers with the same bytes and ACK. */
export function pingFrame(opaque: Uint8Array, ack = false): Buffer {
  return encodeFrame(frameType.ping, ack ? frameFlag.ack : 0, 0, opaque);
}

/** The SETTINGS parameters in a SETTINGS frame's payload. */
export function parseSettings(payload: Buffer): Map<number, number> {
  const settings = new Map<number, number>();
  for (let at = 0; at + 6 <= payload.length; at += 6) {
    settings.set(payload.readUInt16BE(at), payload.readUInt32BE(at + 2));
  }
  return settings;
}

/** What a GOAWAY frame says. */
export interface Goaway {
  readonly lastStreamId: number;
  readonly errorCode: number;
  /** The opaque debug data, which nghttp2 fills with the reason in words. */
  readonly debug: string;
}

export function parseGoaway(payload: Buffer): Goaway {
  return {
    lastStreamId: payload.readUInt32BE(0) & 0x7fffffff,
    errorCode: payload.readUInt32BE(4),
    debug: payload.subarray(8).toString("latin1"),
  };
}

/** Splits a byte stream into frames, keeping a partial frame until the rest arrives. */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  /** The frames completed by `chunk`. */
  push(chunk: Buffer): Frame[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Frame[] = [];
    while (this.#pending.length >= headerBytes) {
      const length = this.#pending.readUIntBE(0, 3);
      if (this.#pending.length < headerBytes + length) break;
      frames.push({
        type: this.#pending[3] ?? 0,
        flags: this.#pending[4] ?? 0,
        streamId: this.#pending.readUInt32BE(5) & 0x7fffffff,
        payload: this.#pending.subarray(headerBytes, headerBytes + length),
      });
      this.#pending = this.#pending.subarray(headerBytes + length);
    }
    return frames;
  }
}
