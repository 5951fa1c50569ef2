// Just enough of HTTP/2's framing (RFC 9113 §4) and HPACK (RFC 7541) to write hostile frames by hand
// and to read what a server answers to them.
import { concat } from "./binary.js";

export const preface = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export const FrameType = {
  data: 0x0,
  headers: 0x1,
  priority: 0x2,
  rstStream: 0x3,
  settings: 0x4,
  pushPromise: 0x5,
  ping: 0x6,
  goaway: 0x7,
  windowUpdate: 0x8,
  continuation: 0x9,
} as const;

export const Flag = { endStream: 0x1, ack: 0x1, endHeaders: 0x4 } as const;

/** A frame; `declaredLength` may claim another length than the payload has. */
export function frame(
  type: number,
  flags: number,
  stream: number,
  payload: Uint8Array,
  declaredLength = payload.length,
): Uint8Array {
  const head = new Uint8Array(9);
  const view = new DataView(head.buffer);
  view.setUint8(0, (declaredLength >>> 16) & 0xff);
  view.setUint16(1, declaredLength & 0xffff);
  view.setUint8(3, type);
  view.setUint8(4, flags);
  view.setUint32(5, stream >>> 0);
  return concat(head, payload);
}

/** A SETTINGS payload from [identifier, value] pairs. */
export function settings(entries: readonly (readonly [number, number])[]): Uint8Array {
  const out = new Uint8Array(entries.length * 6);
  const view = new DataView(out.buffer);
  entries.forEach(([id, value], i) => {
    view.setUint16(i * 6, id);
    view.setUint32(i * 6 + 2, value >>> 0);
  });
  return out;
}

export function uint32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

/** An HPACK header block of literal fields without indexing, no Huffman coding (RFC 7541 §6.2.2). */
export function headerBlock(fields: readonly (readonly [string, string])[]): Uint8Array {
  const parts = fields.flatMap(([name, value]) => {
    const n = new TextEncoder().encode(name);
    const v = new TextEncoder().encode(value);
    return [Uint8Array.of(0x00), hpackInteger(n.length, 7), n, hpackInteger(v.length, 7), v];
  });
  return concat(...parts);
}

function hpackInteger(value: number, prefixBits: number): Uint8Array {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Uint8Array.of(value);
  const out = [max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** A frame a server sent, as far as it arrived. */
export interface ReceivedFrame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Uint8Array;
}

/** Splits received bytes into frames; a trailing partial frame is dropped. */
export function parseFrames(bytes: Uint8Array): ReceivedFrame[] {
  const frames: ReceivedFrame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 9 <= bytes.length) {
    const length = (view.getUint8(at) << 16) | view.getUint16(at + 1);
    if (at + 9 + length > bytes.length) break;
    frames.push({
      type: view.getUint8(at + 3),
      flags: view.getUint8(at + 4),
      stream: view.getUint32(at + 5) & 0x7fffffff,
      payload: bytes.subarray(at + 9, at + 9 + length),
    });
    at += 9 + length;
  }
  return frames;
}

/**
 * The :status of a response header block when the server sent it as an indexed field of HPACK's
 * static table (entries 8-14: 200, 204, 206, 304, 400, 404, 500), as nghttp2 does for those.
 */
export function indexedStatus(block: Uint8Array): number | undefined {
  const first = block[0];
  if (first === undefined || first < 0x88 || first > 0x8e) return undefined;
  return [200, 204, 206, 304, 400, 404, 500][first - 0x88];
}

/** HTTP/2 error code names (RFC 9113 §7), for the summary. */
export const h2ErrorNames = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
];
