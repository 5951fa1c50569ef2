// Binary protobuf that the services' decoder is certain to refuse.
import { type DescMessage, fromBinary, ScalarType } from "@bufbuild/protobuf";
import type { Random } from "./random.js";

/**
 * Tags no protobuf decoder accepts: field number 0 (also as an over-long varint), wire types 6 and 7
 * (which do not exist), and a tag varint longer than a uint32. protobuf-es reads the first tag of a
 * non-empty message before anything else and throws on each of these ("illegal tag"), so a body
 * that starts with one is refused whatever follows.
 */
const illegalTags: readonly (readonly number[])[] = [
  [0x00],
  [0x80, 0x00],
  [0x07],
  [0x0e],
  [0x0f],
  [0x7e],
  [0xff, 0xff, 0xff, 0xff, 0x7f],
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
];

/**
 * Endings that leave a message undecodable when the decoder meets them at a field boundary: an
 * illegal tag, a varint cut short, a length-delimited field claiming more bytes than remain, a
 * varint longer than ten bytes.
 */
const brokenTails: readonly (readonly number[])[] = [
  [0x00],
  [0x0f],
  [0x08, 0x80],
  [0x12, 0x7f, 0x61, 0x62],
  [0x0a, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
];

/**
 * Sequences that are not UTF-8: a byte that never occurs in it, overlong encodings, a UTF-16
 * surrogate encoded as if it were a character, a code point past U+10FFFF, a sequence cut short,
 * a continuation byte on its own.
 */
export const invalidUtf8: readonly (readonly number[])[] = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0x80],
];

/** Whether the services' decoder (protobuf-es, same package and schema) accepts `bytes`. */
export function decodesAsBinary(schema: DescMessage, bytes: Uint8Array): boolean {
  try {
    fromBinary(schema, bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes `body` undecodable as `schema`. Half the time a broken tail is appended, which exercises
 * the decoder on everything before it; but a (mutated) body can end inside a length-delimited
 * field that swallows the tail, so the result is checked with the decoder the services run, and
 * one that still decodes gets an illegal tag in front instead, which is refused before anything.
 */
export function breakBinary(schema: DescMessage, body: Uint8Array, random: Random): Uint8Array {
  if (random.chance(0.5)) {
    const tailed = concat(body, Uint8Array.from(random.pick(brokenTails)));
    if (!decodesAsBinary(schema, tailed)) return tailed;
  }
  return concat(Uint8Array.from(random.pick(illegalTags)), body);
}

/**
 * `valid` (a complete encoding) followed by one more string field, or string-map entry, holding
 * bytes that are not UTF-8. The decoder reaches it at a field boundary and proto3 strings are
 * verified (utf8_validation VERIFY), so it throws.
 */
export function withInvalidUtf8(
  schema: DescMessage,
  valid: Uint8Array,
  random: Random,
): Uint8Array {
  const candidates = schema.fields.filter(
    (f) =>
      ((f.fieldKind === "scalar" || f.fieldKind === "list") && f.scalar === ScalarType.STRING) ||
      (f.fieldKind === "map" && f.mapKey === ScalarType.STRING && f.scalar === ScalarType.STRING),
  );
  if (candidates.length === 0) throw new Error(`${schema.typeName} has no string field`);
  const field = random.pick(candidates);
  const bad = concat(
    new TextEncoder().encode(random.pick(["", "a", "user_"])),
    Uint8Array.from(random.pick(invalidUtf8)),
  );
  if (field.fieldKind !== "map") return concat(valid, lengthDelimited(field.number, bad));
  const good = new TextEncoder().encode("user_id");
  const [key, value] = random.chance(0.5) ? [bad, good] : [good, bad];
  const entry = concat(lengthDelimited(1, key), lengthDelimited(2, value));
  return concat(valid, lengthDelimited(field.number, entry));
}

/** Flips, overwrites, inserts and deletes bytes: 1 to 8 edits, as a byte-level fuzzer does. */
export function mutate(bytes: Uint8Array, random: Random): Uint8Array {
  let out = Array.from(bytes);
  const edits = 1 + random.int(8);
  for (let i = 0; i < edits; i++) {
    const at = random.int(out.length + 1);
    switch (random.int(5)) {
      case 0:
        if (at < out.length) out[at] = (out[at] as number) ^ (1 << random.int(8));
        break;
      case 1:
        if (at < out.length) out[at] = random.int(256);
        break;
      case 2:
        out.splice(at, 0, ...random.bytes(1 + random.int(4)));
        break;
      case 3:
        out.splice(at, 1 + random.int(4));
        break;
      default:
        out = [...out.slice(0, at), ...out.slice(random.int(out.length + 1))];
        break;
    }
  }
  return Uint8Array.from(out);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A length-delimited field (wire type 2) numbered `field`. */
function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  return concat(varint((field << 3) | 2), varint(payload.length), payload);
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Uint8Array.from(out);
}
