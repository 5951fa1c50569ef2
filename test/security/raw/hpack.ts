// HPACK (RFC 7541) for the raw HTTP/2 client: the simplest encoding for what it sends, and a full
// decoder for what nghttp2 answers (static and dynamic table, Huffman strings).

/** A header field: name (lower case) and value. */
export type HeaderField = readonly [name: string, value: string];

/**
 * A header block of "literal header field without indexing, new name" representations (§6.2.2),
 * without Huffman coding: every byte of every name and value spelled out, nothing remembered.
 */
export function encodeHeaderBlock(fields: readonly HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    parts.push(Buffer.of(0x00), encodeString(name), encodeString(value));
  }
  return Buffer.concat(parts);
}

function encodeString(text: string): Buffer {
  const bytes = Buffer.from(text, "latin1");
  return Buffer.concat([encodeInteger(bytes.length, 7, 0x00), bytes]);
}

/** An integer with an N-bit prefix (§5.1); `high` holds the bits above the prefix. */
function encodeInteger(value: number, prefixBits: number, high: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.of(high | value);
  const bytes = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/**
 * Decodes the header blocks of one connection, in the order they arrived: the dynamic table
 * carries over from block to block.
 */
export class HeaderBlockDecoder {
  /** Newest first, as indices 62, 63, ... address them. */
  readonly #dynamic: HeaderField[] = [];
  #maxSize = 4096;

  decode(block: Buffer): HeaderField[] {
    const fields: HeaderField[] = [];
    const reader = { block, at: 0 };
    while (reader.at < block.length) {
      const first = block[reader.at] ?? 0;
      if (first & 0x80) {
        // Indexed header field (§6.1).
        fields.push(this.#entry(readInteger(reader, 7)));
      } else if ((first & 0xc0) === 0x40) {
        // Literal with incremental indexing (§6.2.1).
        const field = this.#literal(reader, 6);
        fields.push(field);
        this.#insert(field);
      } else if ((first & 0xe0) === 0x20) {
        // Dynamic table size update (§6.3).
        this.#maxSize = readInteger(reader, 5);
        this.#evict(0);
      } else {
        // Literal without indexing, or never indexed (§6.2.2, §6.2.3).
        fields.push(this.#literal(reader, 4));
      }
    }
    return fields;
  }

  #literal(reader: Reader, prefixBits: number): HeaderField {
    const index = readInteger(reader, prefixBits);
    const name = index === 0 ? readString(reader) : this.#entry(index)[0];
    return [name, readString(reader)];
  }

  #entry(index: number): HeaderField {
    const field = index <= staticTable.length ? staticTable[index - 1] : this.#dynamic[index - 62];
    if (field === undefined) throw new Error(`HPACK: no table entry ${index}`);
    return field;
  }

  #insert(field: HeaderField): void {
    this.#evict(entrySize(field));
    if (entrySize(field) <= this.#maxSize) this.#dynamic.unshift(field);
  }

  /** Drops the oldest entries until `room` more octets fit (§4.4). */
  #evict(room: number): void {
    let size = this.#dynamic.reduce((sum, field) => sum + entrySize(field), 0);
    while (this.#dynamic.length > 0 && size + room > this.#maxSize) {
      size -= entrySize(this.#dynamic.pop() as HeaderField);
    }
  }
}

interface Reader {
  readonly block: Buffer;
  at: number;
}

function entrySize([name, value]: HeaderField): number {
  return name.length + value.length + 32;
}

function readInteger(reader: Reader, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  let value = (reader.block[reader.at++] ?? 0) & max;
  if (value < max) return value;
  for (let scale = 1; ; scale *= 128) {
    const byte = reader.block[reader.at++];
    if (byte === undefined) throw new Error("HPACK: integer runs past the block");
    value += (byte & 0x7f) * scale;
    if (!(byte & 0x80)) return value;
  }
}

function readString(reader: Reader): string {
  const huffman = ((reader.block[reader.at] ?? 0) & 0x80) !== 0;
  const length = readInteger(reader, 7);
  const bytes = reader.block.subarray(reader.at, reader.at + length);
  if (bytes.length < length) throw new Error("HPACK: string runs past the block");
  reader.at += length;
  return huffman ? decodeHuffman(bytes) : bytes.toString("latin1");
}

/**
 * The code length of each byte value in HPACK's Huffman code (RFC 7541 Appendix B). The code is
 * canonical (codes of one length are consecutive, in symbol order, shorter codes first), so the
 * lengths determine the codes.
 */
// biome-ignore format: sixteen values a row, as Appendix B's symbols run
const huffmanLengths = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
];

/** Byte value by `${length}:${code}`, assigned the canonical way. */
const huffmanSymbols = (() => {
  const symbols = new Map<string, number>();
  const order = huffmanLengths
    .map((length, symbol) => ({ length, symbol }))
    .sort((a, b) => a.length - b.length || a.symbol - b.symbol);
  let code = 0;
  let length = order[0]?.length ?? 0;
  for (const entry of order) {
    code *= 2 ** (entry.length - length);
    length = entry.length;
    symbols.set(`${length}:${code}`, entry.symbol);
    code++;
  }
  return symbols;
})();

/** Decodes a Huffman string; the padding at the end is the most significant bits of EOS (all 1s). */
function decodeHuffman(bytes: Uint8Array): string {
  let out = "";
  let code = 0;
  let length = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      length++;
      const symbol = huffmanSymbols.get(`${length}:${code}`);
      if (symbol !== undefined) {
        out += String.fromCharCode(symbol);
        code = 0;
        length = 0;
      }
    }
  }
  if (length > 7 || code !== 2 ** length - 1) throw new Error("HPACK: bad Huffman padding");
  return out;
}

/** The static table (RFC 7541 Appendix A): indices 1 to 61, "name" or "name value". */
const staticTable: HeaderField[] = `
:authority
:method GET
:method POST
:path /
:path /index.html
:scheme http
:scheme https
:status 200
:status 204
:status 206
:status 304
:status 400
:status 404
:status 500
accept-charset
accept-encoding gzip, deflate
accept-language
accept-ranges
accept
access-control-allow-origin
age
allow
authorization
cache-control
content-disposition
content-encoding
content-language
content-length
content-location
content-range
content-type
cookie
date
etag
expect
expires
from
host
if-match
if-modified-since
if-none-match
if-range
if-unmodified-since
last-modified
link
location
max-forwards
proxy-authenticate
proxy-authorization
range
referer
refresh
retry-after
server
set-cookie
strict-transport-security
transfer-encoding
user-agent
vary
via
www-authenticate`
  .trim()
  .split("\n")
  .map((line) => {
    const space = line.indexOf(" ");
    return space < 0 ? [line, ""] : [line.slice(0, space), line.slice(space + 1)];
  });
