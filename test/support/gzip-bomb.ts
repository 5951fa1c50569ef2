// A decompression bomb: about a megabyte of gzip that inflates to a gibibyte, made in a few
// milliseconds (gzip members of a mebibyte of one byte each, one after another, as RFC 1952
// allows), so that a test can send one without spending seconds, or the gibibyte, on it.
import { gzipSync } from "node:zlib";

const mebibyte = 1024 * 1024;
/** One byte repeated over a mebibyte deflates to about a kilobyte. */
const members = new Map<number, Buffer>();

/**
 * gzip of `prefix` followed by `inflatedMebibytes` MiB of the byte `fill`: with a prefix that is a
 * valid message and a fill the format ignores (JSON whitespace, the bytes of an unknown protobuf
 * field), a decoder that read it all would accept it. 1 GiB by default.
 */
export function gzipBomb(prefix: Uint8Array, fill: number, inflatedMebibytes = 1024): Buffer {
  let member = members.get(fill);
  if (member === undefined) {
    member = gzipSync(Buffer.alloc(mebibyte, fill), { level: 9 });
    members.set(fill, member);
  }
  return Buffer.concat([
    gzipSync(prefix),
    ...Array.from({ length: inflatedMebibytes }, () => member),
  ]);
}

/**
 * The header of a length-delimited protobuf field that no schema here has (number 15) holding
 * `length` bytes: after a message, with those bytes after it, still a valid message.
 */
export function unknownFieldHeader(length: number): Buffer {
  const header = [0x7a];
  let left = length;
  while (left >= 128) {
    header.push((left % 128) | 0x80);
    left = Math.floor(left / 128);
  }
  header.push(left);
  return Buffer.from(header);
}

/** The bytes a bomb of `inflatedMebibytes` inflates to beyond its prefix. */
export function bombFillBytes(inflatedMebibytes = 1024): number {
  return inflatedMebibytes * mebibyte;
}

/**
 * The growth of this process's peak resident memory (maxRSS) while `action` runs, in bytes: the
 * instrument that tells a bomb refused at a few MiB from one inflated whole.
 */
export async function peakMemoryGrowth(action: () => Promise<unknown>): Promise<number> {
  const before = process.resourceUsage().maxRSS;
  await action();
  return (process.resourceUsage().maxRSS - before) * 1024;
}
